import { Pool } from 'undici';
import type { ZodType } from 'zod';
import { ConfigError, ProviderError } from '../core/errors.js';
import { headerSecrets, isCredentialParam, Redactor, withoutCredentials } from '../core/redact.js';
import { withRetries } from '../http/retry-loop.js';
import {
  defaultRetryPolicy,
  type HeaderRecord,
  type RetryPolicy,
  retryPolicyWith,
} from '../http/retry-policy.js';
import { type SendResult, send } from '../http/transport.js';
import { AdaptiveConcurrencyLimiter, type ConcurrencySlot } from './adaptive-limiter.js';
import {
  type AttemptOutcome,
  type AttemptRequest,
  attemptOutcome,
  openAiTotalTokens,
  requestIdOf,
  withAttempts,
} from './attempt-outcome.js';
import { EndpointRateLimits } from './rate-limits.js';

/** How one endpoint (a base URL) is called. Every field is optional; defaults in parentheses. */
export interface EndpointOptions {
  /** Calls in flight at most, and the connection pool size (16). Adaptive concurrency starts here. */
  maxConcurrency?: number;
  /** Floor of adaptive concurrency (1). */
  minConcurrency?: number;
  /** false: fixed concurrency, no halving on 429/503 (true). */
  adaptiveConcurrency?: boolean;
  /** Per-attempt deadline covering headers and body, in ms (60 000). */
  timeoutMs?: number;
  /** TCP/TLS connect deadline in ms (10 000). */
  connectTimeoutMs?: number;
  /** Retry policy (see `defaultRetryPolicy`). */
  retry?: Partial<RetryPolicy>;
  /** Requests-per-minute budget (none). */
  requestsPerMinute?: number;
  /** Tokens-per-minute budget (none). */
  tokensPerMinute?: number;
  /** Burst of the rpm/tpm buckets, in seconds of the rate (1). */
  rateBurstSeconds?: number;
  /** Headers sent on every call, e.g. `authorization`. Never logged, never copied into errors. */
  headers?: Record<string, string>;
  /** Larger response bodies fail as `invalid_response` (32 MiB). */
  maxResponseBytes?: number;
}

/** Told to the caller before each retry, so spans and logs can show it. */
export interface RetryEvent {
  /** The attempt that failed (1-based). */
  attempt: number;
  /** How long the runtime waits before the next attempt. */
  delayMs: number;
  /** Whether the wait came from the server's `retry-after`. */
  fromRetryAfter: boolean;
  /** The failure that is being retried. */
  error: ProviderError;
}

export interface CallOptions<T> {
  /** Validates the response body; a mismatch fails as `invalid_response` (not retried). */
  schema: ZodType<T>;
  /** Aborting it ends the call at once (queued, in flight or backing off) with kind `aborted`. */
  signal?: AbortSignal | undefined;
  /** Extra headers for this call (merged over the endpoint's). Never logged. */
  headers?: Record<string, string> | undefined;
  /** Tokens this call will probably use, charged to the tpm bucket before sending. */
  estimatedTokens?: number | undefined;
  /** Overrides the endpoint's per-attempt deadline. */
  timeoutMs?: number | undefined;
  /** Tokens the call actually used, read from the validated body (default: OpenAI `usage.total_tokens`). */
  tokensUsed?: ((data: T) => number | undefined) | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

export interface HttpResponse<T> {
  data: T;
  status: number;
  headers: HeaderRecord;
  /** Attempts made, 1 when the first one succeeded. */
  attempts: number;
  /** Wall time of the whole call: queueing, every attempt and the waits between them. */
  latencyMs: number;
  /** The server's `x-request-id`, when it sent one. */
  requestId: string | undefined;
}

/** Counters since the endpoint was created. */
export interface EndpointStats {
  concurrencyLimit: number;
  inFlight: number;
  queued: number;
  calls: number;
  attempts: number;
  retries: number;
  failures: number;
}

export interface EndpointDependencies {
  /** Uniform [0,1) source for backoff jitter (tests pass a fixed one). */
  random?: () => number;
}

const DEFAULTS = {
  maxConcurrency: 16,
  timeoutMs: 60_000,
  connectTimeoutMs: 10_000,
  maxResponseBytes: 32 * 1024 * 1024,
};

/**
 * One HTTP endpoint (a base URL): a keep-alive connection pool, adaptive concurrency with a FIFO queue,
 * optional rpm/tpm budgets, per-attempt deadlines, and the only retry loop in judgeflow's model and judge
 * calls. Created by `HttpRuntime.endpoint()`.
 */
export class HttpEndpoint {
  readonly baseUrl: string;
  readonly #origin: string;
  readonly #basePath: string;
  readonly #baseQuery: string;
  readonly #pool: Pool;
  readonly #limiter: AdaptiveConcurrencyLimiter;
  readonly #rateLimits: EndpointRateLimits;
  readonly #retry: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #headers: Record<string, string>;
  /** Knows the endpoint's own credentials (auth headers, credential query parameters). */
  readonly #redactor: Redactor;
  readonly #random: () => number;
  #closed = false;
  #calls = 0;
  #attempts = 0;
  #retries = 0;
  #failures = 0;

