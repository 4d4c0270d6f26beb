import type { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { Env } from '../../config/env.js';
import { ConfigError, errorMessage, MlflowError } from '../../core/errors.js';
import { headerSecrets, Redactor, withoutCredentials } from '../../core/redact.js';
import { type AttemptResult, withRetries } from '../../http/retry-loop.js';
import {
  controlPlaneRetryPolicy,
  type RetryPolicy,
  retryAfterMs,
  retryPolicyWith,
  shouldRetry,
} from '../../http/retry-policy.js';
import { send } from '../../http/transport.js';
import { currentRunMetrics } from '../../observability/current.js';
import { mlflowWriteKind } from '../../observability/instrument.js';

/** How the client authenticates: MLflow's own conventions (Basic wins over Bearer, as in Python). */
export type MlflowAuth =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string };

/** Basic auth from `MLFLOW_TRACKING_USERNAME/PASSWORD`, else Bearer from `MLFLOW_TRACKING_TOKEN`. */
export function mlflowAuthFromEnv(env: Env): MlflowAuth | undefined {
  if (env.mlflowUsername !== undefined) {
    return { kind: 'basic', username: env.mlflowUsername, password: env.mlflowPassword ?? '' };
  }
  if (env.mlflowToken !== undefined) return { kind: 'bearer', token: env.mlflowToken };
  return undefined;
}

export interface MlflowHttpOptions {
  /** `http(s)://host[:port][/prefix]` of the tracking server. */
  trackingUri: string;
  /** Supplies auth (`MLFLOW_TRACKING_USERNAME/PASSWORD`, `MLFLOW_TRACKING_TOKEN`) and the timeout (`MLFLOW_HTTP_REQUEST_TIMEOUT`) unless given below. */
  env?: Env;
  auth?: MlflowAuth | undefined;
  /** Per attempt; default `MLFLOW_HTTP_REQUEST_TIMEOUT`, else 120 s (Python's default). */
  timeoutMs?: number;
  /** Upper bound on requests in flight (and pooled connections); default 16. */
  maxConcurrency?: number;
  retry?: Partial<RetryPolicy>;
  /** Jitter source (tests pass a fixed one). */
  random?: () => number;
  /** A custom undici dispatcher (tests); the client then does not own or close it. */
  dispatcher?: Dispatcher;
}

/** What one call sends. */
export interface MlflowRequest<T> {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path below the tracking URI, starting with `/`. */
  path: string;
  query?: Record<string, string | number | readonly string[] | undefined>;
  /** JSON body. */
  json?: unknown;
  /** Raw body (artifacts, OTLP protobuf); a factory so a retry can resend a stream. */
  body?: string | Uint8Array | (() => Readable);
  headers?: Record<string, string>;
  /**
   * Whether sending this request twice has the same effect as sending it once. Only idempotent
   * requests are retried after an ambiguous failure (5xx, timeout, connection reset): a create whose
   * answer was lost is never blindly repeated. Every request is retried when it provably never reached
   * the server (connection refused) or was turned away unprocessed (429, 503).
   */
  idempotent: boolean;
  /** Validates the JSON response; omit for calls whose body is ignored. */
  schema?: z.ZodType<T>;
  /** The answer is not JSON (e.g. `/version`, artifact download): return the text. */
  text?: boolean;
  signal?: AbortSignal | undefined;
}

/**
 * The transport under the typed client: one keep-alive pool with bounded connections, auth on every
 * request (artifact PUTs and OTLP included), per-attempt timeouts, retries with full-jitter backoff that
 * honour `retry-after`, and every failure mapped to an `MlflowError` (endpoint, status, error_code).
 */
