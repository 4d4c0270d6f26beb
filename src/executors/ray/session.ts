import { errorMessage } from '../../core/errors.js';
import type { ExecuteOptions } from '../../core/executor.js';
import type { DatasetRow } from '../../core/record.js';
import type { RowResult } from '../../core/result.js';
import { currentRunMetrics } from '../../observability/current.js';
import type { RunMetrics } from '../../observability/metrics.js';
import { BridgeProcess } from './bridge-process.js';
import { RayExecutorError, type RayFailure } from './errors.js';
import { type BridgeOutput, PROTOCOL_VERSION, type RayWorkerInfo } from './protocol.js';

/** Where the bridge connected: the cluster it found, or the local head it started. */
export interface RayClusterInfo {
  /** The GCS address. */
  address: string;
  /** The Ray dashboard URL ('' when the cluster has none). */
  dashboardUrl: string;
  /** True when there was no cluster and the bridge started a local head, stopped at the end of the run. */
  startedLocal: boolean;
  /** The file holding the local head's auth token (its dashboard asks for it), when there is one. */
  authTokenPath?: string;
}

export interface SessionOptions {
  python: string;
  args: string[];
  env: Readonly<Record<string, string | undefined>>;
  hello: object;
  /** Seconds from spawning the bridge until it is connected to a cluster (or started a local head). */
  connectTimeoutS: number;
  log: (line: string) => void;
  onConnected?: (cluster: RayClusterInfo) => void;
  onWorkers?: (workers: RayWorkerInfo[]) => void;
}

/** Seconds to wait for the bridge to exit after `done` or an abort before killing it. */
const EXIT_GRACE_MS = 15_000;

/**
 * One bridge process, from spawn to exit: `start()` connects to the cluster and starts every worker
 * (nothing is written yet, so a failure here costs the run nothing), `run()` streams rows with
 * backpressure and passes each row's first result on, `shutdown()` ends the bridge — which stops its
 * actors and, when it started one, the local Ray head.
 */
