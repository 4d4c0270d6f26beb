import type { ZodType } from 'zod';
import { ProviderError } from '../core/errors.js';
import { isPlainObject } from '../core/json.js';
import type { Redactor } from '../core/redact.js';
import {
  type HeaderRecord,
  headerValue,
  isOverloadStatus,
  isRetryableStatus,
  retryAfterMs,
  shouldRetry,
} from '../http/retry-policy.js';
import { oneLine, type SendResult } from '../http/transport.js';
import type { SlotOutcome } from './adaptive-limiter.js';

/** How `HttpEndpoint` turns one sent attempt into a value or a typed, classified `ProviderError`. */

const EXCERPT_CHARS = 500;
/** How much of an error body is scrubbed before the excerpt is cut (a secret is never cut in half). */
const SCRUBBED_CHARS = 64 * 1024;

export interface AttemptRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The public URL (no query, no userinfo), for errors. */
  url: string;
  /** The URL actually called (with the base URL's query). */
  target: string;
  payload: string | undefined;
  headers: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  schema: ZodType<unknown>;
}

export type AttemptOutcome =
  | { ok: true; value: { status: number; headers: HeaderRecord; json: unknown } }
  | { ok: false; error: ProviderError; retry: boolean; retryAfterMs: number | undefined; slot: SlotOutcome };

/**
 * A sent attempt as a success (validated JSON) or a `ProviderError` classified for retrying. The error
 * body excerpt is scrubbed with `redactor` where it is made, before it reaches an error, a span or a
 * result: a server may echo the request (its Authorization header, a key in the URL).
 */
export function attemptOutcome(
  request: AttemptRequest,
  sent: SendResult,
  redactor: Redactor,
): AttemptOutcome {
  const { url } = request;
  if (!sent.ok) {
    const { failure } = sent;
    const error = new ProviderError({
      message:
        failure.kind === 'timeout'
          ? `timeout calling ${url}: ${failure.detail}`
          : failure.kind === 'too_large'
            ? `response from ${url} exceeds the size limit`
            : `network error calling ${url}: ${failure.detail}`,
      url,
      kind: failure.kind === 'too_large' ? 'invalid_response' : failure.kind,
      retryable: failure.kind !== 'too_large',
      cause: failure.cause,
    });
    // Model and judge calls have no side effects: every request here is idempotent.
    return {
      ok: false,
      error,
      retry: shouldRetry(failure.retryClass, true),
      retryAfterMs: undefined,
      slot: 'neutral',
    };
  }
  const { status, headers, text } = sent;
  const requestId = requestIdOf(headers);
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
      retry: shouldRetry({ status }, true),
      retryAfterMs: retryable ? retryAfterMs(headers) : undefined,
      slot: isOverloadStatus(status) ? 'overload' : 'neutral',
    };
  }
  const invalid = (reason: string, cause: unknown) => ({
    ok: false as const,
    error: new ProviderError({
      message: `invalid response from ${request.method} ${url} (HTTP ${status}): ${reason}`,
      url,
      kind: 'invalid_response',
      status,
      retryable: false,
      bodyExcerpt: excerpt,
      ...(requestId !== undefined ? { requestId } : {}),
      cause,
    }),
    retry: false,
    retryAfterMs: undefined,
    slot: 'neutral' as const,
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    return invalid('body is not JSON', cause);
  }
  const parsed = request.schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    return invalid(`unexpected shape (${issues})`, parsed.error);
  }
  return { ok: true, value: { status, headers, json: parsed.data } };
}

/** A copy of a terminal failure carrying the attempt count (and why retrying stopped, when it did early). */
export function withAttempts(error: ProviderError, attempts: number, stopped?: string): ProviderError {
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

/**
 * The tokens a response body says it used: OpenAI's `usage.total_tokens` (or prompt + completion), or
 * Anthropic's `usage.input_tokens` + `output_tokens`. Callers with another shape pass `tokensUsed`.
 */
export function openAiTotalTokens(data: unknown): number | undefined {
  if (!isPlainObject(data) || !isPlainObject(data.usage)) return undefined;
  const usage = data.usage;
  if (typeof usage.total_tokens === 'number') return usage.total_tokens;
  for (const [input, output] of [
    ['prompt_tokens', 'completion_tokens'],
    ['input_tokens', 'output_tokens'],
  ] as const) {
    const a = usage[input];
    const b = usage[output];
    if (typeof a === 'number' && typeof b === 'number') return a + b;
  }
  return undefined;
}

/** The server's request id: `x-request-id` (OpenAI, vLLM), else `request-id` (Anthropic). */
export function requestIdOf(headers: HeaderRecord): string | undefined {
  return headerValue(headers, 'x-request-id') ?? headerValue(headers, 'request-id');
}
