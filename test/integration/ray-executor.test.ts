import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/commands/run.js';
import type { RowResult } from '../../src/core/result.js';
import { createRayExecutor, RayExecutorError, type RayWorkerInfo } from '../../src/executors/ray/index.js';
import { buildPipeline } from '../../src/runner/build.js';
import { runRow } from '../../src/runner/pipeline.js';
import {
  comparable,
  dashboardActors,
  isAlive,
  rayContext,
  rayEnv,
  streamOf,
  waitFor,
  writeEvalFolder,
} from './ray-fixtures.js';

let ray: Awaited<ReturnType<typeof rayContext>>;
const folders: string[] = [];

beforeAll(async () => {
  ray = await rayContext();
});
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

function folder(options: Parameters<typeof writeEvalFolder>[0]) {
  const made = writeEvalFolder(options);
  folders.push(made.dir);
  return made;
}

function executor(
  plan: ReturnType<typeof writeEvalFolder>['plan'],
  options: Partial<Parameters<typeof createRayExecutor>[0]> & { runName: string },
) {
  const logs: string[] = [];
  const created = createRayExecutor({
    plan,
    env: rayEnv(ray.address),
    home: ray.home,
    python: ray.python,
    workers: 2,
    workerConcurrency: 4,
    log: (line) => logs.push(line),
    ...options,
  });
  return { executor: created, logs };
}

