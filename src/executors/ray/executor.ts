import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Env } from '../../config/env.js';
import type { Executor } from '../../core/executor.js';
import { judgeflowVersion } from '../../core/paths.js';
import type { PipelinePlan } from '../../runner/build.js';
import { requirePythonEnv } from '../../setup/python-env.js';
import { PROTOCOL_VERSION, type RayWorkerInfo } from './protocol.js';
import { type RayClusterInfo, RaySession } from './session.js';

export interface RayExecutorOptions {
  /** What every worker builds its pipeline from (secrets stay out: only env var names travel). */
  plan: PipelinePlan;
  env: Env;
  /** judgeflow's data folder (the `ray` venv lives under it). */
  home: string;
  /**
   * `auto`, `HOST:PORT` (GCS) or `ray://HOST:PORT`; default `RAY_ADDRESS`, else what `ray.init()` does:
   * the cluster `ray start` started on this machine, or a new local head for this run alone.
   */
  address?: string;
  /** Seconds to reach the cluster (default 30 for an address; 180 when a local head may be started). */
  connectTimeoutS?: number;
  /** Environment variables every worker must have (API key variables); checked at each handshake. */
  requiredEnv?: readonly string[];
  /** Called once the bridge is connected: the cluster's address and dashboard, and whether it is a local head. */
  onConnected?: (cluster: RayClusterInfo) => void;
  /** Actors, each hosting one Node worker (N). */
  workers: number;
  /** Rows in flight per worker (K). */
  workerConcurrency: number;
  /** Names the actors (`judgeflow-<run>-w<i>`) and the driver job in the Ray Dashboard. */
  runName: string;
  /** Python with `ray` installed; default `JUDGEFLOW_RAY_PYTHON`, else the `ray` venv. */
  python?: string;
  /** Bridge and worker diagnostics, one line at a time; default: the driver's stderr. */
  log?: (line: string) => void;
  /** CPUs each actor reserves (I/O-bound work: a fraction). Default 0.25. */
  numCpusPerWorker?: number;
  /** Restarts per worker after crashes before the run fails. Default 3. */
  maxRestarts?: number;
  /** Seconds a worker may take to be scheduled and finish its handshake. Default 180. */
  startTimeoutS?: number;
  /** The Node worker command; default: this installation's worker entry (dist, or src through tsx). */
  workerCommand?: string[];
  /**
   * Ship the eval file's folder to the workers as Ray's `working_dir` (respecting `.gitignore`) when the
   * driver is not itself a Ray job (a job's working_dir is already everywhere). Default true; turn off
   * when every node sees the same files (shared filesystem, single machine).
   */
  shipWorkingDir?: boolean;
  /** `working_dir` exclude patterns (gitwildmatch), e.g. a large dataset file the workers never read. */
  workingDirExcludes?: string[];
  /** Called once the workers are up, with their actor names and process ids. */
  onWorkers?: (workers: RayWorkerInfo[]) => void;
  /** The version the driver announces in the handshake; only tests set it (to check the mismatch error). */
  driverVersion?: string;
}

/**
 * Runs rows on a Ray cluster: spawns the Python bridge, which connects to the cluster — or, with no
 * address and no cluster on this machine, starts a local Ray head for the run, as `ray.init()` does —
 * and starts the workers (`prepare`, before the run writes anything); then streams rows to it with
 * backpressure and passes each row's first result on. Workers never talk to MLflow: this process stays
 * the only writer. The bridge, its actors and a local head it started end with `execute` (or `dispose`).
 */
export function createRayExecutor(options: RayExecutorOptions): Executor {
  let session: Promise<RaySession> | undefined;
  const open = (signal?: AbortSignal): Promise<RaySession> => {
    session ??= startSession(options, signal);
    return session;
  };
  const close = async (): Promise<void> => {
    const current = session;
    session = undefined;
    await (await current?.catch(() => undefined))?.shutdown();
  };
  return {
    name: 'ray',
    prepare: async ({ signal }) => {
      await open(signal);
    },
    execute: async (rows, execute) => {
      try {
        const started = await open(execute.signal);
        await started.run(rows, execute);
      } finally {
        await close();
      }
    },
    dispose: close,
  };
}

async function startSession(options: RayExecutorOptions, signal?: AbortSignal): Promise<RaySession> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const python = options.python ?? options.env.rayPython ?? (await requirePythonEnv(options.home, 'ray'));
  const workers = Math.max(1, Math.floor(options.workers));
  const concurrency = Math.max(1, Math.floor(options.workerConcurrency));
  const address = options.address ?? options.env.rayAddress;
  const args = [
    '--workers',
    String(workers),
    '--concurrency',
    String(concurrency),
    '--run-name',
    options.runName,
    '--worker-command',
    JSON.stringify(options.workerCommand ?? defaultWorkerCommand()),
    '--num-cpus',
    String(options.numCpusPerWorker ?? 0.25),
    '--max-restarts',
    String(options.maxRestarts ?? 3),
    '--start-timeout',
    String(options.startTimeoutS ?? 180),
  ];
  // No address: the bridge does what ray.init() does (this machine's cluster, else a new local head,
  // whose token auth uses a token file in judgeflow's data folder rather than ~/.ray/auth_token).
  if (address !== undefined) args.push('--address', address);
  else args.push('--local-auth-token-path', path.join(options.home, 'ray', 'auth_token'));
  if (options.shipWorkingDir ?? true) {
    args.push('--working-dir', options.plan.baseDir);
    for (const pattern of options.workingDirExcludes ?? []) args.push('--exclude', pattern);
  }
  const session = new RaySession({
    python,
    args,
    env: options.env.raw,
    hello: {
      protocol: PROTOCOL_VERSION,
      judgeflow_version: options.driverVersion ?? judgeflowVersion(),
      plan: options.plan,
      concurrency,
      required_env: options.requiredEnv ?? [],
      run_name: options.runName,
    },
    connectTimeoutS:
      options.connectTimeoutS ?? (address !== undefined ? DEFAULT_CONNECT_TIMEOUT_S : LOCAL_HEAD_TIMEOUT_S),
    log,
    ...(options.onConnected !== undefined ? { onConnected: options.onConnected } : {}),
    ...(options.onWorkers !== undefined ? { onWorkers: options.onWorkers } : {}),
  });
  try {
    await session.start(signal);
  } catch (error) {
    await session.shutdown();
    throw error;
  }
  return session;
}

/** Connecting to a given address: a head that does not answer within this fails the run (exit 5). */
const DEFAULT_CONNECT_TIMEOUT_S = 30;
/** Starting a local head (no address, no cluster) takes longer on a small machine. */
const LOCAL_HEAD_TIMEOUT_S = 180;

/**
 * The Node worker command for this installation: the compiled entry when running from dist/, the
 * TypeScript entry through tsx's loader (by absolute path, so it resolves from any working directory)
 * when running from src/.
 */
export function defaultWorkerCommand(): string[] {
  const here = fileURLToPath(import.meta.url);
  const dir = path.dirname(here);
  if (here.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    return [process.execPath, '--import', tsx, path.join(dir, 'worker-main.ts')];
  }
  return [process.execPath, path.join(dir, 'worker-main.js')];
}
