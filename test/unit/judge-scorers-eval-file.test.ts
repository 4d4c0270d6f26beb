// Custom judges (makeJudge), judge scorers built from the eval file, and binding library scorers to a
// run; the built-in judges themselves are in judge-scorers.test.ts.
import { describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { ConfigError, MissingComponentError } from '../../src/core/errors.js';
import type { Scorer } from '../../src/core/scorer.js';
import { createJudgeResolver } from '../../src/judges/create-judge-resolver.js';
import { HttpRuntime } from '../../src/runtime/http-runtime.js';
import {
  bindJudges,
  Correctness,
  judgeScorerDefinitions,
  makeJudge,
  scorerRegistry,
} from '../../src/scorers/index.js';
import type { ScorerBuildContext } from '../../src/scorers/registry.js';
import { args, fakeJudges, score } from '../helpers/judge-scorer-fakes.js';

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
