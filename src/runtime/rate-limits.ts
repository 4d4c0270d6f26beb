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

  /** Tightens the budgets from a response's `x-ratelimit-remaining-*` / `x-ratelimit-reset-*` headers. */
  observe(headers: HeaderRecord): void {
    for (const [kind, bucket] of [
      ['requests', this.requests],
      ['tokens', this.tokens],
    ] as const) {
      const remainingText = headerValue(headers, `x-ratelimit-remaining-${kind}`);
      if (remainingText === undefined) continue;
      const remaining = Number(remainingText);
      if (remainingText.trim() === '' || !Number.isFinite(remaining)) continue;
      const resetMs =
        parseResetDuration(headerValue(headers, `x-ratelimit-reset-${kind}`)) ?? DEFAULT_RESET_MS;
      bucket.tighten(remaining, resetMs);
    }
  }

  close(reason: unknown): void {
    this.requests.close(reason);
    this.tokens.close(reason);
  }
}
