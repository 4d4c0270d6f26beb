import { JudgeflowError } from '../../core/errors.js';

/** The error codes `python -m judgeflow_lmeval` reports for a user error (exit 2). */
export type BenchErrorCode =
  | 'unknown_task'
  | 'task_load_failed'
  | 'endpoint_unreachable'
  | 'no_logprobs'
  | 'bad_request'
  | 'shards_incomplete';

/**
 * A benchmark cannot run as asked: an unknown task, a model server that cannot be reached or cannot
 * score prompts, a task that does not load. Exit code 2. The message names the task(s) and the cause.
 */
export class BenchTaskError extends JudgeflowError {
  override readonly name = 'BenchTaskError';
  override readonly exitCode = 2;
  readonly code: BenchErrorCode | string;
  /** The task(s) the error is about, when it is about some. */
  readonly tasks: readonly string[];
  /** Close task names, for `unknown_task`. */
  readonly suggestions: readonly string[];
  constructor(options: {
    code: BenchErrorCode | string;
    message: string;
    tasks?: readonly string[];
    suggestions?: readonly string[];
    cause?: unknown;
  }) {
    super(options.message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = options.code;
    this.tasks = options.tasks ?? [];
    this.suggestions = options.suggestions ?? [];
  }
}