describe('Ray executor against a real Ray head', () => {
  it('gives the same results as a local run, row by row, with readable actor names in the Dashboard', async () => {
    const { rows, plan } = folder({ rows: 30 });
    const pipeline = await buildPipeline(plan, { env: rayEnv(ray.address) });
    const local = new Map<string, unknown>();
    for (const row of rows) {
      local.set(row.record.id, comparable(await runRow(row, pipeline, new AbortController().signal)));
    }
    await pipeline.close();

    let workers: RayWorkerInfo[] = [];
    const started: string[] = [];
    const results: RowResult[] = [];
    const { executor: rayExecutor } = executor(plan, {
      runName: 'equality test',
      onWorkers: (w) => {
        workers = w;
      },
    });
    await rayExecutor.execute(streamOf(rows), {
      signal: new AbortController().signal,
      onResult: (result) => results.push(result),
      onRowStart: (row) => started.push(row.record.id),
    });

    expect(results).toHaveLength(rows.length);
    expect(new Set(results.map((r) => r.id)).size).toBe(rows.length);
    expect(started.sort()).toEqual(rows.map((r) => r.record.id).sort());
    for (const result of results) expect(comparable(result)).toEqual(local.get(result.id));
    // the run did score something both ways (guards against two empty results comparing equal)
    const exact = results.filter((r) =>
      r.feedbacks.some((f) => f.name === 'exact_match' && f.value === true),
    );
    expect(exact.length).toBeGreaterThan(5);
    expect(exact.length).toBeLessThan(rows.length);

    expect(workers.map((w) => w.name)).toEqual(['judgeflow-equality-test-w0', 'judgeflow-equality-test-w1']);
    const actors = await dashboardActors(ray.dashboardUrl);
    for (const worker of workers) {
      expect(actors).toContainEqual(expect.objectContaining({ name: worker.name, class_name: 'NodeWorker' }));
    }
    // the run is over: its Node workers are gone
    expect(await waitFor(() => workers.every((w) => !isAlive(w.pid)), 15_000)).toBe(true);
  });

  it('completes every row exactly once when a Node worker is SIGKILLed mid-run', async () => {
    const { rows, plan } = folder({ rows: 60, sleepMs: 150 });
    let workers: RayWorkerInfo[] = [];
    const counts = new Map<string, number>();
    let killed: number | undefined;
    const { executor: rayExecutor, logs } = executor(plan, {
      runName: 'kill node worker',
      onWorkers: (w) => {
        workers = w;
      },
    });
    await rayExecutor.execute(streamOf(rows), {
      signal: new AbortController().signal,
      onResult: (result) => {
        counts.set(result.id, (counts.get(result.id) ?? 0) + 1);
        if (killed === undefined && counts.size === 8) {
          killed = workers[0]!.pid;
          process.kill(killed, 'SIGKILL');
        }
      },
    });
    expect(killed).toBeDefined();
    expect(counts.size).toBe(rows.length);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(logs.some((line) => line.includes('re-dispatched') && line.includes('SIGKILL'))).toBe(true);
  });

  it('completes every row exactly once when the Ray actor process is SIGKILLed, and its Node worker does not linger', async () => {
    const { rows, plan } = folder({ rows: 60, sleepMs: 150 });
    let workers: RayWorkerInfo[] = [];
    const counts = new Map<string, number>();
    let victim: RayWorkerInfo | undefined;
    const { executor: rayExecutor, logs } = executor(plan, {
      runName: 'kill actor',
      onWorkers: (w) => {
        workers = w;
      },
    });
    await rayExecutor.execute(streamOf(rows), {
      signal: new AbortController().signal,
      onResult: (result) => {
        counts.set(result.id, (counts.get(result.id) ?? 0) + 1);
        if (victim === undefined && counts.size === 8) {
          victim = workers[1]!;
          process.kill(victim.actor_pid, 'SIGKILL');
        }
      },
    });
    expect(victim).toBeDefined();
    expect(counts.size).toBe(rows.length);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(logs.some((line) => line.includes('the Ray actor died'))).toBe(true);
    // the orphaned Node worker saw its stdin close and exited
    expect(await waitFor(() => !isAlive(victim!.pid), 15_000)).toBe(true);
  });

  it('fails clearly, without hanging, when the workers crash on start', async () => {
    const { rows, plan } = folder({
      rows: 5,
      extraFiles: {
        'broken.ts': "throw new Error('boom while importing broken.ts');\nexport const x = 1;\n",
      },
    });
    const broken = {
      ...plan,
      scorers: [...plan.scorers, { type: 'module', path: './broken.ts', export: 'x' }],
    };
    const { executor: rayExecutor } = executor(broken, { runName: 'crash on start' });
    const error = await rayExecutor
      .execute(streamOf(rows), { signal: new AbortController().signal, onResult: () => undefined })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(RayExecutorError);
    expect((error as RayExecutorError).failure).toBe('worker_start');
    expect((error as RayExecutorError).exitCode).not.toBe(0);
    expect((error as Error).message).toContain('boom while importing broken.ts');
  });

  it('judgeflow run --executor ray exits non-zero with the reason when the workers cannot start', async () => {
    // The scorer exists here but is .gitignored, so Ray's working_dir upload leaves it out: only the
    // workers fail to build the pipeline.
    const { dir } = folder({ rows: 4 });
    writeFileSync(path.join(dir, '.gitignore'), 'scorers.ts\n');
    let stderr = '';
    const sink = {
      write: (text: string) => {
        stderr += text;
        return true;
      },
    } as unknown as NodeJS.WriteStream;
    const code = await runCommand(
      path.join(dir, 'eval.yaml'),
      {
        failUnder: [],
        mlflow: false,
        executor: 'ray',
        rayAddress: ray.address,
        rayPython: ray.python,
        workers: 1,
        workerConcurrency: 2,
        progress: false,
        out: path.join(dir, 'out'),
      },
      { stdout: sink, stderr: sink, env: { ...process.env, JUDGEFLOW_HOME: ray.home }, cwd: dir },
    );
    // workers that cannot start are an infrastructure failure (5), never 1 ("a quality gate failed")
    expect(code).toBe(5);
    expect(stderr).toMatch(/Ray run failed: .*-w0: cannot build the pipeline: .*scorers\.ts/);
  });

  it('fails clearly when the worker command itself dies at once', async () => {
    const { rows, plan } = folder({ rows: 3 });
    const { executor: rayExecutor } = executor(plan, {
      runName: 'bad command',
      workerCommand: [process.execPath, '-e', 'console.error("no judgeflow here"); process.exit(3)'],
    });
    const error = await rayExecutor
      .execute(streamOf(rows), { signal: new AbortController().signal, onResult: () => undefined })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as RayExecutorError).failure).toBe('worker_start');
    expect((error as Error).message).toMatch(
      /exited during start-up \(exit code 3\)[\s\S]*no judgeflow here/,
    );
  });

  it('fails with worker_crash_loop when a worker keeps dying on rows', async () => {
    const { rows, plan } = folder({
      rows: 6,
      extraFiles: { 'killer.ts': 'export function killer() { process.exit(7); }\n' },
    });
    const deadly = { ...plan, scorers: [{ type: 'module', path: './killer.ts', export: 'killer' }] };
    const { executor: rayExecutor } = executor(deadly, { runName: 'crash loop', workers: 1, maxRestarts: 1 });
    const results: RowResult[] = [];
    const error = await rayExecutor
      .execute(streamOf(rows), { signal: new AbortController().signal, onResult: (r) => results.push(r) })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as RayExecutorError).failure).toBe('worker_crash_loop');
    expect((error as Error).message).toContain('exit code 7');
    expect(results).toHaveLength(0);
  });

  it('refuses workers of another judgeflow version with a clear handshake error', async () => {
    const { rows, plan } = folder({ rows: 3 });
    const { executor: rayExecutor } = executor(plan, {
      runName: 'version mismatch',
      driverVersion: '0.0.0-other',
    });
    const error = await rayExecutor
      .execute(streamOf(rows), { signal: new AbortController().signal, onResult: () => undefined })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as RayExecutorError).failure, String(error)).toBe('version_mismatch');
    expect((error as Error).message).toMatch(/worker judgeflow \d+\.\d+\.\d+.*, driver 0\.0\.0-other/);
  });

  it('stops dispatching on abort, lets rows in flight finish, and stops its workers', async () => {
    const { rows, plan } = folder({ rows: 200, sleepMs: 200 });
    let workers: RayWorkerInfo[] = [];
    const stop = new AbortController();
    const results: RowResult[] = [];
    const { executor: rayExecutor } = executor(plan, {
      runName: 'interrupted',
      onWorkers: (w) => {
        workers = w;
      },
    });
    await rayExecutor.execute(streamOf(rows), {
      signal: stop.signal,
      onResult: (result) => {
        results.push(result);
        if (results.length === 10) stop.abort();
      },
    });
    expect(results.length).toBeGreaterThanOrEqual(10);
    expect(results.length).toBeLessThan(rows.length);
    expect(new Set(results.map((r) => r.id)).size).toBe(results.length);
    expect(await waitFor(() => workers.every((w) => !isAlive(w.pid)), 15_000)).toBe(true);
  });

  it('abandons rows in flight on a second interrupt (abortRows) and stops its workers', async () => {
    const { rows, plan } = folder({ rows: 200, sleepMs: 2000 });
    let workers: RayWorkerInfo[] = [];
    const stop = new AbortController();
    const abortRows = new AbortController();
    const results: RowResult[] = [];
    const late: RowResult[] = [];
    const { executor: rayExecutor } = executor(plan, {
      runName: 'aborted',
      onWorkers: (w) => {
        workers = w;
      },
    });
    await rayExecutor.execute(streamOf(rows), {
      signal: stop.signal,
      abortRows: abortRows.signal,
      onResult: (result) => {
        if (abortRows.signal.aborted) late.push(result);
        results.push(result);
        // rows with recorded outputs finish at once; the others sleep 2 s, so these are in flight now
        if (results.length === 5) {
          stop.abort();
          abortRows.abort();
        }
      },
    });
    expect(results).toHaveLength(5);
    expect(late).toEqual([]);
    expect(workers).toHaveLength(2);
    expect(await waitFor(() => workers.every((w) => !isAlive(w.pid) && !isAlive(w.actor_pid)), 15_000)).toBe(
      true,
    );
  });
});
