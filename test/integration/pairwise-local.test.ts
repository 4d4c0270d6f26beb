import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgePairs, type PairInput } from '../../src/app/pairwise/index.js';
import { readEnv } from '../../src/config/env.js';
import type { JudgeClient, JudgeRequest } from '../../src/core/judge.js';
import { createJudgeResolver } from '../../src/judges/create-judge-resolver.js';
import type { JudgeResolver } from '../../src/judges/resolver.js';
import { HttpRuntime } from '../../src/runtime/http-runtime.js';
import { testJudgeModelPath } from './servers/judge.js';

// The pairwise judge against the real embedded local model (Gemma 3 270M): the prompt file loads, the
// model answers the {rationale, winner} schema under its grammar, both orders of every pair are asked
// and the summary adds up. The 270M model's preferences themselves mean nothing and are not asserted.

const PAIRS: PairInput[] = [
  {
    rowId: 'capital',
    inputs: { question: 'What is the capital of France?' },
    expectations: { expected_response: 'Paris' },
    outputA: 'The capital of France is Paris.',
    outputB: 'The capital of France is Lyon.',
  },
  {
    rowId: 'arithmetic',
    inputs: { question: 'What is 2 + 2?' },
    outputA: '5',
    outputB: '2 + 2 = 4',
  },
  {
    rowId: 'mlflow',
    inputs: { question: 'What is MLflow?' },
    outputA: 'MLflow is an open source platform for the machine learning lifecycle.',
    outputB: 'MLflow is an open source platform for managing machine learning experiments and models.',
  },
];

describe('pairwise judging with the embedded local model', () => {
  let runtime: HttpRuntime;
  let judges: JudgeResolver;
  beforeAll(async () => {
    runtime = new HttpRuntime();
    judges = createJudgeResolver(
      { model: `local:${await testJudgeModelPath()}` },
      { env: readEnv({}), runtime },
    );
  });
  afterAll(async () => {
    await judges.close();
    await runtime.close();
  });

  it('asks both orders of every pair and returns a well-formed summary', async () => {
    const local = judges.resolve();
    const requests: JudgeRequest[] = [];
    const replies: string[] = [];
    const recording: JudgeClient = {
      modelUri: local.modelUri,
      complete: async (request) => {
        requests.push(request);
        const response = await local.complete(request);
        replies.push(response.text);
        return response;
      },
      close: async () => {},
    };
    const summary = await judgePairs(PAIRS, { judge: recording, concurrency: 1, maxTokens: 160, seed: 1 });

    // Every pair was shown once with each output as Response 1 (repairs repeat a first message).
    for (const pair of PAIRS) {
      const firsts = new Set(
        requests
          .map((request) => request.messages.find((m) => m.role === 'user')?.content ?? '')
          .filter((user) => user.includes(String((pair.inputs as { question: string }).question)))
          .map((user) => /<response_1>\n([\s\S]*?)\n<\/response_1>/.exec(user)?.[1]),
      );
      expect(firsts).toEqual(new Set([pair.outputA, pair.outputB]));
    }
    for (const request of requests) {
      expect(request).toMatchObject({ schemaName: 'pairwise', maxTokens: 160, temperature: 0 });
    }

    expect(summary.judge).toBe('local:/gemma-3-270m-q4_k_m');
    expect(summary.pairs).toBe(3);
    expect(summary.rows.map((row) => row.row_id)).toEqual(['capital', 'arithmetic', 'mlflow']);
    expect(summary.a_wins + summary.b_wins + summary.ties + summary.errors).toBe(3);
    expect(summary.inconsistent).toBeLessThanOrEqual(summary.ties);
    // The grammar-constrained model answers the schema: at least one pair judged in both orders.
    expect(summary.errors, JSON.stringify({ rows: summary.rows, replies })).toBeLessThan(3);
    for (const row of summary.rows) {
      expect(['A', 'B', 'tie', 'error']).toContain(row.verdict);
      expect(['A', 'B', 'tie', 'error']).toContain(row.ab);
      expect(['A', 'B', 'tie', 'error']).toContain(row.ba);
      if (row.verdict !== 'error') {
        expect(row.consistent).toBe(row.ab === row.ba);
        expect(typeof row.rationale_ab).toBe('string');
        expect(typeof row.rationale_ba).toBe('string');
      }
    }
    const judged = summary.pairs - summary.errors;
    expect(summary.position_consistency).toBeCloseTo((judged - summary.inconsistent) / judged, 12);
    expect(summary.b_win_rate).toBeCloseTo((summary.b_wins + summary.ties / 2) / judged, 12);
    expect(summary.b_win_rate_ci[0]).toBeLessThanOrEqual(summary.b_win_rate);
    expect(summary.b_win_rate_ci[1]).toBeGreaterThanOrEqual(summary.b_win_rate);
    expect(summary.sign_test_p_value).toBeGreaterThan(0);
    expect(summary.sign_test_p_value).toBeLessThanOrEqual(1);
    if (!Number.isNaN(summary.first_position_rate)) {
      expect(summary.first_position_rate).toBeGreaterThanOrEqual(0);
      expect(summary.first_position_rate).toBeLessThanOrEqual(1);
    }
    // The summary is what the comparison JSON stores.
    expect(JSON.parse(JSON.stringify(summary)).rows).toHaveLength(3);
  });
});
