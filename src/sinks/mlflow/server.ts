import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { z } from 'zod';
import type { Env } from '../../config/env.js';
import { ConfigError, InfrastructureError } from '../../core/errors.js';
import { requirePythonEnv, venvBin } from '../../setup/python-env.js';
import { mlflowAuthFromEnv } from './http.js';

/** What `<home>/mlflow/server.json` records about the local server judgeflow started. */
export const serverRecordSchema = z.object({
  pid: z.number(),
  host: z.string(),
  port: z.number(),
  uri: z.string(),
  started_at: z.string(),
  log: z.string(),
});
export type MlflowServerRecord = z.infer<typeof serverRecordSchema>;

export interface MlflowServerStatus {
  /** The recorded server's process is alive. */
  running: boolean;
  /** It answers `/health`. */
  healthy: boolean;
  record?: MlflowServerRecord;
  /** Its MLflow version, when it answers. */
  version?: string;
}

const defaultPort = 5000;
const localHost = '127.0.0.1';

function paths(home: string) {
  const dir = path.join(home, 'mlflow');
  return {
    dir,
    record: path.join(dir, 'server.json'),
    db: path.join(dir, 'mlflow.db'),
    artifacts: path.join(dir, 'artifacts'),
    log: path.join(dir, 'server.log'),
  };
}

/** The arguments of `mlflow server` for a SQLite store and a local artifact folder served by the proxy. */
export function mlflowServerArgs(options: {
  dbFile: string;
  artifactsDir: string;
  host: string;
  port: number;
  workers?: number;
  extra?: readonly string[];
}): string[] {
  return [
    'server',
    '--backend-store-uri',
    `sqlite:///${path.resolve(options.dbFile)}`,
    '--artifacts-destination',
    path.resolve(options.artifactsDir),
    '--host',
    options.host,
    '--port',
    String(options.port),
    ...(options.workers !== undefined ? ['--workers', String(options.workers)] : []),
    ...(options.extra ?? []),
  ];
}

/**
 * Starts `mlflow server` in its own process group (so stopping it takes its workers along), output to
 * `logFile`, telemetry off (a machine without internet can hang on it otherwise).
 */
export function spawnMlflowServer(options: {
  mlflowBin: string;
  args: readonly string[];
  logFile: string;
  /** The child's environment (judgeflow passes `Env.raw` on). */
  env: Readonly<Record<string, string | undefined>>;
}): ChildProcess {
  const fd = openSync(options.logFile, 'a');
  try {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.env)) if (value !== undefined) env[key] = value;
    env.MLFLOW_DISABLE_TELEMETRY = 'true';
    return spawn(options.mlflowBin, [...options.args], { detached: true, stdio: ['ignore', fd, fd], env });
  } finally {
    closeSync(fd);
  }
}

/**
 * Polls `/health` until the server answers, the child exits (an error with the log's tail) or the
 * timeout passes. The first start of a fresh store runs its migrations and can take a minute.
 */
export async function waitForMlflowHealth(options: {
  uri: string;
  child?: ChildProcess;
  logFile?: string;
  timeoutMs?: number;
}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  let exited: number | null | undefined;
  options.child?.once('exit', (code) => {
    exited = code;
  });
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new InfrastructureError(
        `mlflow server exited (code ${exited}) before it answered${options.logFile !== undefined ? `:\n${logTail(options.logFile)}` : ''}`,
        { component: 'mlflow' },
      );
    }
    if (await answersHealth(options.uri)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new InfrastructureError(
    `mlflow server at ${options.uri} did not answer /health within ${Math.round((options.timeoutMs ?? 180_000) / 1000)} s${options.logFile !== undefined ? `:\n${logTail(options.logFile)}` : ''}`,
    { component: 'mlflow' },
  );
}

