import { describe, expect, it } from 'vitest';
import { readEnv } from '../../config/env.js';
import { ConfigError } from '../../core/errors.js';
import { emptyUsage } from '../../core/usage.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import { normalizeScore } from '../../runner/normalize.js';
import { normalizeScorerType, type ScorerBuildContext, ScorerRegistry } from '../registry.js';
import { heuristicScorerDefinitions } from './index.js';

const judges: JudgeResolver = {
  resolve: () => {
    throw new Error('heuristic scorers never ask for a judge');
  },
  defaults: { temperature: 0, maxTokens: 256, samples: 1 },
  close: async () => {},
};
const context: ScorerBuildContext = { baseDir: process.cwd(), env: readEnv({}, process.cwd()), judges };

/** Options each type needs in an object entry (beyond name/aggregations). */
const requiredOptions: Record<string, Record<string, unknown>> = {
  regex: { pattern: 'Par' },
  json_schema: { schema: { type: 'string' } },
};

/** What a row holds besides `row` for scorers that run the outputs against tests. */
const rowFor: Record<string, { outputs: unknown; expectations: Record<string, unknown> }> = {
  code_execution: { outputs: 'answer = "Paris"', expectations: { test: 'assert answer == "Paris"' } },
  pass_at_k: { outputs: ['answer = "Paris"'], expectations: { test: 'assert answer == "Paris"' } },
};

const row = {
  inputs: { question: 'Capital of France?' },
  outputs: 'Paris',
  // instruction_id_list, kwargs: for ifeval (the response has no comma)
  expectations: { expected_response: 'Paris', instruction_id_list: ['punctuation:no_comma'], kwargs: [{}] },
  trace: {
    spans: [
      {
        spanId: 'a1b2c3d4e5f60718',
        parentId: null,
        name: 'predict',
        spanType: 'CHAIN' as const,
        startTimeMs: 1000,
        endTimeMs: 1250,
        attributes: {},
        status: { code: 'OK' as const },
      },
    ],
  },
  signal: new AbortController().signal,
  usage: emptyUsage(),
};

describe('heuristicScorerDefinitions', () => {
  it('holds the code scorers with unique snake_case code types', () => {
    const types = heuristicScorerDefinitions.map((definition) => definition.type);
    expect(types.sort()).toEqual([
      'bleu',
      'chrf',
      'chrf_plus_plus',
      'code_execution',
      'contains',
      'exact_match',
      'ifeval',
      'json_schema',
      'json_valid',
      'latency',
      'length',
      'levenshtein',
      'pass_at_k',
      'pii_leakage',
      'profanity',
      'regex',
      'rouge',
      'token_count',
    ]);
    expect(new Set(types).size).toBe(types.length);
    for (const definition of heuristicScorerDefinitions) {
      expect(normalizeScorerType(definition.type)).toBe(definition.type);
      expect(definition.kind).toBe('code');
      expect(definition.description.length).toBeGreaterThan(10);
      // .strict(): a typo in an option name is rejected.
      expect(
        definition.options.safeParse({ ...requiredOptions[definition.type], not_an_option: 1 }).success,
      ).toBe(false);
    }
    expect(() => new ScorerRegistry(heuristicScorerDefinitions)).not.toThrow();
  });

  it('builds every scorer from a string entry (or names the missing field when options are required)', async () => {
    const registry = new ScorerRegistry(heuristicScorerDefinitions);
    for (const definition of heuristicScorerDefinitions) {
      const where = { file: 'eval.yaml', field: 'scorers[0]' };
      if (requiredOptions[definition.type] !== undefined) {
        const error = await registry
          .create(definition.type, context, where)
          .catch((caught: unknown) => caught);
        expect(error, definition.type).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).field, definition.type).toMatch(/^scorers\[0\]\.(pattern|schema)$/);
        continue;
      }
      const scorer = await registry.create(definition.type, context, where);
      expect(scorer, definition.type).toMatchObject({ name: definition.type, kind: 'code' });
      const feedbacks = normalizeScore(scorer, await scorer.score({ ...row, ...rowFor[definition.type] }));
      // One feedback named after the scorer; a scorer that declares other names (rouge: one per ROUGE
      // type; ifeval: prompt-level loose and one per instruction) produces only its name and those.
      const names = feedbacks.map((f) => f.name);
      if (scorer.feedbackNames === undefined) expect(names, definition.type).toEqual([definition.type]);
      else {
        expect(names.length, definition.type).toBeGreaterThan(0);
        for (const name of names)
          expect([definition.type, ...scorer.feedbackNames], definition.type).toContain(name);
      }
      expect(feedbacks[0]?.error, definition.type).toBeUndefined();
      expect(feedbacks[0]?.source, definition.type).toEqual({ type: 'CODE', id: definition.type });
    }
  });

  it('builds every scorer from an object entry, with name and aggregations applied', async () => {
    const registry = new ScorerRegistry(heuristicScorerDefinitions);
    for (const definition of heuristicScorerDefinitions) {
      const entry = {
        // The registry accepts other spellings of the type.
        type: definition.type.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase()),
        name: `my_${definition.type}`,
        aggregations: ['mean' as const, 'max' as const],
        ...requiredOptions[definition.type],
      };
      const scorer = await registry.create(entry, context, { field: 'scorers[1]' });
      expect(scorer.name, definition.type).toBe(`my_${definition.type}`);
      expect(scorer.aggregations, definition.type).toEqual(['mean', 'max']);
      const feedbacks = normalizeScore(scorer, await scorer.score({ ...row, ...rowFor[definition.type] }));
      // The given name names every feedback (alone, or as the prefix of the names a scorer declares).
      for (const feedback of feedbacks)
        expect([`my_${definition.type}`, ...(scorer.feedbackNames ?? [])], definition.type).toContain(
          feedback.name,
        );
      for (const name of scorer.feedbackNames ?? [])
        expect(name.startsWith(`my_${definition.type}/`)).toBe(true);
      expect(feedbacks[0]?.source, definition.type).toEqual({ type: 'CODE', id: `my_${definition.type}` });
      expect(feedbacks[0]?.error, definition.type).toBeUndefined();
    }
  });

  it('reports invalid options with the entry path and the scorer type', () => {
    const registry = new ScorerRegistry(heuristicScorerDefinitions);
    expect(() => registry.parse({ type: 'regex', pattern: '(' }, { field: 'scorers[2]' })).toThrow(
      /scorers\[2\]\.pattern \(regex\): invalid regular expression/,
    );
    expect(() => registry.parse({ type: 'contains', mode: 'most' }, { field: 'scorers[3]' })).toThrow(
      /scorers\[3\]\.mode \(contains\)/,
    );
  });
});
