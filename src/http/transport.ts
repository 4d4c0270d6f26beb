import type { Readable } from 'node:stream';
import { type Dispatcher, getGlobalDispatcher } from 'undici';
import type { FailureClass, HeaderRecord } from './retry-policy.js';

/**
 * One HTTP attempt over undici — never the global `fetch`, which adds `sec-fetch-mode` (the Ray
 * dashboard refuses such requests as browser traffic) and hides connection errors behind a generic
 * "fetch failed". Every client in judgeflow (models, judges, MLflow, Ray Jobs) sends through here and
 * retries with `retry-loop.ts`.
 */

export interface SendRequest {
  /** Absolute URL, query included. */
  url: URL | string;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body?: string | Uint8Array | Readable | null | undefined;
  /** Deadline of the whole attempt, headers and body together. */
  timeoutMs: number;
  /** The caller's cancellation: when it aborts, `send` rejects with its reason. */
  signal?: AbortSignal | undefined;
  /** A pool or agent; default undici's global dispatcher. */
  dispatcher?: Dispatcher | undefined;
}

export type SendResult =
  | { ok: true; status: number; headers: HeaderRecord; text: string }
  | { ok: false; failure: TransportFailure };

/** A request that got no complete HTTP answer. */
export interface TransportFailure {
  kind: 'timeout' | 'network' | 'too_large';
  /** How retrying sees it (`unsent`, `ambiguous`, `fatal`). */
  retryClass: FailureClass;
  /** The system or undici error code (`ECONNREFUSED`, `UND_ERR_SOCKET`), when there was one. */
  code: string | undefined;
  /** What happened, for a message: `no complete response within 200 ms`, `ECONNRESET other side closed`. */
  detail: string;
  cause: unknown;
}

/** Marks the per-attempt deadline as the abort reason, to tell it from the caller's cancellation. */
class AttemptTimeout extends Error {
  override readonly name = 'AttemptTimeout';
}

/** Failures where the request provably never reached the server's application code. */
const UNSENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Sends one request and reads the whole body as text. Transport failures (refused, reset, timeout,
 * oversized body) come back as a classified `TransportFailure`; only the caller's own cancellation
 * rejects (with the signal's reason).
 */
export async function send(request: SendRequest): Promise<SendResult> {
  const { signal } = request;
  if (signal?.aborted) throw signal.reason;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new AttemptTimeout(`no complete response within ${request.timeoutMs} ms`)),
    request.timeoutMs,
  );
  const onAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const url = typeof request.url === 'string' ? new URL(request.url) : request.url;
    const response = await (request.dispatcher ?? getGlobalDispatcher()).request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: request.method,
      headers: request.headers,
      body: request.body ?? null,
      signal: controller.signal,
    });
    const text = await response.body.text();
    return { ok: true, status: response.statusCode, headers: response.headers, text };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    return { ok: false, failure: transportFailure(error, controller.signal.reason) };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

function transportFailure(error: unknown, abortReason: unknown): TransportFailure {
  const code = errorCode(error);
  if (abortReason instanceof AttemptTimeout) {
    return {
      kind: 'timeout',
      retryClass: { transport: 'ambiguous' },
      code,
      detail: abortReason.message,
      cause: error,
    };
  }
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
    return {
      kind: 'too_large',
      retryClass: { transport: 'fatal' },
      code,
      detail: 'response exceeds the size limit',
      cause: error,
    };
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { kind: 'timeout', retryClass: { transport: 'ambiguous' }, code, detail: code, cause: error };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    kind: 'network',
    retryClass: { transport: code !== undefined && UNSENT_CODES.has(code) ? 'unsent' : 'ambiguous' },
    code,
    detail: `${code !== undefined ? `${code} ` : ''}${message}`,
    cause: error,
  };
}

/** The first string `code` along an error's cause chain (undici wraps socket errors). */
export function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 4; depth++) {
    if (typeof current !== 'object' || current === null) return undefined;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `text` on one line, cut to `max` characters. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
