import { type Dispatcher, Pool } from 'undici';
import type { ZodType } from 'zod';
import { ConfigError, ProviderError } from '../core/errors.js';
import { isPlainObject } from '../core/json.js';
import { headerSecrets, isCredentialParam, Redactor, withoutCredentials } from '../core/redact.js';
import { AdaptiveConcurrencyLimiter, type ConcurrencySlot, type SlotOutcome } from './adaptive-limiter.js';
import {
  backoffDelayMs,
  defaultRetryPolicy,
  type HeaderRecord,
  headerValue,
  isOverloadStatus,
  isRetryableStatus,
  type RetryPolicy,
  retryAfterMs,
  sleep,
} from './backoff.js';
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

const EXCERPT_CHARS = 500;
/** How much of an error body is scrubbed before the excerpt is cut (a secret is never cut in half). */
const SCRUBBED_CHARS = 64 * 1024;
const DEFAULTS = {
  maxConcurrency: 16,
  timeoutMs: 60_000,
  connectTimeoutMs: 10_000,
  maxResponseBytes: 32 * 1024 * 1024,
};

type AttemptOutcome =
  | { ok: true; status: number; headers: HeaderRecord; json: unknown }
  | { ok: false; error: ProviderError; retryAfterMs: number | undefined; outcome: SlotOutcome };

/** Marks the per-attempt deadline as the abort reason, to tell it from the caller's cancellation. */
class AttemptTimeout extends Error {
  override readonly name = 'AttemptTimeout';
}

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
    this.#retry = { ...defaultRetryPolicy, ...definedOnly(options.retry ?? {}) };
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
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    let waitedMs = 0;

    for (let attempt = 1; ; attempt += 1) {
      if (this.#closed) throw this.#aborted(url, attempt - 1, new Error('HTTP runtime closed'));
      let slot: ConcurrencySlot;
      try {
        slot = await this.#limiter.acquire(signal);
      } catch (reason) {
        throw this.#aborted(url, attempt - 1, reason);
      }
      let result: AttemptOutcome;
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
      try {
        this.#attempts += 1;
        result = await this.#attempt({
          method,
          path,
          payload,
          headers,
          timeoutMs,
          signal,
          url,
          schema: options.schema,
        });
      } catch (reason) {
        // Transport and HTTP failures come back as outcomes; what escapes is the caller's cancellation.
        slot.release('neutral');
        this.#rateLimits.settle(estimate, undefined);
        this.#failures += 1;
        if (signal?.aborted) throw this.#aborted(url, attempt, reason);
        throw reason;
      }

      if (result.ok) {
        slot.release('success');
        const data = result.json as T;
        this.#rateLimits.settle(estimate, (options.tokensUsed ?? openAiTotalTokens)(data));
        return {
          data,
          status: result.status,
          headers: result.headers,
          attempts: attempt,
          latencyMs: performance.now() - started,
          requestId: headerValue(result.headers, 'x-request-id'),
        };
      }

      slot.release(result.outcome);
      this.#rateLimits.settle(estimate, undefined);
      const failure = result.error;
      if (!failure.retryable || attempt > this.#retry.maxRetries) {
        this.#failures += 1;
        throw withAttempts(failure, attempt);
      }
      const fromRetryAfter = result.retryAfterMs !== undefined;
      const delayMs = result.retryAfterMs ?? backoffDelayMs(attempt - 1, this.#retry, this.#random);
      if (waitedMs + delayMs > this.#retry.maxTotalWaitMs) {
        this.#failures += 1;
        throw withAttempts(failure, attempt, `retry budget of ${this.#retry.maxTotalWaitMs} ms exhausted`);
      }
      this.#retries += 1;
      options.onRetry?.({ attempt, delayMs, fromRetryAfter, error: failure });
      waitedMs += delayMs;
      try {
        await sleep(delayMs, signal);
      } catch (reason) {
        this.#failures += 1;
        throw this.#aborted(url, attempt, reason);
      }
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

  async #attempt(request: {
    method: Dispatcher.HttpMethod;
    path: string;
    payload: string | undefined;
    headers: Record<string, string>;
    timeoutMs: number;
    signal: AbortSignal | undefined;
    url: string;
    schema: ZodType<unknown>;
  }): Promise<AttemptOutcome> {
    const { signal, url } = request;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new AttemptTimeout(`no complete response within ${request.timeoutMs} ms`)),
      request.timeoutMs,
    );
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let status: number;
    let headers: HeaderRecord;
    let text: string;
    try {
      if (signal?.aborted) throw signal.reason;
      const response = await this.#pool.request({
        method: request.method,
        path: `${this.#basePath}${request.path}${this.#baseQuery}`,
        headers: request.headers,
        body: request.payload ?? null,
        signal: controller.signal,
      });
      status = response.statusCode;
      headers = response.headers;
      text = await response.body.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      return {
        ok: false,
        error: transportError(error, url, controller.signal.reason),
        retryAfterMs: undefined,
        outcome: 'neutral',
      };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }

    this.#rateLimits.observe(headers);
    const requestId = headerValue(headers, 'x-request-id');
    // A server may echo the request (its Authorization header, a key in the URL) in an error body: the
    // excerpt is scrubbed here, where it is made, before it reaches an error, a span or a result.
    const redactor =
      request.headers === this.#headers
        ? this.#redactor
        : new Redactor(headerSecrets(request.headers)).addSecrets(this.#redactor.secrets());
    const excerpt = redactor.text(text.slice(0, SCRUBBED_CHARS)).slice(0, EXCERPT_CHARS);
    if (status < 200 || status >= 300) {
      const retryable = isRetryableStatus(status);
      const error = new ProviderError({
        message: `HTTP ${status} from ${request.method} ${url}${excerpt === '' ? '' : `: ${oneLine(excerpt, 200)}`}`,
        url,
        kind: 'http',
        status,
        retryable,
        bodyExcerpt: excerpt,
        ...(requestId !== undefined ? { requestId } : {}),
      });
      return {
        ok: false,
        error,
        retryAfterMs: retryable ? retryAfterMs(headers) : undefined,
        outcome: isOverloadStatus(status) ? 'overload' : 'neutral',
      };
    }

    const invalid = (reason: string, cause: unknown): ProviderError =>
      new ProviderError({
        message: `invalid response from ${request.method} ${url} (HTTP ${status}): ${reason}`,
        url,
        kind: 'invalid_response',
        status,
        retryable: false,
        bodyExcerpt: excerpt,
        ...(requestId !== undefined ? { requestId } : {}),
        cause,
      });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      return {
        ok: false,
        error: invalid('body is not JSON', cause),
        retryAfterMs: undefined,
        outcome: 'neutral',
      };
    }
    const parsed = request.schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      return {
        ok: false,
        error: invalid(`unexpected shape (${issues})`, parsed.error),
        retryAfterMs: undefined,
        outcome: 'neutral',
      };
    }
    return { ok: true, status, headers, json: parsed.data };
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

