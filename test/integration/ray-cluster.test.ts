import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunCliOptions, runCommand } from '../../src/cli/commands/run.js';
import { validateCommand } from '../../src/cli/commands/validate.js';
import { MlflowClient } from '../../src/sinks/mlflow/index.js';
import { captureIo, repoRoot, tempDir } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { type LatencyServer, startLatencyServer } from '../helpers/latency-server.js';
import { rayContext, waitFor, writeEvalFolder } from './ray-fixtures.js';

/**
 * Ray that behaves like Ray: no cluster means a local head for the run (stopped after it), an address
 * where nothing listens fails fast with exit 5, workers that lack the run's API keys fail the run before
 * its first row with exit 5, `--ray` names the cluster, a setting that does not apply under Ray is
 * reported instead of logged as if it did, and examples/parallel_eval.ts runs on Ray into MLflow.
 */

let ray: Awaited<ReturnType<typeof rayContext>>;
let client: MlflowClient;
let server: LatencyServer;
const trackingUri = inject('mlflowUri');
const cleanup: string[] = [];

beforeAll(async () => {
  ray = await rayContext();
  client = new MlflowClient({ trackingUri });
  server = await startLatencyServer({ latencyMs: 1 });
});
afterAll(async () => {
  await client?.close();
  await server?.close();
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

function options(overrides: Partial<RunCliOptions>): RunCliOptions {
  return {
    failUnder: [],
    mlflow: true,
    trackingUri,
    executor: 'ray',
    workers: 1,
    workerConcurrency: 4,
    rayPython: ray.python,
    progress: false,
    ...overrides,
  };
}

async function runsIn(
  experiment: string,
): Promise<Array<{ name: string | undefined; status: string | undefined }>> {
  const found = await client.getExperimentByName(experiment);
  if (found === undefined) return [];
  const { runs } = await client.searchRuns({ experimentIds: [found.experiment_id] });
  return runs.map((r) => ({ name: r.info.run_name, status: r.info.status }));
}

/** Pids of processes whose command line mentions `text` (a Ray head's temp dir is in all of them). */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe('judgeflow run --executor ray: clusters', () => {
  it('fails within seconds with exit 5 when nothing listens at the address, leaving nothing behind', async () => {
    const { dir } = writeEvalFolder({ rows: 4 });
    cleanup.push(dir);
    const port = await freePort();
    const out = path.join(dir, 'out');
    const experiment = `ray-nothing-${randomUUID().slice(0, 8)}`;
    const { io, stderr } = captureIo({ cwd: dir, env: { JUDGEFLOW_HOME: ray.home } });
    const code = await runCommand(
      path.join(dir, 'eval.yaml'),
      options({ ray: `127.0.0.1:${port}`, out, experiment }),
      io,
    );
    expect(code, stderr()).toBe(5);
    expect(stderr()).toMatch(new RegExp(`nothing answers at 127\\.0\\.0\\.1:${port}`));
    expect(existsSync(out)).toBe(false);
    expect(await runsIn(experiment)).toEqual([]);
  });

  it('fails before the first row with exit 5 when the workers lack the API key variables, naming them', async () => {
    const { dir } = writeEvalFolder({ rows: 4 });
    cleanup.push(dir);
    // The judge needs JF_RAY_TEST_KEY: the driver has it, the cluster (started without it) does not.
    const evalPath = path.join(dir, 'eval.yaml');
    await writeFile(
      evalPath,
      `${await readFile(evalPath, 'utf8')}  - {type: guidelines, name: polite, guidelines: "Be polite."}\njudge: {model: {provider: openai-compatible, base_url: "${server.baseUrl}", model: j, api_key_env: JF_RAY_TEST_KEY}}\n`,
    );
    const out = path.join(dir, 'out');
    const experiment = `ray-keys-${randomUUID().slice(0, 8)}`;
    const { io, stderr } = captureIo({
      cwd: dir,
      env: { JUDGEFLOW_HOME: ray.home, JF_RAY_TEST_KEY: 'sk-driver-only' },
    });
    const before = server.received;
    const code = await runCommand(evalPath, options({ ray: ray.address, out, experiment }), io);
    expect(code, stderr()).toBe(5);
    expect(stderr()).toMatch(/lacks environment variable JF_RAY_TEST_KEY, which the run needs/);
    expect(stderr()).not.toContain('sk-driver-only');
    expect(server.received).toBe(before);
    expect(existsSync(out)).toBe(false);
    expect(await runsIn(experiment)).toEqual([]);
  });

  it('with no address and no cluster, starts a local head like ray.init(), runs, logs to MLflow, stops the head', async () => {
    const { dir } = writeEvalFolder({ rows: 12 });
    cleanup.push(dir);
    const evalPath = path.join(dir, 'eval.yaml');
    await writeFile(evalPath, `${await readFile(evalPath, 'utf8')}concurrency: 8\n`);
    // A private Ray temp dir: no cluster of anyone else's on this machine is found, and the head's
    // processes can be told apart (the dir is in their command lines). Short: Unix socket paths.
    const rayTmp = mkdtempSync('/tmp/jfl-');
    cleanup.push(rayTmp);
    const out = path.join(dir, 'out');
    const experiment = `ray-local-${randomUUID().slice(0, 8)}`;
    const userToken = path.join(homedir(), '.ray', 'auth_token');
    const userTokenBefore = existsSync(userToken);
    const env: Record<string, string | undefined> = {
      JUDGEFLOW_HOME: ray.home,
      RAY_TMPDIR: rayTmp,
      RAY_ADDRESS: undefined,
    };
    const { io, stderr, stdout } = captureIo({ cwd: dir, env });
    delete io.env.RAY_ADDRESS;
    // The integration tier turns Ray's token auth off for its shared head; this run's own head must
    // use it as a user's would (judgeflow's token file, not a machine-wide one).
    delete io.env.RAY_AUTH_MODE;
    const code = await runCommand(
      evalPath,
      options({ executor: 'ray', out, experiment, runName: 'local-head' }),
      io,
    );
    expect(code, stderr()).toBe(0);
    expect(stderr()).toMatch(/started a local Ray head for this run .*dashboard http:\/\/127\.0\.0\.1:\d+/);
    // the eval file's concurrency does not apply under Ray: reported, not logged as a param
    expect(stderr()).toMatch(/eval\.yaml:\d+: concurrency: 8 does not apply under --executor ray/);
    expect(stdout()).toContain('mlflow run:');
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ rows: 12, failed_rows: 0, status: 'FINISHED' });
    const runs = await runsIn(experiment);
    expect(runs).toEqual([{ name: 'local-head', status: 'FINISHED' }]);
    const run = await client.getRun(summary.mlflow.run_id);
    const params = Object.fromEntries((run.data?.params ?? []).map((p) => [p.key, p.value]));
    expect(params).toMatchObject({ executor: 'ray', 'ray.workers': '1', 'ray.worker_concurrency': '4' });
    expect(params).not.toHaveProperty('concurrency');
    // the head this run started is gone with it
    expect(await waitFor(() => processesMentioning(rayTmp).length === 0, 30_000)).toBe(true);
    // its token auth used judgeflow's own token file: no machine-wide ~/.ray/auth_token was left behind
    // (one there would turn token auth on for every later `ray start` on this machine)
    if (!userTokenBefore) {
      expect(existsSync(userToken)).toBe(false);
      expect(stderr()).toContain(`its token in ${path.join(ray.home, 'ray', 'auth_token')}`);
    }
  });

  it('--ray names the cluster for run and validate alike; --ray-address still works, with a warning', async () => {
    const { dir } = writeEvalFolder({ rows: 3 });
    cleanup.push(dir);
    const evalPath = path.join(dir, 'eval.yaml');
    const checked = captureIo({ cwd: dir });
    expect(await validateCommand(evalPath, checked.io, { ray: ray.address })).toBe(0);
    const old = captureIo({ cwd: dir, env: { JUDGEFLOW_HOME: ray.home } });
    const code = await runCommand(
      evalPath,
      options({ rayAddress: ray.address, mlflow: false, out: path.join(dir, 'out') }),
      old.io,
    );
    expect(code, old.stderr()).toBe(0);
    expect(old.stderr()).toContain('--ray-address is deprecated; use --ray');
    expect(old.stderr()).toContain(`connected to the Ray cluster at ${ray.address}; dashboard http`);
  });
});

