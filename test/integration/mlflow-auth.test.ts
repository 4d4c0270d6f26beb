import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { MlflowError } from '../../src/core/errors.js';
import { requirePythonEnv } from '../../src/setup/python-env.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { createMlflowSink } from '../../src/sinks/mlflow/sink.js';
import { referenceFeedbacks, referenceRows, rowResult, startInfo, summaryFor } from './mlflow-fixtures.js';
import { startMlflowServer, type TestMlflowServer, testHome } from './servers/mlflow.js';

// A real server started with `--app-name basic-auth`. MLflow 3.17 ships no default admin password:
// the first start needs one (config `admin_password` or MLFLOW_AUTH_ADMIN_PASSWORD), and it refuses
// the old default `password1234`.

let server: TestMlflowServer;
const admin = { username: 'admin', password: `pw-${randomUUID()}` };
const run = promisify(execFile);

/**
 * The basic-auth app needs Flask-WTF (`mlflow[auth]`). When the pinned venv lacks it, the test adds
 * it for the auth server only: a pinned two-package overlay on that process's PYTHONPATH.
 */
async function authOverlay(): Promise<string | undefined> {
  const python = await requirePythonEnv(testHome(), 'mlflow');
  try {
    await run(python, ['-c', 'import flask_wtf']);
    return undefined;
  } catch {
    // not in the venv: use the overlay
  }
  const dir = path.join(os.tmpdir(), 'judgeflow-mlflow-auth-overlay');
  if (!existsSync(path.join(dir, 'flask_wtf'))) {
    await run(python, [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '-q',
      '--no-deps',
      '--target',
      dir,
      'Flask-WTF==1.3.0',
      'WTForms==3.2.1',
    ]);
  }
  return dir;
}

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-mlflow-auth-'));
  const ini = path.join(dir, 'basic_auth.ini');
  await writeFile(
    ini,
    [
      '[mlflow]',
      'default_permission = READ',
      `database_uri = sqlite:///${path.join(dir, 'basic_auth.db')}`,
      `admin_username = ${admin.username}`,
      `admin_password = ${admin.password}`,
      'authorization_function = mlflow.server.auth:authenticate_request_basic_auth',
      '',
    ].join('\n'),
  );
  const overlay = await authOverlay();
  server = await startMlflowServer({
    dir,
    extraArgs: ['--app-name', 'basic-auth'],
    env: {
      MLFLOW_FLASK_SERVER_SECRET_KEY: randomUUID(),
      MLFLOW_AUTH_CONFIG_PATH: ini,
      ...(overlay !== undefined ? { PYTHONPATH: overlay } : {}),
    },
  });
});

afterAll(async () => {
  await server?.cleanup();
});

describe('MLflow basic auth', () => {
  it('a wrong password is a clear 401 error naming the credentials to set', async () => {
    const env = readEnv({ MLFLOW_TRACKING_USERNAME: admin.username, MLFLOW_TRACKING_PASSWORD: 'wrong' });
    const client = new MlflowClient({ trackingUri: server.uri, env });
    const error = await client.getOrCreateExperiment('auth').catch((e: unknown) => e);
    await client.close();
    expect(error).toBeInstanceOf(MlflowError);
    expect(error).toMatchObject({ status: 401, retryable: false });
    expect((error as Error).message).toMatch(
      /rejected the credentials .*MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD/,
    );
  });

  it('no credentials at all is the same clear error, and the sink refuses to start on it', async () => {
    const client = new MlflowClient({ trackingUri: server.uri, env: readEnv({}) });
    const rows = referenceRows().map((row, i) => rowResult(row, i, referenceFeedbacks(row)));
    const sink = createMlflowSink({ client });
    await expect(
      sink.start(await startInfo({ experiment: `auth-${randomUUID()}`, rows })),
    ).rejects.toMatchObject({
      status: 401,
    });
    await client.close();
  });

  it('the right password writes a whole evaluation (REST, OTLP spans and artifact uploads)', async () => {
    const env = readEnv({
      MLFLOW_TRACKING_USERNAME: admin.username,
      MLFLOW_TRACKING_PASSWORD: admin.password,
    });
    const client = new MlflowClient({ trackingUri: server.uri, env });
    const rows = referenceRows().map((row, i) => rowResult(row, i, referenceFeedbacks(row)));
    const info = await startInfo({ experiment: `auth-${randomUUID()}`, rows });
    const sink = createMlflowSink({ client });
    await sink.start(info);
    for (const row of rows) sink.write(row);
    const report = await sink.finish(summaryFor(rows));
    expect(report.pendingWrites).toBe(0);
    const runId = report.summaryPatch?.mlflow?.run_id ?? '';
    const experimentId = report.summaryPatch?.mlflow?.experiment_id ?? '';
    const traces = await client.searchTraces({
      experimentIds: [experimentId],
      filter: `attributes.run_id = '${runId}'`,
    });
    expect(traces.traces).toHaveLength(rows.length);
    const full = await client.getTrace(traces.traces[0]?.trace_id ?? '');
    expect(full?.spans.length).toBeGreaterThan(0);
    const run = await client.getRun(runId);
    expect(run.info.status).toBe('FINISHED');
    const files = await client.listArtifacts({ artifactUri: run.info.artifact_uri ?? '' });
    expect(files.map((f) => f.path)).toContain('summary.json');
    await client.close();
  });
});
