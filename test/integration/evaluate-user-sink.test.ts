import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  evaluate,
  exactMatch,
  JudgeflowError,
  type RowResult,
  type RunSummary,
  type Sink,
} from '../../src/index.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { tempDir } from '../helpers/cli.js';

// A library user's sink next to the real MLflow sink: it runs after MLflow, so it sees the run's place
// in MLflow; and when it fails, the MLflow run is complete anyway and evaluate() says which sink failed.

const uri = inject('mlflowUri');
const client = new MlflowClient({ trackingUri: uri });
afterAll(() => client.close());

/** Recorded outputs (no model call): q2's answer is wrong, so exact_match/mean is 2/3. */
const records = (
  [
    ['q1', 'France', 'Paris', 'Paris'],
    ['q2', 'Italy', 'Milan', 'Rome'],
    ['q3', 'Spain', 'Madrid', 'Madrid'],
  ] as const
).map(([id, country, outputs, expected]) => ({
  id,
  inputs: { q: `capital of ${country}?` },
  outputs,
  expectations: { expected_response: expected },
}));

function userSink(options: { failFinish?: boolean } = {}) {
  const seen = { rows: [] as RowResult[], summary: undefined as RunSummary | undefined };
  const sink: Sink = {
    name: 'notifier',
    async start() {},
    write(result) {
      seen.rows.push(result);
    },
    async finish(summary) {
      seen.summary = structuredClone(summary);
      if (options.failFinish === true) throw new Error('chat server unreachable');
      return {};
    },
  };
  return { sink, seen };
}

describe('evaluate({sinks}) with MLflow', () => {
  it('gives a user sink every row and the summary with the MLflow run, which is complete', async () => {
    const { sink, seen } = userSink();
    const result = await evaluate({
      data: records,
      scorers: [exactMatch()],
      mlflow: { trackingUri: uri },
      sinks: [sink],
      experiment: `user-sink-${randomUUID()}`,
      outDir: path.join(await tempDir('user-sink-mlflow'), 'out'),
      env: {},
    });
    expect(seen.rows.map((r) => r.id).sort()).toEqual(['q1', 'q2', 'q3']);
    const runId = result.mlflow?.run_id ?? '';
    expect(runId).not.toBe('');
    expect(seen.summary?.mlflow?.run_id).toBe(runId);
    expect(seen.summary?.mlflow?.url).toBe(result.mlflow?.url);
    const run = await client.getRun(runId);
    expect(run.info.status).toBe('FINISHED');
    const metrics = Object.fromEntries((run.data?.metrics ?? []).map((m) => [m.key, m.value]));
    expect(metrics['exact_match/mean']).toBeCloseTo(2 / 3, 12);
  });

  it('a user sink failing in finish fails evaluate() by name; the MLflow run is complete all the same', async () => {
    const { sink, seen } = userSink({ failFinish: true });
    const experiment = `user-sink-fails-${randomUUID()}`;
    const error = await evaluate({
      data: records,
      scorers: [exactMatch()],
      mlflow: { trackingUri: uri },
      sinks: [sink],
      experiment,
      outDir: path.join(await tempDir('user-sink-mlflow-fails'), 'out'),
      env: {},
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JudgeflowError);
    expect((error as Error).message).toBe('writing results failed: notifier: chat server unreachable');
    const runId = seen.summary?.mlflow?.run_id ?? '';
    const run = await client.getRun(runId);
    expect(run.info.status).toBe('FINISHED');
    expect((run.data?.metrics ?? []).map((m) => m.key)).toContain('exact_match/mean');
  });
});