/** undici/socket failures: timeouts, resets, refused connections. All retryable except an oversized body. */
function transportError(error: unknown, url: string, abortReason: unknown): ProviderError {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (abortReason instanceof AttemptTimeout) {
    return new ProviderError({
      message: `timeout calling ${url}: ${abortReason.message}`,
      url,
      kind: 'timeout',
      retryable: true,
      cause: error,
    });
  }
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
    return new ProviderError({
      message: `response from ${url} exceeds the size limit`,
      url,
      kind: 'invalid_response',
      retryable: false,
      cause: error,
    });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new ProviderError({
    message: `network error calling ${url}: ${typeof code === 'string' ? `${code} ` : ''}${detail}`,
    url,
    kind: 'network',
    retryable: true,
    cause: error,
  });
}

/** A copy of a terminal failure carrying the attempt count (and why retrying stopped, when it did early). */
function withAttempts(error: ProviderError, attempts: number, stopped?: string): ProviderError {
  if (error.attempts !== undefined && stopped === undefined) return error;
  const notes = [attempts > 1 ? `after ${attempts} attempts` : undefined, stopped].filter(
    (n) => n !== undefined,
  );
  const suffix = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  return new ProviderError({
    message: `${error.message}${suffix}`,
    url: error.url,
    kind: error.kind,
    retryable: error.retryable,
    attempts,
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(error.requestId !== undefined ? { requestId: error.requestId } : {}),
    ...(error.bodyExcerpt !== undefined ? { bodyExcerpt: error.bodyExcerpt } : {}),
    cause: error.cause,
  });
}

/** OpenAI-style `usage.total_tokens` (or prompt + completion) of a response body. */
export function openAiTotalTokens(data: unknown): number | undefined {
  if (!isPlainObject(data) || !isPlainObject(data.usage)) return undefined;
  const { total_tokens: total, prompt_tokens: prompt, completion_tokens: completion } = data.usage;
  if (typeof total === 'number') return total;
  if (typeof prompt === 'number' && typeof completion === 'number') return prompt + completion;
  return undefined;
}

function lowerKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  for (const [key, value] of Object.entries(headers)) out[key.toLowerCase()] = value;
  return out;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
