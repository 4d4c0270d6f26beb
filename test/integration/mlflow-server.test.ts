import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlflowDownCommand, mlflowStatusCommand, mlflowUpCommand } from '../../src/cli/commands/mlflow.js';
import { type Env, readEnv } from '../../src/config/env.js';
import { ConfigError, InfrastructureError } from '../../src/core/errors.js';
import { venvDir } from '../../src/setup/python-env.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { postgresBinDir, startPostgres, stopPostgres } from '../../src/sinks/mlflow/local-server/postgres.js';
import { postgresLaunch } from '../../src/sinks/mlflow/local-server/postgres-cluster.js';
import { processTree } from '../../src/sinks/mlflow/local-server/processes.js';
import { serverFolder } from '../../src/sinks/mlflow/local-server/store.js';
import { mlflowDown, mlflowStatus, mlflowUp, resolveTrackingUri } from '../../src/sinks/mlflow/server.js';
import { freePort } from '../helpers/free-port.js';
import { testHome } from './servers/mlflow.js';

// The local server judgeflow manages (`judgeflow mlflow up|down|status`) on its default PostgreSQL
// store, in a throwaway data folder that borrows the pinned venv. The SQLite store and the migration
// between them are in mlflow-store-migration.test.ts.

/** Secrets in the caller's environment that no process of the local server may see. */
const planted = {
  OPENAI_API_KEY: `sk-planted-${randomUUID()}`,
  ANTHROPIC_API_KEY: `sk-ant-planted-${randomUUID()}`,
  MLFLOW_TRACKING_PASSWORD: `pw-planted-${randomUUID()}`,
  MLFLOW_TRACKING_TOKEN: `tok-planted-${randomUUID()}`,
  AWS_SECRET_ACCESS_KEY: `aws-planted-${randomUUID()}`,
  RAY_AUTH_TOKEN: `ray-planted-${randomUUID()}`,
};

let home: string;
let env: Env;

function source(): Record<string, string | undefined> {
  return { ...process.env, ...planted, JUDGEFLOW_HOME: home, MLFLOW_TRACKING_URI: undefined };
}

function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: { write: (text: string) => (out.stdout += text) },
      stderr: { write: (text: string) => (out.stderr += text) },
      env: source(),
      cwd: home,
    },
  };
}

/** `/proc/<pid>/environ` as a map (the process must be readable: same user, or root). */
function environOf(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const at = entry.indexOf('=');
    if (at > 0) out[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-home-'));
  await mkdir(path.join(home, 'venvs'), { recursive: true });
  await symlink(venvDir(testHome(), 'mlflow'), venvDir(home, 'mlflow'));
  env = readEnv(source(), home);
});

afterAll(async () => {
  await mlflowDown({ home }).catch(() => undefined);
  await rm(home, { recursive: true, force: true });
});