async function answersHealth(uri: string): Promise<boolean> {
  try {
    const response = await request(`${uri}/health`, { signal: AbortSignal.timeout(2000) });
    await response.body.text();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}

async function serverVersion(uri: string, env?: Env): Promise<string | undefined> {
  try {
    const auth = env !== undefined ? mlflowAuthFromEnv(env) : undefined;
    const headers: Record<string, string> = {};
    if (auth?.kind === 'basic')
      headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    if (auth?.kind === 'bearer') headers.authorization = `Bearer ${auth.token}`;
    const response = await request(`${uri}/version`, { headers, signal: AbortSignal.timeout(2000) });
    const text = (await response.body.text()).trim();
    return response.statusCode === 200 && /^\d+\.\d+/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

/** True when nothing listens on host:port (we could bind it). */
export async function portIsFree(port: number, host: string = localHost): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // Guard against a recycled pid: on Linux, check that the process is still an mlflow server.
  const cmdline = `/proc/${pid}/cmdline`;
  if (existsSync(cmdline)) {
    try {
      return readFileSync(cmdline, 'utf8').includes('mlflow');
    } catch {
      return false;
    }
  }
  return true;
}

async function readRecord(home: string): Promise<MlflowServerRecord | undefined> {
  const file = paths(home).record;
  if (!existsSync(file)) return undefined;
  const parsed = serverRecordSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  return parsed.success ? parsed.data : undefined;
}

/** What runs where: the recorded local server, whether its process lives and whether it answers. */
export async function mlflowStatus(options: { home: string; env?: Env }): Promise<MlflowServerStatus> {
  const record = await readRecord(options.home);
  if (record === undefined) return { running: false, healthy: false };
  const running = processAlive(record.pid);
  const healthy = running && (await answersHealth(record.uri));
  const version = healthy ? await serverVersion(record.uri, options.env) : undefined;
  return { running, healthy, record, ...(version !== undefined ? { version } : {}) };
}

export interface MlflowUpResult {
  uri: string;
  port: number;
  pid: number;
  /** The server was already running (nothing was started). */
  alreadyRunning: boolean;
  /** The default port was taken, so another one was chosen. */
  portChanged: boolean;
}

/**
 * Starts the local MLflow server from the `mlflow` venv — SQLite at `<home>/mlflow/mlflow.db`,
 * artifacts in `<home>/mlflow/artifacts` served by the artifact proxy — detached, so it outlives the
 * CLI; records pid and port in `<home>/mlflow/server.json` and waits until it answers.
 * An explicit `port` that something else holds is an error naming it (never fought over); without
 * one, 5000 or the next free port is used.
 */
export async function mlflowUp(options: {
  home: string;
  env: Env;
  port?: number;
  workers?: number;
  timeoutMs?: number;
  log?: (line: string) => void;
}): Promise<MlflowUpResult> {
  const log = options.log ?? (() => undefined);
  const status = await mlflowStatus({ home: options.home, env: options.env });
  if (status.running && status.record !== undefined) {
    const record = status.record;
    if (options.port !== undefined && options.port !== record.port) {
      throw new ConfigError(
        `the local MLflow server already runs on port ${record.port} (pid ${record.pid}); run \`judgeflow mlflow down\` first to move it to port ${options.port}`,
        { field: 'port' },
      );
    }
    if (!status.healthy)
      await waitForMlflowHealth({ uri: record.uri, timeoutMs: options.timeoutMs ?? 60_000 });
    return { uri: record.uri, port: record.port, pid: record.pid, alreadyRunning: true, portChanged: false };
  }
  const mlflowBin = await requireMlflowBin(options.home);
  const port = await choosePort(options.port, options.env, log);
  const files = paths(options.home);
  await mkdir(files.artifacts, { recursive: true });
  const uri = `http://${localHost}:${port}`;
  const child = spawnMlflowServer({
    mlflowBin,
    args: mlflowServerArgs({
      dbFile: files.db,
      artifactsDir: files.artifacts,
      host: localHost,
      port,
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
    }),
    logFile: files.log,
    env: options.env.raw,
  });
  if (child.pid === undefined)
    throw new InfrastructureError(`could not start ${mlflowBin}`, { component: 'mlflow' });
  const record: MlflowServerRecord = {
    pid: child.pid,
    host: localHost,
    port,
    uri,
    started_at: new Date().toISOString(),
    log: files.log,
  };
  await writeFile(files.record, `${JSON.stringify(record, null, 2)}\n`);
  log(`starting mlflow server on ${uri} (store ${files.db}, log ${files.log})`);
  try {
    await waitForMlflowHealth({ uri, child, logFile: files.log, timeoutMs: options.timeoutMs ?? 180_000 });
  } catch (error) {
    killGroup(child.pid, 'SIGKILL');
    await rm(files.record, { force: true });
    throw error;
  } finally {
    child.unref();
  }
  return {
    uri,
    port,
    pid: child.pid,
    alreadyRunning: false,
    portChanged: options.port === undefined && port !== defaultPort,
  };
}

async function requireMlflowBin(home: string): Promise<string> {
  await requirePythonEnv(home, 'mlflow');
  return venvBin(home, 'mlflow', 'mlflow');
}

async function choosePort(
  explicit: number | undefined,
  env: Env,
  log: (line: string) => void,
): Promise<number> {
  if (explicit !== undefined) {
    if (await portIsFree(explicit)) return explicit;
    const version = await serverVersion(`http://${localHost}:${explicit}`, env);
    throw new ConfigError(
      `port ${explicit} is already in use${version !== undefined ? ` by an MLflow ${version} server judgeflow did not start (use it with --tracking-uri http://${localHost}:${explicit})` : ' by another program'}; choose another with --port`,
      { field: 'port' },
    );
  }
  for (let port = defaultPort; port < defaultPort + 100; port++) {
    if (await portIsFree(port)) {
      if (port !== defaultPort)
        log(`port ${defaultPort} is in use; the local MLflow server uses port ${port}`);
      return port;
    }
  }
  throw new InfrastructureError(
    `no free port between ${defaultPort} and ${defaultPort + 99} for the local MLflow server; pass --port`,
    { component: 'mlflow' },
  );
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Stops the recorded local server (its whole process group) and forgets it. */
export async function mlflowDown(options: {
  home: string;
  timeoutMs?: number;
}): Promise<{ stopped: boolean; pid?: number }> {
  const record = await readRecord(options.home);
  const file = paths(options.home).record;
  if (record === undefined) return { stopped: false };
  if (!processAlive(record.pid)) {
    await rm(file, { force: true });
    return { stopped: false, pid: record.pid };
  }
  await stopProcessGroup(record.pid, options.timeoutMs ?? 15_000);
  await rm(file, { force: true });
  return { stopped: true, pid: record.pid };
}

/** SIGTERM to the group, then SIGKILL if it has not gone after `timeoutMs`. */
export async function stopProcessGroup(pid: number, timeoutMs = 15_000): Promise<void> {
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pid)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  killGroup(pid, 'SIGKILL');
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface TrackingTarget {
  uri: string;
  /** The local server judgeflow manages (as opposed to `--tracking-uri` / MLFLOW_TRACKING_URI). */
  local: boolean;
  /** This call started it. */
  started: boolean;
}

/**
 * Where a run's MLflow writes go: `--tracking-uri`, else MLFLOW_TRACKING_URI, else the local server
 * (started when it is not running). `noMlflow` → undefined (the run writes local files only).
 */
export async function resolveTrackingUri(options: {
  env: Env;
  flag?: string | undefined;
  home: string;
  noMlflow?: boolean;
  log?: (line: string) => void;
}): Promise<TrackingTarget | undefined> {
  if (options.noMlflow === true) return undefined;
  const explicit = options.flag ?? options.env.mlflowTrackingUri;
  if (explicit !== undefined) return { uri: explicit.replace(/\/+$/, ''), local: false, started: false };
  const up = await mlflowUp({
    home: options.home,
    env: options.env,
    ...(options.log !== undefined ? { log: options.log } : {}),
  });
  if (!up.alreadyRunning) options.log?.(`local MLflow server started: ${up.uri}`);
  return { uri: up.uri, local: true, started: !up.alreadyRunning };
}
