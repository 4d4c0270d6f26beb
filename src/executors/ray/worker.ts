import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import path from 'node:path';
import { type Env, readSecret } from '../../config/env.js';
import { errorMessage } from '../../core/errors.js';
import type { DatasetRow } from '../../core/record.js';
import { withRunMetrics } from '../../observability/current.js';
import { RunMetrics } from '../../observability/metrics.js';
import {
  DEFAULT_METRICS_PORT_SPAN,
  metricsEndpointFrom,
  startMetricsServer,
  startMetricsServerInRange,
} from '../../observability/server.js';
import type { PipelinePlan } from '../../runner/build.js';
import { type RowPipeline, runRow } from '../../runner/pipeline.js';
import {
  encodeLine,
  type FatalCode,
  helloSchema,
  PROTOCOL_VERSION,
  versionMismatch,
  workerInputSchema,
} from './protocol.js';

export interface WorkerIo {
  /** Protocol lines from the bridge's actor (stdin), without newlines. Ends when stdin closes. */
  input: AsyncIterable<string>;
  /** Writes one protocol line (stdout). */
  write(line: string): void;
  /** Diagnostics (stderr). */
  log(line: string): void;
  /** This worker's judgeflow version. */
  version: string;
  env: Env;
  /** Where a relative `plan.baseDir` resolves (the actor's working directory). */
  cwd: string;
  pid: number;
  /** Builds the pipeline from the plan (`buildPipeline` in a real worker). */
  build: (plan: PipelinePlan, env: Env) => Promise<RowPipeline>;
  /**
   * Starts the `/metrics` server on one port when `env.metricsPort` is set (default
   * `startMetricsServer`); tried on each port of the span until one is free.
   */
  serveMetrics?: typeof startMetricsServer;
}

const DEFAULT_CONCURRENCY = 16;

/**
 * The Node side of a Ray actor: handshake, then runs rows with the per-row pipeline, up to K at a
 * time, and writes one result line per row. Returns the process exit code: 0 when its input ended
 * (the actor closed stdin — rows still running are abandoned, so no orphan keeps working), 2 when the
 * handshake or the pipeline set-up failed (a `fatal` line says why).
 */
export async function runWorker(io: WorkerIo): Promise<number> {
  const lines = io.input[Symbol.asyncIterator]();
  const fatal = (code: FatalCode, message: string): number => {
    io.write(encodeLine({ type: 'fatal', code, message }));
    io.log(`judgeflow worker: ${message}`);
    return 2;
  };

  const first = await lines.next();
  if (first.done === true) return 0;
  const hello = helloSchema.safeParse(parseJson(first.value));
  if (!hello.success) {
    return fatal('protocol', `expected a hello line first, got: ${first.value.slice(0, 200)}`);
  }
  const mismatch = versionMismatch({
    workerVersion: io.version,
    driverVersion: hello.data.judgeflow_version,
    workerProtocol: PROTOCOL_VERSION,
    driverProtocol: hello.data.protocol,
  });
  if (mismatch !== undefined) return fatal('version_mismatch', mismatch);
  const missing = (hello.data.required_env ?? []).filter((name) => readSecret(io.env, name) === undefined);
  if (missing.length > 0) {
    return fatal(
      'missing_env',
      `the worker on ${hostname()} lacks environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which the run needs (API keys); set ${missing.length > 1 ? 'them' : 'it'} where the Ray workers run (the cluster's environment or worker image), not only on the driver`,
    );
  }

  // Relative base dirs point into the actor's working directory (Ray unpacks the job's working_dir
  // at a different path on every node). The model endpoint's default concurrency is this worker's K.
  const concurrency = hello.data.concurrency ?? DEFAULT_CONCURRENCY;
  const plan: PipelinePlan = {
    ...(hello.data.plan as unknown as PipelinePlan),
    baseDir: path.resolve(io.cwd, hello.data.plan.baseDir),
    concurrency,
  };
  let pipeline: RowPipeline;
  try {
    pipeline = await io.build(plan, io.env);
  } catch (error) {
    return fatal('worker_start', `cannot build the pipeline: ${errorMessage(error)}`);
  }
  // This worker's own /metrics (scorer and endpoint metrics of the rows it scores), when its
  // environment sets JUDGEFLOW_METRICS_PORT (9465 in the cluster manifests). Several worker actors
  // share one Ray worker pod: each takes the first free port of JUDGEFLOW_METRICS_PORT_SPAN ports.
  const endpoint = metricsEndpointFrom({ env: io.env });
  let metrics: RunMetrics | undefined;
  if (endpoint !== undefined) {
    metrics = new RunMetrics({ run: hello.data.run_name ?? 'unknown' });
    const span = io.env.metricsPortSpan ?? DEFAULT_METRICS_PORT_SPAN;
    try {
      const server = await startMetricsServerInRange(
        { ...endpoint, span, registry: metrics.registry },
        io.serveMetrics ?? startMetricsServer,
      );
      io.log(
        `judgeflow worker: Prometheus metrics on ${server.url}` +
          (server.port === endpoint.port ? '' : ` (port ${endpoint.port} was taken)`),
      );
    } catch (error) {
      // Metrics are informational: taken ports never stop a worker from scoring.
      io.log(`judgeflow worker: no /metrics: ${errorMessage(error)}`);
      metrics = undefined;
    }
  }
  io.write(
    encodeLine({ type: 'ready', protocol: PROTOCOL_VERSION, judgeflow_version: io.version, pid: io.pid }),
  );

  const stop = new AbortController();
  // Every row in flight listens on it (the worker runs `concurrency` rows at once): not a leak.
  setMaxListeners(0, stop.signal);
  const waiting: DatasetRow[] = [];
  let running = 0;
  let crashed: unknown;
  let onCrash: () => void = () => undefined;
  const crash = new Promise<{ crash: true }>((resolve) => {
    onCrash = () => resolve({ crash: true });
  });

  const start = (row: DatasetRow): void => {
    running++;
    withRunMetrics(metrics, () => runRow(row, pipeline, stop.signal)).then(
      (result) => {
        running--;
        if (stop.signal.aborted) return;
        io.write(encodeLine({ type: 'result', id: result.id, result }));
        const next = waiting.shift();
        if (next !== undefined) start(next);
      },
      (error: unknown) => {
        // runRow never throws; if it does, this worker is broken: let the bridge re-dispatch elsewhere.
        crashed ??= error;
        stop.abort();
        onCrash();
      },
    );
  };

  for (;;) {
    const next = await Promise.race([lines.next(), crash]);
    if ('crash' in next || next.done === true) break;
    const message = workerInputSchema.safeParse(parseJson(next.value));
    if (!message.success) {
      stop.abort();
      return fatal('protocol', `unexpected line: ${next.value.slice(0, 200)}`);
    }
    const row = message.data.row as unknown as DatasetRow;
    if (running < concurrency) start(row);
    else waiting.push(row);
  }
  stop.abort();
  if (crashed !== undefined) {
    io.log(`judgeflow worker: row pipeline failed: ${errorMessage(crashed)}`);
    return 1;
  }
  // stdin closed: the actor is gone or shutting down; in-flight rows are abandoned on purpose.
  return 0;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
