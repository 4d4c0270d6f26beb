import { backoffDelayMs, type RetryPolicy, sleep } from './retry-policy.js';

/** What one attempt came to. */
export type AttemptResult<T, E> =
  | { ok: true; value: T }
  | {
      ok: false;
      error: E;
      /** `shouldRetry(...)` for this failure and request. */
      retry: boolean;
      /** The wait the server asked for (`retryAfterMs(headers)`), when it asked. */
      retryAfterMs?: number | undefined;
    };

/** Why the loop stopped on a failure. */
export type GiveUpReason = 'not-retryable' | 'max-retries' | 'wait-budget';

export interface RetryLoopOptions<T, E> {
  policy: Readonly<RetryPolicy>;
  /** Uniform [0,1) jitter source. */
  random?: (() => number) | undefined;
  /** Aborting it ends a backoff wait at once. */
  signal?: AbortSignal | undefined;
  /** One attempt (1-based). A throw ends the loop at once (the caller's cancellation, a closed client). */
  attempt(attempt: number): Promise<AttemptResult<T, E>>;
  /** Told before each wait. */
  onRetry?:
    | ((event: { attempt: number; delayMs: number; fromRetryAfter: boolean; error: E }) => void)
    | undefined;
  /** The error thrown when the loop stops on a failure (default: the failure itself). */
  giveUp?: ((error: E, attempts: number, reason: GiveUpReason) => unknown) | undefined;
  /** The error thrown when `signal` aborts a wait (default: the signal's reason). */
  aborted?: ((reason: unknown, attempts: number, lastError: E) => unknown) | undefined;
}

/**
 * The only retry loop in judgeflow. After a failed attempt it waits what the server asked for
 * (`retry-after-ms` / `retry-after`), else a full-jitter backoff, and tries again — up to
 * `maxRetries` retries, and never past `maxTotalWaitMs` of summed waiting (a wait that would cross it
 * ends the loop at once instead of sleeping past the budget).
 */
export async function withRetries<T, E>(options: RetryLoopOptions<T, E>): Promise<T> {
  const { policy } = options;
  const giveUp = options.giveUp ?? ((error: E) => error);
  let waitedMs = 0;
  for (let attempt = 1; ; attempt += 1) {
    const result = await options.attempt(attempt);
    if (result.ok) return result.value;
    if (!result.retry) throw giveUp(result.error, attempt, 'not-retryable');
    if (attempt > policy.maxRetries) throw giveUp(result.error, attempt, 'max-retries');
    const fromRetryAfter = result.retryAfterMs !== undefined;
    const delayMs = result.retryAfterMs ?? backoffDelayMs(attempt - 1, policy, options.random);
    if (waitedMs + delayMs > policy.maxTotalWaitMs) throw giveUp(result.error, attempt, 'wait-budget');
    options.onRetry?.({ attempt, delayMs, fromRetryAfter, error: result.error });
    waitedMs += delayMs;
    try {
      await sleep(delayMs, options.signal);
    } catch (reason) {
      throw options.aborted !== undefined ? options.aborted(reason, attempt, result.error) : reason;
    }
  }
}