export class RaySession {
  readonly #options: SessionOptions;
  readonly #bridge: BridgeProcess;
  readonly #outstanding = new Map<string, DatasetRow>();
  readonly #reported = new Set<string>();
  #connected: RayClusterInfo | undefined;
  #ready: Extract<BridgeOutput, { type: 'ready' }> | undefined;
  #finished = false;
  #failure: RayExecutorError | undefined;
  #exit: { code: number | null; signal: NodeJS.Signals | null; error?: Error } | undefined;
  #wake: () => void = () => undefined;
  #changed: Promise<void>;
  /** Set while `run` is streaming: where results go. */
  #execute: ExecuteOptions | undefined;
  /** The run's metrics (worker restarts), taken when the run starts executing. */
  #metrics: RunMetrics | undefined;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.#changed = new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    this.#bridge = new BridgeProcess({
      python: options.python,
      args: options.args,
      env: options.env,
      cwd: process.cwd(),
      onMessage: (message) => this.#onMessage(message),
      onLog: options.log,
      onExit: (outcome) => {
        this.#exit = outcome;
        this.#notify();
      },
    });
  }

  /** Connects and starts the workers; resolves once every worker finished its handshake. */
  async start(signal?: AbortSignal): Promise<void> {
    const onAbort = (): void => this.#notify();
    signal?.addEventListener('abort', onAbort, { once: true });
    const deadline = Date.now() + this.#options.connectTimeoutS * 1000;
    const timer = setTimeout(() => this.#notify(), this.#options.connectTimeoutS * 1000 + 10);
    try {
      await this.#bridge.send({ type: 'hello', ...this.#options.hello });
      while (this.#connected === undefined && this.#ready === undefined) {
        this.#throwIfFailed();
        if (signal?.aborted) return;
        if (Date.now() >= deadline) {
          this.#bridge.kill('SIGKILL');
          throw this.#bridge.error(
            'connect',
            `could not connect to the Ray cluster within ${this.#options.connectTimeoutS}s (is the address right, and the head reachable from here?)`,
          );
        }
        await this.#changed;
      }
      clearTimeout(timer);
      while (this.#ready === undefined) {
        this.#throwIfFailed();
        if (signal?.aborted) return;
        await this.#changed;
      }
      if (this.#ready.protocol !== PROTOCOL_VERSION) {
        throw new RayExecutorError({
          failure: 'version_mismatch',
          message: `the Ray bridge speaks protocol ${this.#ready.protocol}, the driver ${PROTOCOL_VERSION}`,
        });
      }
      this.#options.onWorkers?.(this.#ready.workers);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Streams rows to the started workers and waits for their results (see ExecuteOptions). */
  async run(rows: AsyncIterable<DatasetRow>, execute: ExecuteOptions): Promise<void> {
    const ready = this.#ready;
    if (ready === undefined) return; // interrupted while starting
    this.#execute = execute;
    this.#metrics = currentRunMetrics();
    const abortRows = execute.abortRows;
    const onAbortRows = (): void => {
      void this.#bridge.send({ type: 'abort' }).finally(() => this.#bridge.closeInput());
      this.#notify();
    };
    const onStop = (): void => this.#notify();
    abortRows?.addEventListener('abort', onAbortRows, { once: true });
    execute.signal.addEventListener('abort', onStop, { once: true });
    const iterator = rows[Symbol.asyncIterator]();
    let sourceDone = false;
    try {
      // Dispatch with backpressure: pull a row only when the bridge has room for it (and the budget).
      while (!sourceDone) {
        this.#throwIfFailed();
        if (abortRows?.aborted || execute.signal.aborted) break;
        const admission = execute.admit?.() ?? 'dispatch';
        if (admission === 'stop') break;
        if (admission === 'wait' || this.#outstanding.size >= ready.capacity) {
          await this.#changed;
          continue;
        }
        const next = await iterator.next();
        if (next.done === true) {
          sourceDone = true;
          break;
        }
        const row = next.value;
        this.#outstanding.set(row.record.id, row);
        execute.onRowStart?.(row);
        await this.#bridge.send({ type: 'row', id: row.record.id, row });
      }
      if (abortRows?.aborted) return;

      // Drain: rows in flight finish (unless aborted), then the bridge says done.
      await this.#bridge.send({ type: 'end' });
      while (!this.#finished) {
        this.#throwIfFailed();
        if (abortRows?.aborted) return;
        await this.#changed;
      }
      if (this.#outstanding.size > 0) {
        throw new RayExecutorError({
          failure: 'internal',
          message: `the Ray bridge finished with ${this.#outstanding.size} rows unanswered (first: ${this.#outstanding.keys().next().value})`,
        });
      }
    } finally {
      abortRows?.removeEventListener('abort', onAbortRows);
      execute.signal.removeEventListener('abort', onStop);
      if (!sourceDone) await Promise.resolve(iterator.return?.()).catch(() => undefined);
    }
  }

  /** Ends the bridge (aborting it unless it finished); never throws — clean-up must not hide the run's error. */
  async shutdown(): Promise<void> {
    try {
      if (this.#bridge.hasExited) return;
      if (!this.#finished) await this.#bridge.send({ type: 'abort' });
      this.#bridge.closeInput();
      // A local head takes a few seconds to stop; the grace covers it before the process group is killed.
      const timer = setTimeout(() => this.#bridge.kill('SIGKILL'), EXIT_GRACE_MS);
      try {
        while (!this.#bridge.hasExited) await this.#changed;
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      this.#options.log(`judgeflow: stopping the Ray bridge: ${errorMessage(error)}`);
    }
  }

  #notify(): void {
    const resolve = this.#wake;
    this.#changed = new Promise<void>((next) => {
      this.#wake = next;
    });
    resolve();
  }

  #onMessage(message: BridgeOutput): void {
    switch (message.type) {
      case 'connected':
        this.#connected = {
          address: message.address,
          dashboardUrl: message.dashboard_url,
          startedLocal: message.started_local,
          ...(message.auth_token_path ? { authTokenPath: message.auth_token_path } : {}),
        };
        this.#options.onConnected?.(this.#connected);
        break;
      case 'ready':
        this.#ready = message;
        break;
      case 'result':
        this.#onResult(message.result as unknown as RowResult);
        break;
      case 'notice':
        this.#options.log(`judgeflow ray: ${message.message}`);
        // A dead worker restarted, its unfinished rows re-dispatched.
        if (message.event === 'worker_restart') this.#metrics?.workerRestarted();
        break;
      case 'fatal':
        this.#failure ??= new RayExecutorError({
          failure: (message.code ?? 'internal') as RayFailure,
          message: `Ray run failed: ${message.message}`,
        });
        break;
      case 'done':
        this.#finished = true;
        break;
    }
    this.#notify();
  }

  #onResult(result: RowResult): void {
    const execute = this.#execute;
    // After an abort nothing more is reported: rows are abandoned, not half-counted.
    if (execute === undefined || execute.abortRows?.aborted) return;
    // The first result for a row id wins; a duplicate from a worker thought dead is dropped.
    if (this.#reported.has(result.id)) return;
    if (!this.#outstanding.delete(result.id)) {
      this.#options.log(`judgeflow: ignoring a result for a row that was not dispatched: ${result.id}`);
      return;
    }
    this.#reported.add(result.id);
    execute.onResult(result);
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
    const exit = this.#exit;
    if (exit === undefined) return;
    if (exit.error !== undefined) {
      throw this.#bridge.error(
        'connect',
        `cannot start the Ray bridge with ${this.#options.python}: ${exit.error.message}`,
        exit.error,
      );
    }
    const how = exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code}`;
    throw this.#bridge.error('bridge_exit', `the Ray bridge exited unexpectedly (${how})`);
  }
}
