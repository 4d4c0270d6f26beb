import { JudgeflowError } from '../../core/errors.js';

/** Why a Ray run could not go on. */
export type RayFailure =
  /** The worker's judgeflow version or protocol differs from the driver's. */
  | 'version_mismatch'
  /** A line that does not follow the protocol. */
  | 'protocol'
  /** A Node worker failed during start-up (bad command, pipeline could not be built). */
  | 'worker_start'
  /** A worker died more often than its restart budget allows. */
  | 'worker_crash_loop'
  /** Actors could not be scheduled in time (cluster resources). */
  | 'scheduling'
  /** The bridge could not reach the Ray cluster (or has no `ray` installed). */
  | 'connect'
  /** The bridge process itself failed or exited unexpectedly. */
  | 'bridge_exit'
  | 'internal';

/**
 * Exit code per failure: the cluster (or what runs on it) not being usable is an infrastructure
 * failure (5); a protocol violation or an internal failure is a bug (70). Never 1, which means "a
 * quality gate failed".
 */
const EXIT_CODES: Record<RayFailure, number> = {
  version_mismatch: 5,
  protocol: 70,
  worker_start: 5,
  worker_crash_loop: 5,
  scheduling: 5,
  connect: 5,
  bridge_exit: 5,
  internal: 70,
};

/** A Ray run failed; `failure` says how, the message says what to do. Exit code 5 or 70 (above). */
export class RayExecutorError extends JudgeflowError {
  override readonly name = 'RayExecutorError';
  override readonly exitCode: number;
  readonly failure: RayFailure;
  /** The last lines the bridge wrote to stderr, for diagnosis. */
  readonly stderrTail: string | undefined;
  constructor(options: { failure: RayFailure; message: string; stderrTail?: string; cause?: unknown }) {
    super(options.message, { cause: options.cause });
    this.failure = options.failure;
    this.exitCode = EXIT_CODES[options.failure];
    this.stderrTail = options.stderrTail;
  }
}