export class MlflowHttp {
  readonly trackingUri: string;
  readonly #base: URL;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #authHeader: string | undefined;
  /** Knows the credentials this client sends, so an error body that echoes them is scrubbed. */
  readonly #redactor: Redactor;
  readonly #timeoutMs: number;
  readonly #policy: RetryPolicy;
  readonly #random: () => number;
  readonly #maxConcurrency: number;
  #inFlight = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(options: MlflowHttpOptions) {
    let base: URL;
    try {
      base = new URL(options.trackingUri);
    } catch (cause) {
      throw new ConfigError(`invalid MLflow tracking URI "${options.trackingUri}"`, {
        field: 'tracking_uri',
        cause,
      });
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new ConfigError(
        `MLflow tracking URI "${options.trackingUri}" is not an http(s) server; judgeflow writes through MLflow's REST API`,
        { field: 'tracking_uri' },
      );
    }
    // Credentials in the URI (https://user:pass@host, as Python's client accepts) become Basic auth
    // unless auth is configured; the URI the client shows, stores and prints never carries them.
    const userinfo: MlflowAuth | undefined =
      base.username !== ''
        ? {
            kind: 'basic',
            username: decodeURIComponent(base.username),
            password: decodeURIComponent(base.password),
          }
        : undefined;
    this.trackingUri = withoutCredentials(options.trackingUri);
    this.#base = base;
    this.#timeoutMs =
      options.timeoutMs ?? (options.env !== undefined ? options.env.mlflowTimeoutS * 1000 : 120_000);
    this.#maxConcurrency = Math.max(1, options.maxConcurrency ?? 16);
    this.#policy = retryPolicyWith(controlPlaneRetryPolicy, options.retry);
    this.#random = options.random ?? Math.random;
    this.#authHeader = authorization(
      options.auth ?? (options.env !== undefined ? mlflowAuthFromEnv(options.env) : undefined) ?? userinfo,
    );
    this.#redactor = new Redactor(
      this.#authHeader !== undefined ? headerSecrets({ authorization: this.#authHeader }) : [],
    );
    if (options.dispatcher !== undefined) {
      this.#dispatcher = options.dispatcher;
      this.#ownsDispatcher = false;
    } else {
      this.#dispatcher = new Agent({
        connections: this.#maxConcurrency,
        keepAliveTimeout: 10_000,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        connect: { timeout: Math.min(this.#timeoutMs, 10_000) },
      });
      this.#ownsDispatcher = true;
    }
  }

  /** An absolute URL for a path below the tracking URI. */
  url(pathname: string, query?: MlflowRequest<unknown>['query']): URL {
    const prefix = this.#base.pathname.replace(/\/+$/, '');
    const url = new URL(this.#base.origin);
    url.pathname = `${prefix}${pathname}`;
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, String(item));
      else url.searchParams.set(key, String(value));
    }
    return url;
  }

  async call<T>(req: MlflowRequest<T> & { schema: z.ZodType<T> }): Promise<T>;
  async call(req: MlflowRequest<unknown>): Promise<unknown>;
  async call<T>(req: MlflowRequest<T>): Promise<T | unknown> {
    const endpoint = `${req.method} ${req.path}`;
    const metrics = currentRunMetrics();
    const kind = metrics !== undefined ? mlflowWriteKind(req.method, req.path) : undefined;
    if (metrics === undefined || kind === undefined) return this.#withRetries(req, endpoint);
    const started = performance.now();
    try {
      const result = await this.#withRetries(req, endpoint);
      metrics.mlflowWrite(kind, 'ok', (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      metrics.mlflowWrite(kind, 'error', (performance.now() - started) / 1000);
      throw error;
    }
  }

  #withRetries<T>(req: MlflowRequest<T>, endpoint: string): Promise<unknown> {
    return withRetries<unknown, MlflowError>({
      policy: this.#policy,
      random: this.#random,
      signal: req.signal,
      attempt: async () => {
        await this.#acquire();
        try {
          return await this.#attempt(req, endpoint);
        } finally {
          this.#release();
        }
      },
      // A wait cut short by the caller ends the call with the failure that caused the wait.
      aborted: (_reason, _attempts, lastError) => lastError,
    });
  }

  async #attempt<T>(req: MlflowRequest<T>, endpoint: string): Promise<AttemptResult<unknown, MlflowError>> {
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    if (this.#authHeader !== undefined) headers.authorization = this.#authHeader;
    let body: string | Uint8Array | Readable | undefined;
    if (req.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(req.json);
    } else if (typeof req.body === 'function') {
      body = req.body();
    } else {
      body = req.body;
    }
    let sent: Awaited<ReturnType<typeof send>>;
    try {
      sent = await send({
        url: this.url(req.path, req.query),
        method: req.method,
        headers,
        body,
        timeoutMs: this.#timeoutMs,
        signal: req.signal,
        dispatcher: this.#dispatcher,
      });
    } catch (cause) {
      return {
        ok: false,
        retry: false,
        error: this.#networkError(endpoint, 'the call was aborted', false, cause),
      };
    }
    if (!sent.ok) {
      const { failure } = sent;
      const what =
        failure.kind === 'timeout'
          ? `timed out after ${this.#timeoutMs} ms`
          : `could not reach the server (${failure.code ?? errorMessage(failure.cause)})`;
      return {
        ok: false,
        retry: shouldRetry(failure.retryClass, req.idempotent),
        error: this.#networkError(endpoint, what, failure.kind !== 'too_large', failure.cause),
      };
    }
    const { status, text } = sent;
    if (status >= 200 && status < 300) {
      if (req.text === true) return { ok: true, value: text };
      if (req.schema === undefined) return { ok: true, value: text === '' ? {} : safeJson(text) };
      const parsed = req.schema.safeParse(text === '' ? {} : safeJson(text));
      if (!parsed.success) {
        return {
          ok: false,
          retry: false,
          error: new MlflowError({
            message: `MLflow ${endpoint} returned an unexpected response: ${parsed.error.message.slice(0, 500)}`,
            endpoint,
            status,
            retryable: false,
            cause: parsed.error,
          }),
        };
      }
      return { ok: true, value: parsed.data };
    }
    return {
      ok: false,
      retry: shouldRetry({ status }, req.idempotent),
      retryAfterMs: retryAfterMs(sent.headers),
      error: httpError(endpoint, status, this.#redactor.text(text), this.trackingUri),
    };
  }

  #networkError(endpoint: string, what: string, retryable: boolean, cause: unknown): MlflowError {
    return new MlflowError({
      message: `MLflow ${endpoint} at ${this.trackingUri}: ${what}`,
      endpoint,
      retryable,
      cause,
    });
  }

  async #acquire(): Promise<void> {
    if (this.#inFlight < this.#maxConcurrency) {
      this.#inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#inFlight--;
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }
}

