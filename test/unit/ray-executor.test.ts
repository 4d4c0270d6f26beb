import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import type { DatasetRow } from '../../src/core/record.js';
import type { RowResult } from '../../src/core/result.js';
import { createRayExecutor, RayExecutorError } from '../../src/executors/ray/index.js';
import { withRunMetrics } from '../../src/observability/current.js';
import { RunMetrics } from '../../src/observability/metrics.js';

/**
 * The executor's own guarantees, against a fake bridge (a fault a real Ray cluster cannot produce on
 * demand): duplicate and unknown results are dropped, backpressure holds, a bridge that dies is an error.
 * The fake is an executable that the executor starts in place of Python.
 */
const FAKE_BRIDGE = `#!${process.execPath}
const readline = require('node:readline');
const mode = process.env.FAKE_MODE;
const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
let maxOutstanding = 0;
let outstanding = 0;
let rows = 0;
const result = (id, index) => ({ id, index, inputs: {}, outputs: 'x', expectations: {}, tags: {}, feedbacks: [], trace: { spans: [] }, usage: {}, durationMs: 1 });
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.type === 'hello') {
    if (mode === 'silent') return; // connects to nothing, says nothing
    if (mode === 'fatal') { out({ type: 'fatal', code: 'worker_start', message: 'w0: cannot build the pipeline: nope' }); process.exit(1); }
    out({ type: 'ready', protocol: m.protocol, judgeflow_version: m.judgeflow_version, capacity: 3, workers: [{ name: 'w0', pid: 1, actor_pid: 2 }] });
  } else if (m.type === 'row') {
    rows++;
    outstanding++;
    maxOutstanding = Math.max(maxOutstanding, outstanding);
    if (mode === 'die' && rows === 3) { console.error('bridge: something broke'); process.exit(3); }
    if (mode === 'restart' && (rows === 2 || rows === 5)) out({ type: 'notice', event: 'worker_restart', message: 'worker w0 died (exit code 137); restarting it (' + (rows === 2 ? 1 : 2) + '/3), its unfinished rows are re-dispatched' });
    setTimeout(() => {
      outstanding--;
      const r = result(m.row.record.id, m.row.index);
      out({ type: 'result', id: r.id, result: r });
      out({ type: 'result', id: r.id, result: { ...r, outputs: 'duplicate' } });
      out({ type: 'result', id: 'never-sent', result: result('never-sent', 99) });
    }, 5);
  } else if (m.type === 'end') {
    const finish = () => (outstanding > 0 ? setTimeout(finish, 5) : (out({ type: 'notice', message: 'max outstanding ' + maxOutstanding }), out({ type: 'done' }), process.exit(0)));
    finish();
  }
});
`;

let dir: string;
let fake: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'jf-fake-bridge-'));
  fake = path.join(dir, 'fake-python');
  writeFileSync(fake, FAKE_BRIDGE);
  chmodSync(fake, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function* rows(n: number): AsyncGenerator<DatasetRow> {
  for (let i = 0; i < n; i++) {
    yield { record: { id: `r${i}`, inputs: { i } }, index: i, location: { source: 't', line: i + 1 } };
  }
}

function run(mode: string, n: number, extra: { connectTimeoutS?: number; metrics?: RunMetrics } = {}) {
  const { metrics, ...options } = extra;
  const logs: string[] = [];
  const results: RowResult[] = [];
  const executor = createRayExecutor({
    plan: { baseDir: dir, scorers: [] },
    env: readEnv({ FAKE_MODE: mode }),
    home: dir,
    python: fake,
    workers: 1,
    workerConcurrency: 2,
    runName: 'fake',
    log: (line) => logs.push(line),
    ...options,
  });
  const done = withRunMetrics(metrics, () =>
    executor.execute(rows(n), {
      signal: new AbortController().signal,
      onResult: (result) => results.push(result),
    }),
  );
  return { done, logs, results };
}

describe('Ray executor with a fake bridge', () => {
  it('passes the first result per row id on and drops duplicates and unknown ids; keeps within capacity', async () => {
    const { done, logs, results } = run('ok', 20);
    await done;
    expect(results.map((r) => r.id).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`).sort());
    expect(results.every((r) => r.outputs === 'x')).toBe(true);
    expect(logs.some((line) => line.includes('not dispatched: never-sent'))).toBe(true);
    const max = Number(/max outstanding (\d+)/.exec(logs.join('\n'))?.[1]);
    expect(max).toBeGreaterThan(0);
    expect(max).toBeLessThanOrEqual(3);
  });

  it('counts each worker_restart notice of the bridge as a worker restart of the run, and logs it', async () => {
    const metrics = new RunMetrics({ run: 'fake' });
    const { done, logs, results } = run('restart', 8, { metrics });
    await done;
    expect(results).toHaveLength(8);
    const text = await metrics.text();
    expect(text).toContain('judgeflow_worker_restarts_total{run="fake"} 2');
    expect(logs.filter((line) => line.includes('restarting it'))).toHaveLength(2);
    // Other notices (here the fake's closing "max outstanding") are logged, not counted.
    expect(logs.some((line) => line.includes('max outstanding'))).toBe(true);
  });

  it('counts no restart in a run without worker_restart notices, and records nothing outside a run', async () => {
    const metrics = new RunMetrics({ run: 'fake' });
    await run('ok', 4, { metrics }).done;
    expect(await metrics.text()).not.toMatch(/^judgeflow_worker_restarts_total\{run="fake"\} [1-9]/m);
    // Without run metrics a restart notice is only logged.
    const { done, logs } = run('restart', 6);
    await done;
    expect(logs.filter((line) => line.includes('restarting it'))).toHaveLength(2);
  });

  it('turns a fatal line into a RayExecutorError with its failure kind', async () => {
    const error = await run('fatal', 5).done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RayExecutorError);
    expect((error as RayExecutorError).failure).toBe('worker_start');
    expect((error as Error).message).toContain('cannot build the pipeline: nope');
  });

  it('reports a bridge that dies mid-run, with its last stderr lines', async () => {
    const error = await run('die', 10).done.catch((e: unknown) => e);
    expect((error as RayExecutorError).failure).toBe('bridge_exit');
    expect((error as Error).message).toContain('exit code 3');
    expect((error as Error).message).toContain('bridge: something broke');
  });

  it('gives up on a cluster that does not answer within the connect timeout: exit 5, nothing run', async () => {
    const { done, results } = run('silent', 3, { connectTimeoutS: 1 });
    const error = await done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RayExecutorError);
    expect((error as RayExecutorError).failure).toBe('connect');
    expect((error as RayExecutorError).exitCode).toBe(5);
    expect((error as Error).message).toContain('could not connect to the Ray cluster within 1s');
    expect(results).toHaveLength(0);
  });
});