describe('examples/parallel_eval.ts', () => {
  it('runs an evaluation on Ray, lands it in MLflow and prints the Ray dashboard URL', async () => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      MLFLOW_TRACKING_URI: trackingUri,
      RAY_ADDRESS: ray.address,
      JUDGEFLOW_RAY_PYTHON: ray.python,
      JUDGEFLOW_HOME: ray.home,
    };
    delete env.OPENAI_API_KEY;
    const cwd = await tempDir('parallel-example');
    // tsx by absolute URL: the example runs from an empty folder (its results folder goes there)
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const child = spawn(
      process.execPath,
      ['--import', tsx, path.join(repoRoot, 'examples/parallel_eval.ts')],
      {
        cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/Ray dashboard: http:\/\/127\.0\.0\.1:\d+/);
    const url = /mlflow run: (\S+)/.exec(stdout)?.[1];
    expect(url).toBeDefined();
    const runId = /selectedRunUuid=([0-9a-f]+)/.exec(url as string)?.[1] as string;
    const run = await client.getRun(runId);
    expect(run.info.status).toBe('FINISHED');
    const metrics = Object.fromEntries((run.data?.metrics ?? []).map((m) => [m.key, m.value]));
    // 8 of the 10 questions are answered right; the other 2 are admitted as unknown
    expect(metrics['exact_match/mean']).toBeCloseTo(0.8, 6);
    expect(metrics['admits_ignorance/mean']).toBeCloseTo(0.2, 6);
  });
});