/** Maps a non-2xx answer to an MlflowError carrying MLflow's `error_code` and message. */
function httpError(endpoint: string, status: number, text: string, trackingUri: string): MlflowError {
  const body = safeJson(text);
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const errorCode = typeof record.error_code === 'string' ? record.error_code : undefined;
  const serverMessage =
    typeof record.message === 'string'
      ? record.message
      : typeof record.detail === 'string'
        ? record.detail
        : text.trim().slice(0, 500);
  let message: string;
  if (status === 401) {
    message =
      `MLflow at ${trackingUri} rejected the credentials (401 on ${endpoint}): set MLFLOW_TRACKING_USERNAME and ` +
      'MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN) to a valid login';
  } else if (status === 403) {
    message = `MLflow at ${trackingUri} denied ${endpoint} (403): the user lacks permission${serverMessage !== '' ? ` — ${serverMessage}` : ''}`;
  } else {
    message = `MLflow ${endpoint} failed with HTTP ${status}${errorCode !== undefined ? ` ${errorCode}` : ''}${serverMessage !== '' ? `: ${serverMessage}` : ''}`;
  }
  const transient = status === 408 || status === 429 || status >= 500;
  return new MlflowError({
    message,
    endpoint,
    status,
    ...(errorCode !== undefined ? { errorCode } : {}),
    retryable: transient,
  });
}

function authorization(auth: MlflowAuth | undefined): string | undefined {
  if (auth === undefined) return undefined;
  if (auth.kind === 'basic')
    return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  return `Bearer ${auth.token}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
