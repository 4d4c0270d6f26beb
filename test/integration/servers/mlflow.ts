import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readEnv } from '../../../src/config/env.js';
import { packageRoot } from '../../../src/core/paths.js';
import { requirePythonEnv, venvBin } from '../../../src/setup/python-env.js';
import { stopPostgres } from '../../../src/sinks/mlflow/local-server/postgres.js';
import { stopProcessGroup } from '../../../src/sinks/mlflow/local-server/processes.js';
import { startServerProcesses } from '../../../src/sinks/mlflow/local-server/start.js';
import { type LocalStoreKind, serverFolder } from '../../../src/sinks/mlflow/local-server/store.js';
import { defaultServerWorkers } from '../../../src/sinks/mlflow/server.js';
import { freePort } from '../../helpers/free-port.js';

export interface TestMlflowServer {
  uri: string;
  port: number;
  /** The server's data folder (SQLite store or PostgreSQL cluster, artifacts, logs). */
  dir: string;
  store: LocalStoreKind;
  /** `mlflow server`'s pid (its process group holds its workers). */
  pid: number;
  /** The PostgreSQL postmaster's pid, for the PostgreSQL store. */
  postgresPid?: number;
  /** Stops the server (its whole process group, then PostgreSQL); removes the data folder unless `keepData` was set. */
  stop: () => Promise<void>;
  /** Stops it and removes its data folder. */
  cleanup: () => Promise<void>;
}

/** The judgeflow data folder the tests use: $JUDGEFLOW_HOME, else `<repo>/.judgeflow`. */
export function testHome(): string {
  const env = readEnv(process.env, packageRoot());
  return env.home;
}

/** The `mlflow` console script of the project's pinned venv (built by `judgeflow setup`). */
export async function mlflowBin(): Promise<string> {
  const home = testHome();
  await requirePythonEnv(home, 'mlflow');
  return venvBin(home, 'mlflow', 'mlflow');
}

/**
 * Starts a real `mlflow server` (the pinned version) on a free port, configured as judgeflow's own
 * local server: PostgreSQL from the mlflow venv (or SQLite with `store: 'sqlite'`), the batch writer
 * plugin (`appName: null` for a stock server), local artifacts,
 * the job runner off, a minimal environment, in a temporary folder. `dir` + `port` restart a stopped
 * server on the same data.
 */
export async function startMlflowServer(
  options: {
    dir?: string;
    port?: number;
    store?: LocalStoreKind;
    /**
     * `--app-name`: default `judgeflow` (the batch writer, as judgeflow's own server runs); null for a
     * stock server. Ignored when `extraArgs` names an app.
     */
    appName?: string | null;
    extraArgs?: string[];
    /** Added to the server's (minimal) environment. */
    env?: Record<string, string>;
    workers?: number;
    /** Keep the data folder when stopping (to restart on the same store). */
    keepData?: boolean;
  } = {},
): Promise<TestMlflowServer> {
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'judgeflow-mlflow-')));
  const port = options.port ?? (await freePort());
  const store = options.store ?? 'postgres';
  const appName = options.appName === undefined ? 'judgeflow' : options.appName;
  const folder = serverFolder(dir);
  const ownsDir = options.dir === undefined && options.keepData !== true;
  let started: Awaited<ReturnType<typeof startServerProcesses>>;
  try {
    started = await startServerProcesses({
      home: testHome(),
      folder,
      store: store === 'sqlite' ? { kind: 'sqlite' } : { kind: 'postgres' },
      port,
      workers: options.workers ?? defaultServerWorkers,
      ...(options.extraArgs !== undefined ? { extraArgs: options.extraArgs } : {}),
      ...(appName !== null && !(options.extraArgs ?? []).includes('--app-name') ? { appName } : {}),
      source: process.env,
      ...(options.env !== undefined ? { extraEnv: options.env } : {}),
    });
  } catch (error) {
    if (ownsDir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  const halt = async () => {
    if (stopped) return;
    stopped = true;
    await stopProcessGroup(started.pid, 15_000);
    if (started.postgres !== undefined) {
      await stopPostgres({ pid: started.postgres.pid, data: folder.postgres.data });
    }
  };
  return {
    uri: started.uri,
    port,
    dir,
    store,
    pid: started.pid,
    ...(started.postgres !== undefined ? { postgresPid: started.postgres.pid } : {}),
    stop: async () => {
      await halt();
      if (ownsDir) await rm(dir, { recursive: true, force: true });
    },
    cleanup: async () => {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
