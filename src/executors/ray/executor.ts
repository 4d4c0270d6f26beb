import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Env } from '../../config/env.js';
import { errorMessage } from '../../core/errors.js';
import type { ExecuteOptions, Executor } from '../../core/executor.js';
import { judgeflowVersion } from '../../core/paths.js';
import type { DatasetRow } from '../../core/record.js';
import type { RowResult } from '../../core/result.js';
import type { PipelinePlan } from '../../runner/build.js';
import { requirePythonEnv } from '../../setup/python-env.js';
import { BridgeProcess } from './bridge-process.js';
import { RayExecutorError, type RayFailure } from './errors.js';
import { type BridgeOutput, PROTOCOL_VERSION, type RayWorkerInfo } from './protocol.js';

export interface RayExecutorOptions {
  /** What every worker builds its pipeline from (secrets stay out: only env var names travel). */
  plan: PipelinePlan;
  env: Env;
  /** judgeflow's data folder (the `ray` venv lives under it). */
  home: string;
  /** `auto`, `HOST:PORT` (GCS) or `ray://HOST:PORT`; default `RAY_ADDRESS`, else `auto`. */
  address?: string;
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

/** Seconds to wait for the bridge to exit after `done` or an abort before killing it. */
const EXIT_GRACE_MS = 15_000;

/**
 * Runs rows on a Ray cluster: spawns the Python bridge, performs the handshake, streams rows to it
 * with backpressure (at most the bridge's announced capacity outstanding) and passes each row's first
 * result on. Workers never talk to MLflow: this process stays the only writer.
 */
export function createRayExecutor(options: RayExecutorOptions): Executor {
  return {
    name: 'ray',
    execute: (rows, execute) => executeOnRay(options, rows, execute),
  };
}

async function executeOnRay(
  options: RayExecutorOptions,
  rows: AsyncIterable<DatasetRow>,
  execute: ExecuteOptions,
): Promise<void> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const python = options.python ?? options.env.rayPython ?? (await requirePythonEnv(options.home, 'ray'));
  const workers = Math.max(1, Math.floor(options.workers));
  const concurrency = Math.max(1, Math.floor(options.workerConcurrency));
  const args = [
    '--address',
    options.address ?? options.env.rayAddress ?? 'auto',
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
  if (options.shipWorkingDir ?? true) {
    args.push('--working-dir', options.plan.baseDir);
    for (const pattern of options.workingDirExcludes ?? []) args.push('--exclude', pattern);
  }

  // State shared with the bridge's callbacks. Every change wakes the dispatch loop.
  const outstanding = new Map<string, DatasetRow>();
  const reported = new Set<string>();
  let ready: Extract<BridgeOutput, { type: 'ready' }> | undefined;
  let finished = false;
  let failure: RayExecutorError | undefined;
  let exit: { code: number | null; signal: NodeJS.Signals | null; error?: Error } | undefined;
  let wake: () => void = () => undefined;
  let changed = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const notify = (): void => {
    const resolve = wake;
    changed = new Promise<void>((next) => {
      wake = next;
    });
    resolve();
  };

  const onMessage = (message: BridgeOutput): void => {
    switch (message.type) {
      case 'ready':
        ready = message;
        break;
      case 'result': {
        // After the second interrupt nothing more is reported: rows are abandoned, not half-counted.
        if (execute.abortRows?.aborted) break;
        const result = message.result as unknown as RowResult;
        // The first result for a row id wins; a duplicate from a worker thought dead is dropped.
        if (reported.has(result.id)) break;
        if (!outstanding.delete(result.id)) {
          log(`judgeflow: ignoring a result for a row that was not dispatched: ${result.id}`);
          break;
        }
        reported.add(result.id);
        execute.onResult(result);
        break;
      }
      case 'notice':
        log(`judgeflow ray: ${message.message}`);
        break;
      case 'fatal':
        failure ??= new RayExecutorError({
          failure: (message.code ?? 'internal') as RayFailure,
          message: `Ray run failed: ${message.message}`,
        });
        break;
      case 'done':
        finished = true;
        break;
    }
    notify();
  };

  const bridge = new BridgeProcess({
    python,
    args,
    env: options.env.raw,
    cwd: process.cwd(),
    onMessage,
    onLog: log,
    onExit: (outcome) => {
      exit = outcome;
      notify();
    },
  });

  const abortRows = execute.abortRows;
  const onAbortRows = (): void => {
    void bridge.send({ type: 'abort' }).finally(() => bridge.closeInput());
    notify();
  };
  const onStop = (): void => notify();
  abortRows?.addEventListener('abort', onAbortRows, { once: true });
  execute.signal.addEventListener('abort', onStop, { once: true });

  const iterator = rows[Symbol.asyncIterator]();
  let sourceDone = false;
  try {
    await bridge.send({
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      judgeflow_version: options.driverVersion ?? judgeflowVersion(),
      plan: options.plan,
      concurrency,
    });

    // Handshake: every worker started, or a clear reason why not.
    while (ready === undefined) {
      throwIfFailed();
      if (abortRows?.aborted || execute.signal.aborted) return;
      await changed;
    }
    if (ready.protocol !== PROTOCOL_VERSION) {
      throw new RayExecutorError({
        failure: 'version_mismatch',
        message: `the Ray bridge speaks protocol ${ready.protocol}, the driver ${PROTOCOL_VERSION}`,
      });
    }
    options.onWorkers?.(ready.workers);
    const capacity = ready.capacity;

    // Dispatch with backpressure: pull a row only when the bridge has room for it.
    while (!sourceDone) {
      throwIfFailed();
      if (abortRows?.aborted || execute.signal.aborted) break;
      if (execute.shouldStop?.() !== undefined) break;
      if (outstanding.size >= capacity) {
        await changed;
        continue;
      }
      const next = await iterator.next();
      if (next.done === true) {
        sourceDone = true;
        break;
      }
      const row = next.value;
      outstanding.set(row.record.id, row);
      execute.onRowStart?.(row);
      await bridge.send({ type: 'row', id: row.record.id, row });
    }
    if (abortRows?.aborted) return;

    // Drain: rows in flight finish (also after the first Ctrl-C), then the bridge says done.
    await bridge.send({ type: 'end' });
    while (!finished) {
      throwIfFailed();
      if (abortRows?.aborted) return;
      await changed;
    }
    if (outstanding.size > 0) {
      throw new RayExecutorError({
        failure: 'internal',
        message: `the Ray bridge finished with ${outstanding.size} rows unanswered (first: ${outstanding.keys().next().value})`,
      });
    }
  } finally {
    abortRows?.removeEventListener('abort', onAbortRows);
    execute.signal.removeEventListener('abort', onStop);
    // Clean-up must never replace the error that ended the run (a fatal line, a crashed bridge).
    if (!sourceDone) await Promise.resolve(iterator.return?.()).catch(() => undefined);
    await shutdown().catch((error: unknown) =>
      log(`judgeflow: stopping the Ray bridge: ${errorMessage(error)}`),
    );
  }

  function throwIfFailed(): void {
    if (failure !== undefined) throw failure;
    if (exit !== undefined) {
      if (exit.error !== undefined) {
        throw bridge.error(
          'connect',
          `cannot start the Ray bridge with ${python}: ${exit.error.message}`,
          exit.error,
        );
      }
      const how = exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code}`;
      throw bridge.error('bridge_exit', `the Ray bridge exited unexpectedly (${how})`);
    }
  }

  async function shutdown(): Promise<void> {
    if (bridge.hasExited) return;
    if (!finished) await bridge.send({ type: 'abort' });
    bridge.closeInput();
    const timer = setTimeout(() => bridge.kill('SIGKILL'), EXIT_GRACE_MS);
    try {
      while (!bridge.hasExited) await changed;
    } finally {
      clearTimeout(timer);
    }
  }
}

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
