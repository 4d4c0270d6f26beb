/**
 * The one retry policy of every outbound HTTP call in judgeflow (models, judges, MLflow, the Ray Jobs
 * API): which failures are worth retrying, for which requests, how long to wait, and what the server
 * asked for. Pure functions — no timers except `sleep`. The loop that applies them is `retry-loop.ts`.
 */

/** How a caller retries. All durations in milliseconds. */
export interface RetryPolicy {
  /** Retries after the first attempt (so at most `maxRetries + 1` attempts). */
  maxRetries: number;
  /** Backoff scale: the n-th retry waits up to `baseDelayMs * 2^n` (before the cap). */
  baseDelayMs: number;
  /** Cap on one computed backoff delay (a server's `retry-after` may ask for longer). */
  maxDelayMs: number;
  /**
   * Cap on the time one call spends waiting between attempts, summed. A `retry-after` that would cross
   * it ends the call at once instead of sleeping past the budget.
   */
  maxTotalWaitMs: number;
}

/** Model and judge calls: slow, paid, rate-limited endpoints that ask for long waits. */
export const defaultRetryPolicy: Readonly<RetryPolicy> = {
  maxRetries: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxTotalWaitMs: 120_000,
};

/** `base` with the fields of `overrides` that are set (an `undefined` field keeps the base value). */
export function retryPolicyWith(
  base: Readonly<RetryPolicy>,
  overrides: Partial<RetryPolicy> | undefined,
): RetryPolicy {
  return { ...base, ...definedOnly(overrides ?? {}) };
}

/** The fields of an options object that are set. */
export function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Control-plane calls (MLflow, the Ray Jobs API): quick answers, so shorter waits and a smaller budget. */
export const controlPlaneRetryPolicy: Readonly<RetryPolicy> = {
  maxRetries: 4,
  baseDelayMs: 300,
  maxDelayMs: 10_000,
  maxTotalWaitMs: 30_000,
};

/** Statuses worth another try: request timeout, conflict, rate limit and server errors. Other 4xx never. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * Statuses that mean "too much load, request turned away unprocessed": 429, 503 and Anthropic's 529
 * (overloaded). They shrink an endpoint's adaptive concurrency, and are retried for any request —
 * the server did not act on it.
 */
export function isOverloadStatus(status: number): boolean {
  return status === 429 || status === 503 || status === 529;
}

/** Why an attempt failed, as far as retrying is concerned. */
export type FailureClass =
  /** An HTTP status. */
  | { status: number }
  /** The request provably never reached the server (connection refused, DNS, connect timeout). */
  | { transport: 'unsent' }
  /** It may have been processed: a reset, a socket error, a timeout waiting for the answer. */
  | { transport: 'ambiguous' }
  /** Retrying cannot help (a response over the size limit). */
  | { transport: 'fatal' };

/**
 * Whether a failed attempt is tried again. Requests the server turned away unprocessed (429/503/529)
 * or never saw are always retried; one it may have acted on (408/409/5xx, a reset, a timeout) only
 * when sending it twice does what sending it once does — a GET, a PUT, a DELETE, or a POST its caller
 * marks idempotent (a model or judge call, an MLflow write with a client-chosen id, a Ray job with a
 * client-chosen submission id). Other 4xx never.
 */
export function shouldRetry(failure: FailureClass, idempotent: boolean): boolean {
  if ('status' in failure) {
    if (isOverloadStatus(failure.status)) return true;
    return idempotent && isRetryableStatus(failure.status);
  }
  if (failure.transport === 'unsent') return true;
  if (failure.transport === 'fatal') return false;
  return idempotent;
}

/** Idempotent by method (RFC 9110); a POST is idempotent only when its caller says so. */
export function idempotentMethod(method: string): boolean {
  return ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'].includes(method.toUpperCase());
}

/**
 * "Full jitter" exponential backoff: a uniform wait in [0, min(cap, base·2^retry)). Spreading retries over
 * the whole window (rather than base ± a little) is what keeps a burst of 429s from coming back in step.
 * `retry` counts from 0 for the first retry.
 */
export function backoffDelayMs(
  retry: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry));
  return Math.floor(random() * ceiling);
}

/** Header lookup over Node/undici's header record (names lowercase; values may repeat). */
export type HeaderRecord = Readonly<Record<string, string | string[] | undefined>>;

export function headerValue(headers: HeaderRecord, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (Array.isArray(value)) return value[0];
  return value;
}

/**
 * The wait a server asked for, in ms, or undefined when it asked for none (or something unparseable).
 * `retry-after-ms` (OpenAI, Azure) wins over `retry-after`, which is either delta-seconds or an HTTP date.
 */
export function retryAfterMs(headers: HeaderRecord, nowEpochMs: number = Date.now()): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined) {
    const parsed = Number(ms.trim());
    if (ms.trim() !== '' && Number.isFinite(parsed) && parsed >= 0) return parsed;
  }
  const value = headerValue(headers, 'retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowEpochMs);
}

/**
 * A rate-limit reset duration as OpenAI writes it (`1s`, `6m0s`, `20ms`, `1h2m3.5s`) or plain seconds
 * (`12`, `0.5`), in ms; undefined when unparseable.
 */
export function parseResetDuration(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const unitMs: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    if (match.index !== consumed) return undefined;
    consumed += match[0].length;
    total += Number(match[1]) * (unitMs[match[2] as string] as number);
  }
  return consumed === text.length ? total : undefined;
}

/**
 * Resolves after `ms`, or rejects with the signal's reason as soon as it aborts — so a Ctrl-C never waits
 * out a backoff.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