describe('local MLflow server on PostgreSQL', () => {
  /** The running server: its URL, port, and both pids. */
  let first: { uri: string; port: number; pid: number; postgresPid: number };
  let experimentId: string;
  const remember = (up: Awaited<ReturnType<typeof mlflowUp>>) => {
    first = { uri: up.uri, port: up.port, pid: up.pid, postgresPid: up.postgresPid ?? 0 };
  };

  it('up starts MLflow and PostgreSQL detached, data under the data folder, both pids recorded', async () => {
    const port = await freePort();
    const printed = capture();
    expect(await mlflowUpCommand({ port }, printed.io)).toBe(0);
    expect(printed.out.stdout).toContain(`MLflow UI: http://127.0.0.1:${port}`);
    expect(printed.out.stdout).toContain('`judgeflow mlflow down` stops it');
    const status = await mlflowStatus({ home, env });
    expect(status).toMatchObject({ running: true, healthy: true, postgresRunning: true, version: '3.17.2' });
    const record = status.record;
    expect(record).toMatchObject({ port, store: 'postgres', workers: 2 });
    expect(record?.postgres?.data).toBe(path.join(home, 'mlflow', 'postgres', 'data'));
    expect(existsSync(path.join(home, 'mlflow', 'postgres', 'data', 'PG_VERSION'))).toBe(true);
    expect(existsSync(path.join(home, 'mlflow', 'mlflow.db'))).toBe(false);
    expect(readFileSync(path.join(home, 'mlflow', 'store'), 'utf8').trim()).toBe('postgres');
    // PostgreSQL listens on loopback only, with a password (never `trust`).
    const postmaster = readFileSync(path.join(home, 'mlflow', 'postgres', 'data', 'postmaster.pid'), 'utf8');
    expect(postmaster.split('\n')[5]).toBe('127.0.0.1');
    expect(readFileSync(path.join(home, 'mlflow', 'postgres', 'data', 'pg_hba.conf'), 'utf8')).not.toMatch(
      /^\s*host\b.*\btrust\b/m,
    );
    first = { uri: record?.uri ?? '', port, pid: record?.pid ?? 0, postgresPid: record?.postgres?.pid ?? 0 };
    const client = new MlflowClient({ trackingUri: first.uri, env });
    experimentId = (await client.getOrCreateExperiment(`pg-${randomUUID().slice(0, 8)}`)).experiment
      .experiment_id;
    await client.close();
  });

  it("gives the server's processes a minimal environment: no planted key reaches any of them", () => {
    const pids = [...processTree(first.pid), ...processTree(first.postgresPid)];
    // mlflow server, uvicorn and its 2 workers; the postmaster and its background processes
    expect(pids.length).toBeGreaterThanOrEqual(6);
    for (const pid of pids) {
      const environ = environOf(pid);
      const text = Object.entries(environ)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n');
      for (const [name, value] of Object.entries(planted)) {
        expect(text, `${name} in /proc/${pid}/environ`).not.toContain(value);
      }
    }
    // PostgreSQL's children reuse their environ area for their process titles; the others keep it.
    for (const pid of [...processTree(first.pid), first.postgresPid]) {
      expect(environOf(pid).PATH, `PATH of ${pid}`).toBeDefined();
    }
    const mlflowEnv = environOf(first.pid);
    expect(mlflowEnv).toMatchObject({
      MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
      MLFLOW_DISABLE_TELEMETRY: 'true',
      PGPASSFILE: path.join(home, 'mlflow', 'postgres', 'passfile'),
    });
    expect(Object.keys(mlflowEnv).filter((name) => name.startsWith('AWS_'))).toEqual([]);
    const postgresEnv = environOf(first.postgresPid);
    expect(Object.keys(postgresEnv).filter((name) => name.startsWith('MLFLOW_'))).toEqual([]);
  });

  it('up again finds it; status says it keeps running and how to stop it; runs resolve to it', async () => {
    const again = await mlflowUp({ home, env });
    expect(again).toMatchObject({ uri: first.uri, pid: first.pid, alreadyRunning: true, store: 'postgres' });
    await expect(mlflowUp({ home, env, port: first.port + 1 })).rejects.toThrow(/already runs with port/);
    await expect(mlflowUp({ home, env, store: 'sqlite' })).rejects.toThrow(/already runs with store/);

    const printed = capture();
    expect(await mlflowStatusCommand(printed.io)).toBe(0);
    expect(printed.out.stdout).toContain(`running — ${first.uri}`);
    expect(printed.out.stdout).toContain(`PostgreSQL: running (pid ${first.postgresPid}`);
    expect(printed.out.stdout).toContain('keeps running after runs end');
    expect(printed.out.stdout).toContain('judgeflow mlflow down');

    expect(await resolveTrackingUri({ env, home })).toEqual({ uri: first.uri, local: true, started: false });
    expect(await resolveTrackingUri({ env, home, flag: 'http://elsewhere:5000/' })).toEqual({
      uri: 'http://elsewhere:5000',
      local: false,
      started: false,
    });
    expect(await resolveTrackingUri({ env, home, noMlflow: true })).toBeUndefined();
  });

  it('down stops both processes, and the next up restarts on the same data', async () => {
    const down = capture();
    expect(await mlflowDownCommand(down.io)).toBe(0);
    expect(down.out.stdout).toContain(
      `MLflow stopped (pid ${first.pid}, PostgreSQL pid ${first.postgresPid})`,
    );
    expect(alive(first.pid)).toBe(false);
    expect(() => process.kill(-first.pid, 0)).toThrow();
    expect(alive(first.postgresPid)).toBe(false);
    expect(existsSync(path.join(home, 'mlflow', 'server.json'))).toBe(false);
    expect(existsSync(path.join(home, 'mlflow', 'postgres', 'data', 'postmaster.pid'))).toBe(false);
    const stopped = capture();
    await mlflowStatusCommand(stopped.io);
    expect(stopped.out.stdout).toContain('not running');

    const second = await mlflowUp({ home, env, port: first.port });
    expect(second.pid).not.toBe(first.pid);
    expect(second.postgresPid).not.toBe(first.postgresPid);
    const client = new MlflowClient({ trackingUri: second.uri, env });
    expect((await client.getExperiment(experimentId)).experiment_id).toBe(experimentId);
    await client.close();
    remember(second);
  });

  it('an MLflow server that died leaves PostgreSQL behind: up cleans it up and starts both again', async () => {
    process.kill(-first.pid, 'SIGKILL');
    while (alive(first.pid)) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alive(first.postgresPid)).toBe(true);
    const lines: string[] = [];
    const up = await mlflowUp({ home, env, port: first.port, log: (line) => lines.push(line) });
    expect(lines.join('\n')).toContain('not running whole');
    expect(alive(first.postgresPid)).toBe(false);
    expect(up.postgresPid).not.toBe(first.postgresPid);
    remember(up);
  });

  it('a stale postmaster.pid (its pid now another program) does not block the next start', async () => {
    const postgresTree = processTree(first.postgresPid);
    process.kill(-first.pid, 'SIGKILL');
    for (const pid of postgresTree) process.kill(pid, 'SIGKILL');
    while (postgresTree.some(alive) || alive(first.pid))
      await new Promise((resolve) => setTimeout(resolve, 50));
    const pidFile = path.join(home, 'mlflow', 'postgres', 'data', 'postmaster.pid');
    expect(existsSync(pidFile)).toBe(true);
    // The recorded postmaster pid is recycled: now it is this test process.
    const lines = readFileSync(pidFile, 'utf8').split('\n');
    lines[0] = String(process.pid);
    await writeFile(pidFile, lines.join('\n'));
    const log: string[] = [];
    const up = await mlflowUp({ home, env, port: first.port, log: (line) => log.push(line) });
    expect(log.join('\n')).toContain('removing the stale');
    const client = new MlflowClient({ trackingUri: up.uri, env });
    expect((await client.getExperiment(experimentId)).experiment_id).toBe(experimentId);
    await client.close();
    expect((await mlflowDown({ home })).stopped).toBe(true);
  });

  it('reports a port held by another program instead of fighting for it (exit 2)', async () => {
    const sockets = new Set<net.Socket>();
    const blocker = net.createServer((socket) => {
      sockets.add(socket); // accepts and never answers
    });
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const printed = capture();
      // a taken --port is invalid input (2), as the exit-code contract says; 1 means a quality gate failed
      expect(await mlflowUpCommand({ port }, printed.io)).toBe(2);
      expect(printed.out.stderr).toContain(`port ${port} is already in use by another program`);
      expect(existsSync(path.join(home, 'mlflow', 'server.json'))).toBe(false);
      // PostgreSQL given a taken port says which port and which data folder.
      const folder = serverFolder(path.join(home, 'pg-port-taken'));
      const error = await startPostgres({
        binDir: await postgresBinDir(home),
        files: folder.postgres,
        source: process.env,
        port,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(`port ${port}`);
      expect((error as Error).message).toContain(folder.postgres.data);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});

describe('PostgreSQL that cannot start says why', () => {
  it('a data folder owned by another user names the folder, its owner and the user', async () => {
    if (process.getuid?.() !== 0) return; // only root can hand the folder to another uid
    const folder = serverFolder(path.join(home, 'pg-foreign-owner'));
    const binDir = await postgresBinDir(home);
    const started = await startPostgres({ binDir, files: folder.postgres, source: process.env });
    await stopPostgres({ pid: started.pid, data: folder.postgres.data });
    const { chown } = await import('node:fs/promises');
    await chown(folder.postgres.data, 12345, 12345);
    const error = await startPostgres({ binDir, files: folder.postgres, source: process.env }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InfrastructureError);
    expect((error as InfrastructureError).exitCode).toBe(5);
    expect((error as Error).message).toContain(folder.postgres.data);
    expect((error as Error).message).toContain('belongs to uid 12345');
    expect((error as Error).message).toMatch(/judgeflow runs as uid 0/);
  });

  it('as root without user namespaces (no unshare here) it says so and names the alternatives', async () => {
    if (process.getuid?.() !== 0) return; // the rule applies to root only
    const error = await postgresLaunch(await postgresBinDir(home), {
      PATH: path.join(home, 'no-such-bin'),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    const message = (error as Error).message;
    expect(message).toContain('PostgreSQL refuses to run as root');
    expect(message).toContain('unshare --user');
    expect(message).toContain('--store sqlite');
    expect(message).toContain('JUDGEFLOW_MLFLOW_STORE=sqlite');
  });
});

describe("a team's PostgreSQL and S3 behind the local server", () => {
  it('takes --backend-store-uri and --artifacts-destination s3://; the password stays off the command line; AWS variables reach it, nothing else', async () => {
    // The "team database": a PostgreSQL judgeflow does not manage for this server, reached with a password.
    const team = serverFolder(path.join(home, 'team-db'));
    const database = await startPostgres({
      binDir: await postgresBinDir(home),
      files: team.postgres,
      source: process.env,
    });
    const password = readFileSync(team.postgres.passfile, 'utf8').trim().split(':').pop() ?? '';
    const teamHome = path.join(home, 'team-home');
    await mkdir(path.join(teamHome, 'venvs'), { recursive: true });
    await symlink(venvDir(testHome(), 'mlflow'), venvDir(teamHome, 'mlflow'));
    const aws = { AWS_ACCESS_KEY_ID: 'AKIAJUDGEFLOWTEST', AWS_DEFAULT_REGION: 'eu-west-1' };
    const teamEnv = readEnv({ ...source(), ...aws, JUDGEFLOW_HOME: teamHome }, teamHome);
    try {
      const up = await mlflowUp({
        home: teamHome,
        env: teamEnv,
        port: await freePort(),
        // A bare postgresql:// is read as postgresql+psycopg2:// (the driver the venv has).
        backendStoreUri: `postgresql://judgeflow:${password}@127.0.0.1:${database.port}/mlflow`,
        artifactsDestination: 's3://judgeflow-test-bucket/mlflow',
      });
      expect(up).toMatchObject({
        store: 'external',
        storeDescription: `postgresql+psycopg2://judgeflow:***@127.0.0.1:${database.port}/mlflow`,
      });
      expect(up.postgresPid).toBeUndefined();
      const pids = processTree(up.pid);
      for (const pid of pids) {
        expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), `command line of ${pid}`).not.toContain(
          password,
        );
      }
      const environ = environOf(up.pid);
      expect(environ.MLFLOW_BACKEND_STORE_URI).toBe(
        `postgresql+psycopg2://judgeflow:${password}@127.0.0.1:${database.port}/mlflow`,
      );
      expect(environ).toMatchObject({ ...aws, AWS_SECRET_ACCESS_KEY: planted.AWS_SECRET_ACCESS_KEY });
      for (const name of [
        'OPENAI_API_KEY',
        'ANTHROPIC_API_KEY',
        'MLFLOW_TRACKING_PASSWORD',
        'MLFLOW_TRACKING_TOKEN',
      ] as const) {
        expect(JSON.stringify(environ), name).not.toContain(planted[name]);
      }
      // The data lands in the team database (read back from it, not from the server).
      const client = new MlflowClient({ trackingUri: up.uri, env: teamEnv });
      const name = `team-${randomUUID().slice(0, 8)}`;
      await client.getOrCreateExperiment(name);
      await client.close();
      const { execFileSync } = await import('node:child_process');
      const rows = execFileSync(
        path.join(await postgresBinDir(home), 'psql'),
        [
          '-XtAq',
          '-h',
          '127.0.0.1',
          '-p',
          String(database.port),
          '-U',
          'judgeflow',
          '-d',
          'mlflow',
          '-c',
          `SELECT artifact_location FROM experiments WHERE name = '${name}'`,
        ],
        { env: { PATH: process.env.PATH ?? '', PGPASSFILE: team.postgres.passfile } },
      ).toString();
      expect(rows.trim()).toMatch(/^mlflow-artifacts:\/\d+$/);
      const printed = capture();
      printed.io.env = { ...printed.io.env, JUDGEFLOW_HOME: teamHome };
      await mlflowStatusCommand(printed.io);
      expect(printed.out.stdout).toContain('store: postgresql+psycopg2://judgeflow:***@');
      expect(printed.out.stdout).toContain('artifacts: s3://judgeflow-test-bucket/mlflow');
      expect(printed.out.stdout).not.toContain(password);
      // down stops the MLflow server only: the team's database is not judgeflow's to stop.
      expect(await mlflowDown({ home: teamHome })).toMatchObject({ stopped: true, pid: up.pid });
      expect(alive(database.pid)).toBe(true);
    } finally {
      await mlflowDown({ home: teamHome }).catch(() => undefined);
      await stopPostgres({ pid: database.pid, data: team.postgres.data });
    }
  });
});
