import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { request } from 'undici';
import type { Env } from '../../../config/env.js';
import { InfrastructureError } from '../../../core/errors.js';
import { mlflowAuthFromEnv } from '../http.js';
import { logTail, sleep, spawnDetached } from './processes.js';

/** `sqlite:///<absolute path>` for a SQLite store file. */
export function sqliteStoreUri(file: string): string {
  return `sqlite:///${path.resolve(file)}`;
}

/** A store URI with its password replaced, for logs, records and status output. */
export function redactStoreUri(uri: string): string {
  return uri.replace(/^([a-z][\w+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@');
}

function hasPassword(uri: string): boolean {
  return redactStoreUri(uri) !== uri;
}

/**
 * How `mlflow server` is started: its arguments and the settings it takes from its environment.
 * A store URI that carries a password goes in `MLFLOW_BACKEND_STORE_URI` (readable only by its owner)
 * instead of the command line (which every local user sees in `ps`).
 */
export function mlflowServerLaunch(options: {
  backendStoreUri: string;
  /** A local folder, or a remote artifact store (`s3://bucket/path`, `gs://…`). */
  artifactsDestination: string;
  host: string;
  port: number;
  workers?: number;
  /** `--app-name`: a server plugin (`basic-auth`, or judgeflow's own). */
  appName?: string;
  extra?: readonly string[];
}): { args: string[]; env: Record<string, string> } {
  const remoteArtifacts = /^[a-z][\w+.-]*:\/\//i.test(options.artifactsDestination);
  const secretStore = hasPassword(options.backendStoreUri);
  return {
    args: [
      'server',
      ...(secretStore ? [] : ['--backend-store-uri', options.backendStoreUri]),
      '--artifacts-destination',
      remoteArtifacts ? options.artifactsDestination : path.resolve(options.artifactsDestination),
      '--host',
      options.host,
      '--port',
      String(options.port),
      ...(options.workers !== undefined ? ['--workers', String(options.workers)] : []),
      ...(options.appName !== undefined ? ['--app-name', options.appName] : []),
      ...(options.extra ?? []),
    ],
    env: secretStore ? { MLFLOW_BACKEND_STORE_URI: options.backendStoreUri } : {},
  };
}

/** Starts `mlflow server` detached in its own process group, output appended to `logFile`. */
export function spawnMlflowServer(options: {
  mlflowBin: string;
  args: readonly string[];
  logFile: string;
  /** The server's whole environment (see `mlflowServerEnvironment`). */
  env: Readonly<Record<string, string>>;
}): ChildProcess {
  return spawnDetached({
    command: options.mlflowBin,
    args: options.args,
    logFile: options.logFile,
    env: options.env,
  });
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
  const tail = () => (options.logFile !== undefined ? `:\n${logTail(options.logFile)}` : '');
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new InfrastructureError(`mlflow server exited (code ${exited}) before it answered${tail()}`, {
        component: 'mlflow',
      });
    }
    if (await answersHealth(options.uri)) return;
    await sleep(500);
  }
  throw new InfrastructureError(
    `mlflow server at ${options.uri} did not answer /health within ${Math.round((options.timeoutMs ?? 180_000) / 1000)} s${tail()}`,
    { component: 'mlflow' },
  );
}

export async function answersHealth(uri: string): Promise<boolean> {
  try {
    const response = await request(`${uri}/health`, { signal: AbortSignal.timeout(2000) });
    await response.body.text();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}

/** The MLflow version a server reports (`/version`), when it answers. */
export async function serverVersion(uri: string, env?: Env): Promise<string | undefined> {
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
