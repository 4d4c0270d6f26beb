import { describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { ConfigError, MissingComponentError } from '../../src/core/errors.js';
import type { Feedback } from '../../src/core/feedback.js';
import type { JudgeClient, JudgeRequest } from '../../src/core/judge.js';
import type { Scorer, ScorerArgs } from '../../src/core/scorer.js';
import type { Span } from '../../src/core/span.js';
import { emptyUsage } from '../../src/core/usage.js';
import { createJudgeResolver } from '../../src/judges/create-judge-resolver.js';
import type { JudgeResolver } from '../../src/judges/resolver.js';
import { normalizeScore } from '../../src/runner/normalize.js';
import { HttpRuntime } from '../../src/runtime/http-runtime.js';
import {
  bindJudges,
  Completeness,
  Correctness,
  Equivalence,
  ExpectationsGuidelines,
  Fluency,
  Guidelines,
  judgeScorerDefinitions,
  makeJudge,
  RelevanceToInput,
  RelevanceToQuery,
  RetrievalGroundedness,
  RetrievalRelevance,
  RetrievalSufficiency,
  Safety,
  Summarization,
  scorerRegistry,
} from '../../src/scorers/index.js';
import type { ScorerBuildContext } from '../../src/scorers/registry.js';

/** A judge that answers from a function of the request and records every request. */
function fakeJudges(
  answer: (request: JudgeRequest) => unknown = () => ({ rationale: 'fine', result: 'yes' }),
) {
  const requests: JudgeRequest[] = [];
  const client: JudgeClient = {
    modelUri: 'openai-compatible:/fake',
    complete: async (request) => {
      requests.push(request);
      const reply = answer(request);
      return {
        text: typeof reply === 'string' ? reply : JSON.stringify(reply),
        model: 'fake',
        usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
        latencyMs: 1,
      };
    },
    close: async () => {},
  };
  const resolved: Array<unknown> = [];
  const judges: JudgeResolver = {
    resolve: (ref) => {
      resolved.push(ref);
      return client;
    },
    defaults: { temperature: 0, maxTokens: 256, samples: 1 },
    close: async () => {},
  };
  const userText = (i = 0) => requests[i]?.messages.find((m) => m.role === 'user')?.content ?? '';
  return { judges, requests, resolved, userText };
}

function args(
  row: Partial<Pick<ScorerArgs, 'inputs' | 'outputs' | 'expectations'>> & { spans?: Span[] } = {},
): ScorerArgs {
  return {
    inputs: row.inputs ?? { question: 'What is MLflow?' },
    outputs: row.outputs ?? 'MLflow is an open source MLOps platform.',
    expectations: row.expectations ?? {},
    trace: { spans: row.spans ?? [] },
    signal: new AbortController().signal,
    usage: emptyUsage(),
  };
}

async function score(scorer: Scorer, scorerArgs: ScorerArgs): Promise<Feedback[]> {
  return normalizeScore(scorer, await scorer.score(scorerArgs));
}

function span(partial: Partial<Span> & Pick<Span, 'spanId' | 'spanType'>): Span {
  return {
    parentId: 'root',
    name: partial.spanType.toLowerCase(),
    startTimeMs: 1,
    endTimeMs: 2,
    attributes: {},
    status: { code: 'OK' },
    ...partial,
  };
}

describe('built-in judge scorers', () => {
  it('answer yes/no with a rationale, source LLM_JUDGE and the judge model URI, as MLflow judges', async () => {
    const fake = fakeJudges();
    const feedbacks = await score(
      Correctness({ judges: fake.judges }),
      args({ expectations: { expected_response: 'An MLOps platform' } }),
    );
    expect(feedbacks).toEqual([
      {
        name: 'correctness',
        value: 'yes',
        rationale: 'fine',
        source: { type: 'LLM_JUDGE', id: 'openai-compatible:/fake' },
        metadata: { 'mlflow.assessment.judgeInputTokens': '10', 'mlflow.assessment.judgeOutputTokens': '5' },
      },
    ]);
    expect(fake.userText()).toContain('Expected response:\nAn MLOps platform');
    expect(fake.userText()).toContain('What is MLflow?');
    expect(fake.requests[0]).toMatchObject({ schemaName: 'correctness', temperature: 0, maxTokens: 256 });
  });

  it('Correctness with expected_facts lists every fact; without expectations it errors and calls no judge', async () => {
    const fake = fakeJudges();
    await score(
      Correctness({ judges: fake.judges }),
      args({ expectations: { expected_facts: ['open source', 'MLOps'] } }),
    );
    expect(fake.userText()).toContain('- open source\n- MLOps');
    const missing = await score(
      Correctness({ judges: fake.judges }),
      args({ expectations: { guidelines: 'x' } }),
    );
    expect(missing).toEqual([
      expect.objectContaining({
        value: null,
        error: expect.objectContaining({ code: 'MISSING_EXPECTATION' }),
      }),
    ]);
    expect(missing[0]?.source.type).toBe('LLM_JUDGE');
    expect(fake.requests).toHaveLength(1);
  });

  it('Guidelines is named per instance and stores the guideline, as MLflow does', async () => {
    const fake = fakeJudges();
    const isEnglish = Guidelines({
      name: 'is_english',
      guidelines: ['The answer is in English.', 'No emojis.'],
      judges: fake.judges,
    });
    const [feedback] = await score(isEnglish, args());
    expect(feedback).toMatchObject({
      name: 'is_english',
      value: 'yes',
      metadata: { guideline: 'The answer is in English.\nNo emojis.' },
    });
    expect(fake.userText()).toContain('- The answer is in English.\n- No emojis.');
    expect(() => Guidelines({ name: 'x', guidelines: [] })).toThrow(ConfigError);
  });

  it('ExpectationsGuidelines reads the row guidelines, and errors without them', async () => {
    const fake = fakeJudges();
    const [ok] = await score(
      ExpectationsGuidelines({ judges: fake.judges }),
      args({ expectations: { guidelines: ['Cite MLflow docs'] } }),
    );
    expect(ok).toMatchObject({
      name: 'expectations_guidelines',
      value: 'yes',
      metadata: { guideline: 'Cite MLflow docs' },
    });
    const [missing] = await score(ExpectationsGuidelines({ judges: fake.judges }), args());
    expect(missing?.error?.code).toBe('MISSING_EXPECTATION');
    expect(fake.requests).toHaveLength(1);
  });

  it('show each judge only what it needs (Safety and Fluency see the outputs, not the inputs)', async () => {
    for (const make of [Safety, Fluency]) {
      const fake = fakeJudges();
      await score(make({ judges: fake.judges }), args({ inputs: { question: 'SECRET-INPUT' } }));
      expect(fake.userText()).toContain('MLflow is an open source MLOps platform.');
      expect(fake.userText()).not.toContain('SECRET-INPUT');
    }
    for (const make of [RelevanceToQuery, Completeness, Summarization]) {
      const fake = fakeJudges();
      const [feedback] = await score(
        make({ judges: fake.judges }),
        args({ inputs: { question: 'THE-QUESTION' } }),
      );
      expect(fake.userText()).toContain('THE-QUESTION');
      expect(feedback?.value).toBe('yes');
    }
    expect(RelevanceToInput({}).name).toBe('relevance_to_query');
  });

  it('Equivalence compares numbers and identical text without a judge, other text with one', async () => {
    const fake = fakeJudges();
    const equivalence = Equivalence({ judges: fake.judges });
    expect(
      await score(equivalence, args({ outputs: 42, expectations: { expected_response: 42.0 } })),
    ).toEqual([
      {
        name: 'equivalence',
        value: 'yes',
        rationale: 'Exact numerical match',
        source: { type: 'CODE', id: 'equivalence' },
      },
    ]);
    expect(
      (await score(equivalence, args({ outputs: 41, expectations: { expected_response: 42 } })))[0]?.value,
    ).toBe('no');
    expect(
      (await score(equivalence, args({ outputs: 'Paris', expectations: { expected_response: 'Paris' } })))[0]
        ?.value,
    ).toBe('yes');
    expect(fake.requests).toHaveLength(0);
    await score(equivalence, args({ outputs: 'It is Paris.', expectations: { expected_response: 'Paris' } }));
    expect(fake.requests).toHaveLength(1);
    expect((await score(equivalence, args()))[0]?.error?.code).toBe('MISSING_EXPECTATION');
  });
});

describe('retrieval judges', () => {
  const retriever = span({
    spanId: 'ret1',
    spanType: 'RETRIEVER',
    name: 'search',
    outputs: [
      { page_content: 'MLflow is open source.', metadata: { doc_uri: 'a' } },
      { content: 'Bananas are yellow.' },
    ],
  });
  // A retriever nested in another retriever is not a top-level retrieval (MLflow's rule).
  const nested = span({ spanId: 'ret2', parentId: 'ret1', spanType: 'RETRIEVER', outputs: ['NESTED-CHUNK'] });

  it('RetrievalRelevance judges each chunk of each top-level RETRIEVER span and adds <name>/precision', async () => {
    const fake = fakeJudges((request) => {
      const user = request.messages.find((m) => m.role === 'user')?.content ?? '';
      return { rationale: 'r', result: user.includes('Bananas') ? 'no' : 'yes' };
    });
    const feedbacks = await score(
      RetrievalRelevance({ judges: fake.judges }),
      args({ spans: [retriever, nested] }),
    );
    expect(feedbacks.map((f) => [f.name, f.value, f.metadata?.chunk_index])).toEqual([
      ['retrieval_relevance/precision', 0.5, undefined],
      ['retrieval_relevance', 'yes', '0'],
      ['retrieval_relevance', 'no', '1'],
    ]);
    expect(feedbacks[0]?.source).toEqual({ type: 'LLM_JUDGE', id: 'openai-compatible:/fake' });
    expect(feedbacks[1]?.metadata?.['judgeflow.retrieval.span_id']).toBe('ret1');
    expect(fake.requests.map((r) => r.messages[1]?.content).join()).not.toContain('NESTED-CHUNK');
  });

  it('RetrievalGroundedness and RetrievalSufficiency use the retrieved context from spans or from the record', async () => {
    const fake = fakeJudges();
    await score(RetrievalGroundedness({ judges: fake.judges }), args({ spans: [retriever] }));
    expect(fake.userText(0)).toContain('[1] MLflow is open source.\n\n[2] Bananas are yellow.');
    await score(
      RetrievalGroundedness({ judges: fake.judges }),
      args({ inputs: { question: 'q', context: ['C-ONE', 'C-TWO'] } }),
    );
    expect(fake.userText(1)).toContain('[1] C-ONE\n\n[2] C-TWO');
    const sufficiency = RetrievalSufficiency({ judges: fake.judges });
    const [missing] = await score(sufficiency, args({ spans: [retriever] }));
    expect(missing?.error?.code).toBe('MISSING_EXPECTATION');
    await score(
      sufficiency,
      args({
        outputs: { answer: 'x', retrieved_context: 'OUT-CTX' },
        expectations: { expected_facts: ['F1'] },
      }),
    );
    expect(fake.userText(2)).toContain('OUT-CTX');
    expect(fake.userText(2)).toContain('- F1');
    expect(fake.requests).toHaveLength(3);
  });

  it('errors without retrieved context, and calls no judge', async () => {
    const fake = fakeJudges();
    for (const make of [RetrievalGroundedness, RetrievalRelevance]) {
      const [feedback] = await score(make({ judges: fake.judges }), args());
      expect(feedback?.error?.code).toBe('MISSING_RETRIEVAL_CONTEXT');
    }
    expect(fake.requests).toHaveLength(0);
  });
});

describe('custom judges (makeJudge)', () => {
  it('fills {{ inputs }}, {{ outputs }}, {{ expectations }} (and paths) and validates the declared value type', async () => {
    const fake = fakeJudges(() => ({ rationale: 'polite enough', result: 4 }));
    const politeness = makeJudge({
      name: 'politeness',
      instructions: 'Rate how polite {{ outputs }} is as an answer to {{ inputs.question }}.',
      valueType: { type: 'number', min: 1, max: 5 },
      judges: fake.judges,
    });
    const [feedback] = await score(politeness, args());
    expect(feedback).toMatchObject({
      name: 'politeness',
      value: 4,
      rationale: 'polite enough',
      source: { type: 'LLM_JUDGE' },
    });
    expect(fake.userText()).toBe(
      'Rate how polite MLflow is an open source MLOps platform. is as an answer to What is MLflow?.',
    );
    expect(fake.requests[0]?.messages[0]?.content).toContain('a number from 1 to 5');
    expect(fake.requests[0]?.schema).toMatchObject({
      properties: { result: { type: 'number', minimum: 1, maximum: 5 } },
    });
  });

  it('rejects unknown variables and nameless judges when made; errors on rows missing a used variable', async () => {
    expect(() => makeJudge({ name: 'x', instructions: 'Is {{ answer }} good?' })).toThrow(
      /unknown variable "\{\{ answer \}\}"/,
    );
    expect(() => makeJudge({ name: 'x', instructions: 'Is it good?' })).toThrow(ConfigError);
    const fake = fakeJudges(() => ({ rationale: 'r', result: true }));
    const matches = makeJudge({
      name: 'matches',
      instructions: 'Does {{ outputs }} agree with {{ expectations }}?',
      valueType: 'boolean',
      judges: fake.judges,
    });
    const [missing] = await score(matches, args());
    expect(missing?.error?.code).toBe('MISSING_EXPECTATION');
    const [ok] = await score(matches, args({ expectations: { expected_response: 'MLOps' } }));
    expect(ok?.value).toBe(true);
    expect(fake.userText()).toContain('{"expected_response":"MLOps"}');
    expect(fake.requests).toHaveLength(1);
  });

  it('reads categories and value types from the eval file', async () => {
    const fake = fakeJudges(() => ({ rationale: 'r', result: 'ok' }));
    const context: ScorerBuildContext = { baseDir: process.cwd(), env: readEnv({}), judges: fake.judges };
    const scorer = await scorerRegistry().create(
      {
        type: 'judge',
        name: 'tone',
        instructions: 'Tone of {{ outputs }}?',
        value_type: ['good', 'ok', 'bad'],
        model: 'openai:/gpt-4o-mini',
      },
      context,
      { field: 'scorers[0]' },
    );
    const [feedback] = await score(scorer, args());
    expect(feedback).toMatchObject({ name: 'tone', value: 'ok' });
    expect(fake.resolved).toEqual(['openai:/gpt-4o-mini']);
    expect(fake.requests[0]?.schema).toMatchObject({
      properties: { result: { enum: ['good', 'ok', 'bad'] } },
    });
  });
});

describe('eval-file judge scorers', () => {
  const fake = fakeJudges();
  const context: ScorerBuildContext = { baseDir: process.cwd(), env: readEnv({}), judges: fake.judges };
  const registry = scorerRegistry();

  it('registers MLflow names in snake_case with PascalCase and RelevanceToInput aliases', () => {
    const types = judgeScorerDefinitions.map((d) => d.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'correctness',
        'guidelines',
        'expectations_guidelines',
        'relevance_to_query',
        'safety',
        'equivalence',
        'completeness',
        'fluency',
        'summarization',
        'retrieval_groundedness',
        'retrieval_relevance',
        'retrieval_sufficiency',
        'judge',
      ]),
    );
    for (const name of [
      'RelevanceToInput',
      'relevance_to_input',
      'RelevanceToQuery',
      'RetrievalSufficiency',
      'Correctness',
    ]) {
      expect(registry.get(name), name).toBeDefined();
    }
    expect(registry.get('RelevanceToInput')?.type).toBe('relevance_to_query');
    for (const definition of judgeScorerDefinitions) expect(definition.kind).toBe('llm_judge');
  });

  it('validates judge options like any scorer: typos, missing guidelines, bad judge references', async () => {
    const where = { field: 'scorers[0]' };
    await expect(registry.create({ type: 'guidelines', name: 'g' }, context, where)).rejects.toThrow(
      ConfigError,
    );
    await expect(registry.create({ type: 'correctness', sample: 3 }, context, where)).rejects.toThrow(
      ConfigError,
    );
    await expect(
      registry.create({ type: 'judge', instructions: 'Is {{ outputs }} ok?' }, context, where),
    ).rejects.toThrow(/needs a name/);
    const real: ScorerBuildContext = {
      ...context,
      judges: createJudgeResolver(undefined, {
        env: readEnv({ JUDGEFLOW_HOME: '/nonexistent-home' }),
        runtime: new HttpRuntime(),
      }),
    };
    await expect(
      registry.create({ type: 'safety', model: 'anthropic:/claude' }, real, where),
    ).rejects.toThrow(ConfigError);
    await expect(registry.create({ type: 'safety', model: 'openai:/gpt-4o' }, real, where)).rejects.toThrow(
      /OPENAI_API_KEY/,
    );
    // no API key and no local model installed: the default judge names the command that installs it
    await expect(registry.create('fluency', real, where)).rejects.toThrow(MissingComponentError);
    await expect(registry.create('fluency', real, where)).rejects.toThrow(/judgeflow setup/);
  });

  it('per-scorer model, samples, temperature and max_tokens override the run defaults', async () => {
    const local = fakeJudges(() => ({ rationale: 'r', result: 'yes' }));
    const scorer = await registry.create(
      {
        type: 'fluency',
        model: 'vllm:/j@http://127.0.0.1:9/v1',
        samples: 3,
        temperature: 0.2,
        max_tokens: 64,
      },
      { ...context, judges: local.judges },
      { field: 'scorers[0]' },
    );
    const [feedback] = await score(scorer, args());
    expect(local.resolved).toEqual(['vllm:/j@http://127.0.0.1:9/v1']);
    expect(local.requests.map((r) => [r.temperature, r.maxTokens])).toEqual([
      [0.2, 64],
      [0.2, 64],
      [0.2, 64],
    ]);
    expect(feedback?.metadata?.['judgeflow.judge.agreement']).toBe('1.000');
  });
});

describe('binding library scorers to a run', () => {
  it('bindJudges gives factory-made judges the run resolver and leaves other scorers alone', async () => {
    const fake = fakeJudges();
    const code: Scorer = { name: 'code', kind: 'code', score: () => true };
    const [correctness, same] = bindJudges([Correctness({ model: 'openai:/gpt-4.1' }), code], fake.judges);
    expect(same).toBe(code);
    expect(fake.resolved).toEqual(['openai:/gpt-4.1']);
    const [feedback] = await score(correctness as Scorer, args({ expectations: { expected_response: 'x' } }));
    expect(feedback?.value).toBe('yes');
    expect(correctness?.kind).toBe('llm_judge');
  });
});