  constructor(baseUrl: string, options: EndpointOptions = {}, dependencies: EndpointDependencies = {}) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch (cause) {
      throw new ConfigError(`base_url "${withoutCredentials(baseUrl)}" is not a valid URL`, {
        field: 'base_url',
        cause,
      });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError(
        `base_url ${withoutCredentials(baseUrl)} must be an http:// or https:// URL, not ${url.protocol}//`,
        { field: 'base_url' },
      );
    }
    this.#origin = url.origin;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#baseQuery = url.search;
    // Userinfo and query strings can hold credentials: the public name has neither.
    this.baseUrl = `${this.#origin}${this.#basePath}`;
    const maxConcurrency = options.maxConcurrency ?? DEFAULTS.maxConcurrency;
    this.#limiter = new AdaptiveConcurrencyLimiter({
      max: maxConcurrency,
      ...(options.minConcurrency !== undefined ? { min: options.minConcurrency } : {}),
      ...(options.adaptiveConcurrency !== undefined ? { adaptive: options.adaptiveConcurrency } : {}),
    });
    this.#rateLimits = new EndpointRateLimits({
      requestsPerMinute: options.requestsPerMinute,
      tokensPerMinute: options.tokensPerMinute,
      burstSeconds: options.rateBurstSeconds,
    });
    this.#retry = retryPolicyWith(defaultRetryPolicy, options.retry);
    this.#timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.#headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...lowerKeys(options.headers),
    };
    this.#redactor = new Redactor([
      ...headerSecrets(this.#headers),
      ...[...url.searchParams].filter(([name]) => isCredentialParam(name)).map(([, value]) => value),
      decodeURIComponent(url.password),
    ]);
    this.#random = dependencies.random ?? Math.random;
    this.#pool = new Pool(this.#origin, {
      // The limiter never lets more than max calls out, so a connection is always free for one.
      connections: maxConcurrency,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      // The per-attempt deadline below covers headers and body together; undici's own timers are off.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { timeout: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs },
      maxResponseSize: options.maxResponseBytes ?? DEFAULTS.maxResponseBytes,
    });
  }

  /** How calls to this endpoint are retried (the reachability probe follows the same policy). */
  get retryPolicy(): Readonly<RetryPolicy> {
    return this.#retry;
  }

  /** The current adaptive concurrency limit. */
  get concurrencyLimit(): number {
    return this.#limiter.limit;
  }

  stats(): EndpointStats {
    return {
      concurrencyLimit: this.#limiter.limit,
      inFlight: this.#limiter.inFlight,
      queued: this.#limiter.queued,
      calls: this.#calls,
      attempts: this.#attempts,
      retries: this.#retries,
      failures: this.#failures,
    };
  }

  /** POSTs `body` as JSON to `path` (relative to the base URL) and validates the JSON answer. */
  postJson<T>(path: string, body: unknown, options: CallOptions<T>): Promise<HttpResponse<T>> {
    return this.requestJson('POST', path, body, options);
  }

  /** GETs `path` and validates the JSON answer. */
  getJson<T>(path: string, options: CallOptions<T>): Promise<HttpResponse<T>> {
    return this.requestJson('GET', path, undefined, options);
  }

  async requestJson<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body: unknown,
    options: CallOptions<T>,
  ): Promise<HttpResponse<T>> {
    const started = performance.now();
    this.#calls += 1;
    const url = this.#publicUrl(path);
    const signal = options.signal;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers =
      options.headers === undefined ? this.#headers : { ...this.#headers, ...lowerKeys(options.headers) };
    const estimate =
      options.estimatedTokens ??
      (this.#rateLimits.limitsTokens && payload !== undefined ? Math.ceil(payload.length / 4) : 0);
    const request: AttemptRequest = {
      method,
      url,
      target: `${this.#origin}${this.#basePath}${path}${this.#baseQuery}`,
      payload,
      headers,
      timeoutMs: options.timeoutMs ?? this.#timeoutMs,
      signal,
      schema: options.schema,
    };
    try {
      const result = await withRetries<
        { status: number; headers: HeaderRecord; data: T; attempt: number },
        ProviderError
      >({
        policy: this.#retry,
        random: this.#random,
        signal,
        attempt: async (attempt) => {
          const outcome = await this.#scheduledAttempt(request, estimate, attempt);
          if (!outcome.ok) return outcome;
          const data = outcome.value.json as T;
          this.#rateLimits.settle(estimate, (options.tokensUsed ?? openAiTotalTokens)(data));
          return {
            ok: true,
            value: { status: outcome.value.status, headers: outcome.value.headers, data, attempt },
          };
        },
        onRetry: (event) => {
          this.#retries += 1;
          options.onRetry?.(event);
        },
        giveUp: (failure, attempts, reason) =>
          withAttempts(
            failure,
            attempts,
            reason === 'wait-budget'
              ? `retry budget of ${this.#retry.maxTotalWaitMs} ms exhausted`
              : undefined,
          ),
        aborted: (reason, attempts) => this.#aborted(url, attempts, reason),
      });
      return {
        data: result.data,
        status: result.status,
        headers: result.headers,
        attempts: result.attempt,
        latencyMs: performance.now() - started,
        requestId: requestIdOf(result.headers),
      };
    } catch (error) {
      this.#failures += 1;
      throw error;
    }
  }

  /** Closes the pool; calls still in flight finish (abort them first to end them at once). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#rateLimits.close(new Error('HTTP runtime closed'));
    await this.#pool.close();
  }

  /** Closes the pool at once, failing calls still in flight (kind `network`, or `aborted` when retried). */
  async destroy(): Promise<void> {
    this.#closed = true;
    this.#rateLimits.close(new Error('HTTP runtime closed'));
    await this.#pool.destroy();
  }

  /** One attempt, once a concurrency slot and the rpm/tpm budgets allow it. */
  async #scheduledAttempt(
    request: AttemptRequest,
    estimate: number,
    attempt: number,
  ): Promise<AttemptOutcome> {
    const { url, signal } = request;
    if (this.#closed) throw this.#aborted(url, attempt - 1, new Error('HTTP runtime closed'));
    let slot: ConcurrencySlot;
    try {
      slot = await this.#limiter.acquire(signal);
    } catch (reason) {
      throw this.#aborted(url, attempt - 1, reason);
    }
    try {
      await this.#rateLimits.acquire(estimate, signal);
    } catch (reason) {
      slot.release('neutral');
      throw this.#aborted(url, attempt - 1, reason);
    }
    if (this.#closed) {
      slot.release('neutral');
      throw this.#aborted(url, attempt - 1, new Error('HTTP runtime closed'));
    }
    this.#attempts += 1;
    let sent: SendResult;
    try {
      sent = await send({
        url: request.target,
        method: request.method,
        headers: request.headers,
        body: request.payload,
        timeoutMs: request.timeoutMs,
        signal,
        dispatcher: this.#pool,
      });
    } catch (reason) {
      // Transport and HTTP failures come back as outcomes; what escapes is the caller's cancellation.
      slot.release('neutral');
      this.#rateLimits.settle(estimate, undefined);
      throw this.#aborted(url, attempt, reason);
    }
    if (sent.ok) this.#rateLimits.observe(sent.headers);
    const redactor =
      request.headers === this.#headers
        ? this.#redactor
        : new Redactor(headerSecrets(request.headers)).addSecrets(this.#redactor.secrets());
    const outcome = attemptOutcome(request, sent, redactor);
    slot.release(outcome.ok ? 'success' : outcome.slot);
    if (!outcome.ok) this.#rateLimits.settle(estimate, undefined);
    return outcome;
  }

  #publicUrl(path: string): string {
    const queryAt = path.indexOf('?');
    return `${this.baseUrl}${queryAt === -1 ? path : path.slice(0, queryAt)}`;
  }

  #aborted(url: string, attempts: number, reason: unknown): ProviderError {
    return new ProviderError({
      message: `call to ${url} aborted${reason instanceof Error && reason.message !== '' ? `: ${reason.message}` : ''}`,
      url,
      kind: 'aborted',
      retryable: false,
      attempts,
      cause: reason,
    });
  }
}

function lowerKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  for (const [key, value] of Object.entries(headers)) out[key.toLowerCase()] = value;
  return out;
}
