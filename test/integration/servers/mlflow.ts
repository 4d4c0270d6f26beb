import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readEnv } from '../../../src/config/env.js';
import { packageRoot } from '../../../src/core/paths.js';
import { requirePythonEnv, venvBin } from '../../../src/setup/python-env.js';
import {
  mlflowServerArgs,
  spawnMlflowServer,
  stopProcessGroup,
  waitForMlflowHealth,
} from '../../../src/sinks/mlflow/server.js';
import { freePort } from '../../helpers/free-port.js';

export interface TestMlflowServer {
  uri: string;
  port: number;
  /** The server's data folder (SQLite store, artifacts, log). */
  dir: string;
  /** Stops the server (its whole process group); removes the data folder unless `keepData` was set. */
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
 * Starts a real `mlflow server` (the pinned version) on a free port with a SQLite store and local
 * artifacts in a temporary folder. `dir` + `port` restart a stopped server on the same data.
 */
export async function startMlflowServer(
  options: {
    dir?: string;
    port?: number;
    extraArgs?: string[];
    env?: Record<string, string>;
    workers?: number;
    /** Keep the data folder when stopping (to restart on the same store). */
    keepData?: boolean;
  } = {},
): Promise<TestMlflowServer> {
  const bin = await mlflowBin();
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'judgeflow-mlflow-')));
  const port = options.port ?? (await freePort());
  const uri = `http://127.0.0.1:${port}`;
  const logFile = path.join(dir, 'server.log');
  const child = spawnMlflowServer({
    mlflowBin: bin,
    args: mlflowServerArgs({
      dbFile: path.join(dir, 'mlflow.db'),
      artifactsDir: path.join(dir, 'artifacts'),
      host: '127.0.0.1',
      port,
      // Light on the shared 2-core machine; the tests do not need more.
      workers: options.workers ?? 1,
      extra: options.extraArgs ?? [],
    }),
    logFile,
    // No background job runner (scheduled judges, prompt optimization): the tests use none of it,
    // and it is four more Python processes per server.
    env: { ...process.env, MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false', ...(options.env ?? {}) },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${bin}`);
  child.unref();
  let stopped = false;
  const halt = async () => {
    if (stopped) return;
    stopped = true;
    await stopProcessGroup(pid, 15_000);
  };
  const ownsDir = options.dir === undefined && options.keepData !== true;
  const stop = async () => {
    await halt();
    if (ownsDir) await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForMlflowHealth({ uri, child, logFile, timeoutMs: 180_000 });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    uri,
    port,
    dir,
    stop,
    cleanup: async () => {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
