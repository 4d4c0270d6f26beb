import { mkdir } from 'node:fs/promises';
import { InfrastructureError } from '../../../core/errors.js';
import { requirePythonEnv, venvBin } from '../../../setup/python-env.js';
import { mlflowServerEnvironment } from './child-env.js';
import {
  mlflowServerLaunch,
  spawnMlflowServer,
  sqliteStoreUri,
  waitForMlflowHealth,
} from './mlflow-process.js';
import { postgresBinDir, type RunningPostgres, startPostgres, stopPostgres } from './postgres.js';
import { killGroup, localHost } from './processes.js';
import type { ServerFolder, StoreChoice } from './store.js';

export interface StartedServer {
  uri: string;
  port: number;
  /** `mlflow server`'s pid: the leader of its process group (its uvicorn workers are in it). */
  pid: number;
  /** The local PostgreSQL, for the `postgres` store. */
  postgres?: RunningPostgres;
  /** The store URI as the server got it (no password for judgeflow's own stores). */
  backendStoreUri: string;
  artifactsDestination: string;
}

/** The `mlflow` console script of the pinned venv (`judgeflow setup` installs it). */
export async function requireMlflowBin(home: string): Promise<string> {
  await requirePythonEnv(home, 'mlflow');
  return venvBin(home, 'mlflow', 'mlflow');
}

/**
 * Starts the processes of one MLflow server on `folder`: PostgreSQL first for the `postgres` store,
 * then `mlflow server` with a minimal environment; returns when `/health` answers. `onSpawned` hears
 * the pids as soon as they exist, so a caller interrupted while waiting can still stop them.
 * On failure nothing is left running.
 */
export async function startServerProcesses(options: {
  /** The judgeflow data folder whose venv runs the server. */
  home: string;
  folder: ServerFolder;
  store: StoreChoice;
  /** Default: `folder.artifacts`. */
  artifactsDestination?: string;
  port: number;
  workers?: number;
  /** `--app-name` (a server plugin). */
  appName?: string;
  extraArgs?: readonly string[];
  /** The caller's environment; the servers get only what they need of it. */
  source: Readonly<Record<string, string | undefined>>;
  /** Settings added to the MLflow server's environment (e.g. basic-auth's secret key). */
  extraEnv?: Readonly<Record<string, string>>;
  postgresPort?: number;
  timeoutMs?: number;
  onSpawned?: (pids: { pid: number; postgres?: RunningPostgres }) => Promise<void>;
  log?: (line: string) => void;
}): Promise<StartedServer> {
  const log = options.log ?? (() => undefined);
  const { folder, store } = options;
  const mlflowBin = await requireMlflowBin(options.home);
  await mkdir(folder.dir, { recursive: true });
  const artifactsDestination = options.artifactsDestination ?? folder.artifacts;
  if (!/^[a-z][\w+.-]*:\/\//i.test(artifactsDestination))
    await mkdir(artifactsDestination, { recursive: true });
  let postgres: RunningPostgres | undefined;
  if (store.kind === 'postgres') {
    postgres = await startPostgres({
      binDir: await postgresBinDir(options.home),
      files: folder.postgres,
      source: { ...options.source },
      ...(options.postgresPort !== undefined ? { port: options.postgresPort } : {}),
      log,
    });
  }
  const backendStoreUri =
    store.kind === 'external' ? store.uri : postgres !== undefined ? postgres.uri : sqliteStoreUri(folder.db);
  const launch = mlflowServerLaunch({
    backendStoreUri,
    artifactsDestination,
    host: localHost,
    port: options.port,
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    ...(options.appName !== undefined ? { appName: options.appName } : {}),
    ...(options.extraArgs !== undefined ? { extra: options.extraArgs } : {}),
  });
  const env = mlflowServerEnvironment(options.source, {
    artifactsDestination,
    externalPostgres: store.kind === 'external' && store.uri.startsWith('postgresql'),
    extra: {
      ...launch.env,
      ...(postgres !== undefined ? { PGPASSFILE: postgres.passfile } : {}),
      ...(options.extraEnv ?? {}),
    },
  });
  const child = spawnMlflowServer({ mlflowBin, args: launch.args, logFile: folder.log, env });
  const pid = child.pid;
  const stopAll = async () => {
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
    if (postgres !== undefined)
      await stopPostgres({ pid: postgres.pid, data: folder.postgres.data, timeoutMs: 10_000 });
  };
  if (pid === undefined) {
    await stopAll();
    throw new InfrastructureError(`could not start ${mlflowBin}`, { component: 'mlflow' });
  }
  const uri = `http://${localHost}:${options.port}`;
  try {
    await options.onSpawned?.({ pid, ...(postgres !== undefined ? { postgres } : {}) });
    await waitForMlflowHealth({ uri, child, logFile: folder.log, timeoutMs: options.timeoutMs ?? 180_000 });
  } catch (error) {
    await stopAll();
    throw error;
  } finally {
    child.unref();
  }
  return {
    uri,
    port: options.port,
    pid,
    ...(postgres !== undefined ? { postgres } : {}),
    backendStoreUri,
    artifactsDestination,
  };
}
