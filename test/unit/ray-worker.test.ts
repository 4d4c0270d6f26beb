import { describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import type { DatasetRow } from '../../src/core/record.js';
import type { Scorer } from '../../src/core/scorer.js';
import { PROTOCOL_VERSION } from '../../src/executors/ray/protocol.js';
import { runWorker } from '../../src/executors/ray/worker.js';
import type { RowPipeline } from '../../src/runner/pipeline.js';

/** An async line source the test pushes into, like the worker's stdin. */
function lineSource() {
  const queue: Array<string | null> = [];
  let waiting: ((value: IteratorResult<string>) => void) | undefined;
  const iterable: AsyncIterable<string> = {
    [Symbol.asyncIterator]: () => ({
      next: () =>
        new Promise<IteratorResult<string>>((resolve) => {
          const item = queue.shift();
          if (item === undefined) waiting = resolve;
          else resolve(item === null ? { done: true, value: undefined } : { done: false, value: item });
        }),
    }),
  };
  const push = (item: string | null) => {
    if (waiting !== undefined) {
      const resolve = waiting;
      waiting = undefined;
      resolve(item === null ? { done: true, value: undefined } : { done: false, value: item });
    } else queue.push(item);
  };
  return { iterable, send: (message: object) => push(JSON.stringify(message)), close: () => push(null) };
}

function row(i: number): DatasetRow {
  return {
    record: {
      id: `r${i}`,
      inputs: { i },
      outputs: `out-${i}`,
      expectations: { expected_response: `out-${i}` },
    },
    index: i,
    location: { source: 'test', line: i + 1 },
  };
}

function hello(overrides: Record<string, unknown> = {}) {
  return {
    type: 'hello',
    protocol: PROTOCOL_VERSION,
    judgeflow_version: '1.2.3',
    plan: { baseDir: 'evals', scorers: ['exact_match'] },
    concurrency: 2,
    ...overrides,
  };
}

function startWorker(
  build: (plan: { baseDir: string }) => Promise<RowPipeline>,
  env: Record<string, string> = {},
) {
  const input = lineSource();
  const written: Array<Record<string, unknown>> = [];
  let onWrite: () => void = () => undefined;
  const exit = runWorker({
    input: input.iterable,
    write: (line) => {
      expect(line.endsWith('\n')).toBe(true);
      written.push(JSON.parse(line) as Record<string, unknown>);
      onWrite();
    },
    log: () => undefined,
    version: '1.2.3',
    env: readEnv(env, '/tmp'),
    cwd: '/work/dir',
    pid: 4242,
    build: (plan) => build(plan),
  });
  const until = async (predicate: () => boolean) => {
    while (!predicate()) await new Promise<void>((resolve) => (onWrite = resolve));
  };
  return { input, written, exit, until };
}

/** A pipeline whose scorer holds each row until the test releases it, counting rows in flight. */
function gatedPipeline() {
  let inFlight = 0;
  let maxInFlight = 0;
  const gates: Array<() => void> = [];
  const scorer: Scorer = {
    name: 'same',
    kind: 'code',
    score: async ({ outputs, expectations }) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((resolve) => gates.push(resolve));
      inFlight--;
      return outputs === expectations.expected_response;
    },
  };
  const pipeline: RowPipeline = { model: undefined, scorers: [scorer], close: async () => undefined };
  return { pipeline, gates, maxInFlight: () => maxInFlight };
}

