// The built-in judges (MLflow's names) against a fake judge; custom judges, eval-file judge scorers and
// binding: judge-scorers-eval-file.test.ts.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import {
  Completeness,
  Correctness,
  Equivalence,
  ExpectationsGuidelines,
  Fluency,
  Guidelines,
  RelevanceToInput,
  RelevanceToQuery,
  RetrievalGroundedness,
  RetrievalRelevance,
  RetrievalSufficiency,
  Safety,
  Summarization,
} from '../../src/scorers/index.js';
import { args, fakeJudges, score, span } from '../helpers/judge-scorer-fakes.js';

/** The prompt name and version every built-in judge's verdict records (see docs/judge-prompts.md). */
const builtinPrompt = (judge: string) => ({
  'judgeflow.prompt.name': `builtin:${judge}`,
  'judgeflow.prompt.version': expect.stringMatching(/^[0-9a-f]{12}$/),
});

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
        metadata: {
          'mlflow.assessment.judgeInputTokens': '10',
          'mlflow.assessment.judgeOutputTokens': '5',
          ...builtinPrompt('correctness'),
        },
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
