import { z } from 'zod';

/**
 * The JSON-lines protocol between the CLI (driver), the Python bridge and the Node workers.
 * One JSON object per line; stdout carries nothing but protocol lines (logs go to stderr).
 *
 * CLI → bridge:   hello, row*, end | abort
 * bridge → CLI:   connected | fatal, then ready | fatal, then result* and notice*, then done | fatal
 * bridge → worker (through each actor): hello, row*        worker → bridge: ready | fatal, then result*
 *
 * `protocol` guards the wire format; `judgeflow_version` guards the pipeline itself: a worker image with
 * another judgeflow version could score differently, so it refuses the hello instead of running.
 */
export const PROTOCOL_VERSION = 2;

const planSchema = z
  .object({
    baseDir: z.string(),
    file: z.string().optional(),
    model: z.unknown().optional(),
    judge: z.unknown().optional(),
    scorers: z.array(z.unknown()),
  })
  .passthrough();

export const helloSchema = z
  .object({
    type: z.literal('hello'),
    protocol: z.number().int(),
    judgeflow_version: z.string(),
    plan: planSchema,
    /** Rows a worker runs at once (K). */
    concurrency: z.number().int().positive().optional(),
    /**
     * Environment variables the run needs (the model's and the judges' API key variables): each worker
     * checks that it has them before it says ready, so a cluster without the secrets fails at once.
     */
    required_env: z.array(z.string()).optional(),
    /** The run's name: the `run` label of the worker's own `/metrics` (JUDGEFLOW_METRICS_PORT). */
    run_name: z.string().optional(),
  })
  .passthrough();
export type HelloMessage = z.infer<typeof helloSchema>;

const rowSchema = z
  .object({
    record: z.object({ id: z.string(), inputs: z.record(z.string(), z.unknown()) }).passthrough(),
    index: z.number().int(),
    location: z.object({ source: z.string(), line: z.number() }).passthrough(),
  })
  .passthrough();

/** Lines a worker reads after the hello. */
export const workerInputSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('row'), id: z.string().optional(), row: rowSchema }).passthrough(),
]);

/** A row result on the wire: only what the driver relies on is checked, the rest passes through. */
const resultSchema = z
  .object({
    id: z.string(),
    index: z.number().int(),
    inputs: z.record(z.string(), z.unknown()),
    feedbacks: z.array(z.object({ name: z.string() }).passthrough()),
    trace: z.object({ spans: z.array(z.unknown()) }).passthrough(),
    usage: z.object({}).passthrough(),
    durationMs: z.number(),
  })
  .passthrough();

const workerInfoSchema = z
  .object({
    /** Actor name, as the Ray Dashboard shows it. */
    name: z.string(),
    /** pid of the Node worker process. */
    pid: z.number().int(),
    /** pid of the Ray worker process that hosts the actor. */
    actor_pid: z.number().int(),
    /** The Ray node id the actor runs on. */
    node_id: z.string().optional(),
  })
  .passthrough();
export type RayWorkerInfo = z.infer<typeof workerInfoSchema>;

/** Lines the CLI reads from the bridge. */
export const bridgeOutputSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('connected'),
      /** The GCS address the bridge is connected to. */
      address: z.string(),
      /** The Ray dashboard (empty when the cluster has none). */
      dashboard_url: z.string(),
      /** True when no cluster was given or running, and the bridge started a local head for this run. */
      started_local: z.boolean(),
      /** The token file of a local head's dashboard (token auth), when judgeflow provided it. */
      auth_token_path: z.string().optional(),
      ray_version: z.string().optional(),
    })
    .passthrough(),
  z
    .object({
      type: z.literal('ready'),
      protocol: z.number().int(),
      judgeflow_version: z.string(),
      /** Rows the bridge wants outstanding (sent, not yet answered) to keep every worker busy. */
      capacity: z.number().int().positive(),
      workers: z.array(workerInfoSchema),
    })
    .passthrough(),
  z.object({ type: z.literal('result'), id: z.string().optional(), result: resultSchema }).passthrough(),
  z
    .object({
      type: z.literal('notice'),
      message: z.string(),
      /** `worker_restart`: a worker died and is restarted; its unfinished rows are re-dispatched. */
      event: z.string().optional(),
    })
    .passthrough(),
  z.object({ type: z.literal('fatal'), code: z.string().optional(), message: z.string() }).passthrough(),
  z.object({ type: z.literal('done') }).passthrough(),
]);
export type BridgeOutput = z.infer<typeof bridgeOutputSchema>;

/** Fatal codes the bridge and the workers use. */
export type FatalCode =
  | 'version_mismatch'
  | 'protocol'
  | 'worker_start'
  | 'worker_crash_loop'
  | 'scheduling'
  | 'connect'
  | 'missing_env'
  | 'internal';

/** One protocol line (with its newline). */
export function encodeLine(message: object): string {
  return `${JSON.stringify(message)}\n`;
}

/** The handshake's version check, worded the same way by every side. */
export function versionMismatch(options: {
  workerVersion: string;
  driverVersion: string;
  workerProtocol: number;
  driverProtocol: number;
}): string | undefined {
  if (options.workerProtocol !== options.driverProtocol) {
    return `worker speaks protocol ${options.workerProtocol}, driver ${options.driverProtocol} (worker judgeflow ${options.workerVersion}, driver ${options.driverVersion}); use the same judgeflow version on the driver and in the worker image`;
  }
  if (options.workerVersion !== options.driverVersion) {
    return `worker judgeflow ${options.workerVersion}, driver ${options.driverVersion}; use the same judgeflow version on the driver and in the worker image`;
  }
  return undefined;
}