describe('Ray Node worker (runWorker)', () => {
  it('answers the hello with ready, then one result line per row, at most K rows at a time', async () => {
    const gated = gatedPipeline();
    let builtWith: string | undefined;
    const worker = startWorker(async (plan) => {
      builtWith = plan.baseDir;
      return gated.pipeline;
    });
    worker.input.send(hello());
    await worker.until(() => worker.written.length === 1);
    expect(worker.written[0]).toEqual({
      type: 'ready',
      protocol: PROTOCOL_VERSION,
      judgeflow_version: '1.2.3',
      pid: 4242,
    });
    // a relative baseDir resolves against the actor's working directory
    expect(builtWith).toBe('/work/dir/evals');

    for (let i = 0; i < 5; i++) worker.input.send({ type: 'row', id: `r${i}`, row: row(i) });
    while (gated.gates.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(gated.gates.length).toBe(2); // K = 2: the other three wait
    while (worker.written.length < 6) {
      gated.gates.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(gated.maxInFlight()).toBe(2);
    const results = worker.written.slice(1);
    expect(results.map((m) => m.type)).toEqual(['result', 'result', 'result', 'result', 'result']);
    expect(results.map((m) => m.id).sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    const first = results[0]?.result as { id: string; feedbacks: Array<{ name: string; value: unknown }> };
    expect(first.id).toBe(results[0]?.id);
    expect(first.feedbacks).toEqual([expect.objectContaining({ name: 'same', value: true })]);

    worker.input.close();
    expect(await worker.exit).toBe(0);
  });

  it('refuses a driver of another judgeflow version with a fatal line naming both versions', async () => {
    const worker = startWorker(async () => {
      throw new Error('must not build');
    });
    worker.input.send(hello({ judgeflow_version: '9.9.9' }));
    expect(await worker.exit).toBe(2);
    expect(worker.written).toEqual([
      {
        type: 'fatal',
        code: 'version_mismatch',
        message: expect.stringContaining('worker judgeflow 1.2.3, driver 9.9.9'),
      },
    ]);
  });

  it('checks at its handshake that it has the environment variables the run needs, naming the missing ones', async () => {
    const worker = startWorker(
      async () => {
        throw new Error('must not build');
      },
      { MODEL_KEY: 'sk-here' },
    );
    worker.input.send(hello({ required_env: ['MODEL_KEY', 'JUDGE_KEY', 'OTHER_KEY'] }));
    expect(await worker.exit).toBe(2);
    expect(worker.written).toEqual([
      {
        type: 'fatal',
        code: 'missing_env',
        message: expect.stringMatching(
          /lacks environment variables JUDGE_KEY, OTHER_KEY, which the run needs/,
        ),
      },
    ]);
    expect(JSON.stringify(worker.written)).not.toContain('sk-here');

    const ok = startWorker(async () => gatedPipeline().pipeline, { MODEL_KEY: 'sk-here' });
    ok.input.send(hello({ required_env: ['MODEL_KEY'] }));
    await ok.until(() => ok.written.length === 1);
    expect(ok.written[0]).toMatchObject({ type: 'ready' });
    ok.input.close();
    expect(await ok.exit).toBe(0);
  });

  it('refuses another protocol version', async () => {
    const worker = startWorker(async () => gatedPipeline().pipeline);
    worker.input.send(hello({ protocol: PROTOCOL_VERSION + 1 }));
    expect(await worker.exit).toBe(2);
    expect(worker.written[0]).toMatchObject({ type: 'fatal', code: 'version_mismatch' });
    expect(String(worker.written[0]?.message)).toContain(`protocol ${PROTOCOL_VERSION}`);
  });

  it('reports a pipeline that cannot be built as a fatal start-up error', async () => {
    const worker = startWorker(async () => {
      throw new Error('cannot load module ./missing.ts');
    });
    worker.input.send(hello());
    expect(await worker.exit).toBe(2);
    expect(worker.written).toEqual([
      {
        type: 'fatal',
        code: 'worker_start',
        message: expect.stringContaining('cannot load module ./missing.ts'),
      },
    ]);
  });

  it('rejects a first line that is not a hello', async () => {
    const worker = startWorker(async () => gatedPipeline().pipeline);
    worker.input.send({ type: 'row', row: row(0) });
    expect(await worker.exit).toBe(2);
    expect(worker.written[0]).toMatchObject({ type: 'fatal', code: 'protocol' });
  });

  it('stops when its input closes, abandoning rows in flight (no result is written for them)', async () => {
    const gated = gatedPipeline();
    const worker = startWorker(async () => gated.pipeline);
    worker.input.send(hello());
    worker.input.send({ type: 'row', id: 'r0', row: row(0) });
    while (gated.gates.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    worker.input.close();
    expect(await worker.exit).toBe(0);
    gated.gates.shift()?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(worker.written.map((m) => m.type)).toEqual(['ready']);
  });
});
