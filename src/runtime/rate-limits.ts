import { type HeaderRecord, headerValue, parseResetDuration } from '../http/retry-policy.js';
import { TokenBucket } from './token-bucket.js';

export interface RateLimitOptions {
  /** Requests-per-minute budget; undefined: unlimited (server headers still apply). */
  requestsPerMinute?: number | undefined;
  /** Tokens-per-minute budget; undefined: unlimited (server headers still apply). */
  tokensPerMinute?: number | undefined;
  /** Burst size in seconds of each rate (default 1). */
  burstSeconds?: number | undefined;
  now?: () => number;
}

/** When a server sends a remaining count without a reset time, hold to it this long. */
const DEFAULT_RESET_MS = 1000;

/**
 * The rate-limit header conventions judgeflow reads: OpenAI's (`x-ratelimit-remaining-requests`, a reset
 * duration such as `6m0s` in `x-ratelimit-reset-requests`; vLLM and most gateways copy it) and
 * Anthropic's (`anthropic-ratelimit-requests-remaining`, an RFC 3339 reset time in
 * `anthropic-ratelimit-requests-reset`). A server sends one family; both are read.
 */
const HEADER_FAMILIES: ReadonlyArray<{
  remaining: (kind: string) => string;
  reset: (kind: string) => string;
}> = [
  { remaining: (kind) => `x-ratelimit-remaining-${kind}`, reset: (kind) => `x-ratelimit-reset-${kind}` },
  {
    remaining: (kind) => `anthropic-ratelimit-${kind}-remaining`,
    reset: (kind) => `anthropic-ratelimit-${kind}-reset`,
  },
];

/**
 * One endpoint's request and token budgets. Each attempt takes one request and its estimated tokens
 * before it is sent; the token estimate is settled against the response's usage afterwards, and given
 * back when the attempt failed. Every response's `x-ratelimit-*` headers tighten both buckets.
 */
export class EndpointRateLimits {
  readonly requests: TokenBucket;
  readonly tokens: TokenBucket;

  constructor(options: RateLimitOptions = {}) {
    const common = {
      ...(options.burstSeconds !== undefined ? { burstSeconds: options.burstSeconds } : {}),
      ...(options.now !== undefined ? { now: options.now } : {}),
    };
    this.requests = new TokenBucket({ perMinute: options.requestsPerMinute, ...common });
    this.tokens = new TokenBucket({ perMinute: options.tokensPerMinute, ...common });
  }

  /** True when a token budget is configured (then calls without an estimate get one from their size). */
  get limitsTokens(): boolean {
    return this.tokens.perMinute !== undefined;
  }

  /** Waits until one request with `estimatedTokens` fits both budgets. */
  async acquire(estimatedTokens: number, signal?: AbortSignal): Promise<void> {
    await this.requests.take(1, signal);
    if (estimatedTokens > 0) await this.tokens.take(estimatedTokens, signal);
  }

  /** Settles a finished attempt's token charge: `actualTokens` undefined gives the estimate back. */
  settle(estimatedTokens: number, actualTokens: number | undefined): void {
    this.tokens.adjust((actualTokens ?? 0) - estimatedTokens);
  }

  /** Tightens the budgets from a response's rate-limit headers (`HEADER_FAMILIES`). */
  observe(headers: HeaderRecord, nowEpochMs: number = Date.now()): void {
    for (const [kind, bucket] of [
      ['requests', this.requests],
      ['tokens', this.tokens],
    ] as const) {
      for (const family of HEADER_FAMILIES) {
        const remainingText = headerValue(headers, family.remaining(kind));
        if (remainingText === undefined) continue;
        const remaining = Number(remainingText);
        if (remainingText.trim() === '' || !Number.isFinite(remaining)) continue;
        const resetMs = resetIn(headerValue(headers, family.reset(kind)), nowEpochMs) ?? DEFAULT_RESET_MS;
        bucket.tighten(remaining, resetMs);
      }
    }
  }

  close(reason: unknown): void {
    this.requests.close(reason);
    this.tokens.close(reason);
  }
}

/** A reset as a duration (`1s`, `6m0s`, `12`) or a point in time (`2026-12-06T09:00:00Z`), in ms from now. */
function resetIn(value: string | undefined, nowEpochMs: number): number | undefined {
  const duration = parseResetDuration(value);
  if (duration !== undefined || value === undefined) return duration;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowEpochMs);
}
