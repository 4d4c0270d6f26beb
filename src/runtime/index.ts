export {
  backoffDelayMs,
  defaultRetryPolicy,
  type HeaderRecord,
  headerValue,
  isOverloadStatus,
  isRetryableStatus,
  parseResetDuration,
  type RetryPolicy,
  retryAfterMs,
  sleep,
} from '../http/retry-policy.js';
export {
  AdaptiveConcurrencyLimiter,
  type AdaptiveLimiterOptions,
  type ConcurrencySlot,
  type SlotOutcome,
} from './adaptive-limiter.js';
export { openAiTotalTokens } from './attempt-outcome.js';
export {
  type CallOptions,
  type EndpointOptions,
  type EndpointStats,
  HttpEndpoint,
  type HttpResponse,
  type RetryEvent,
} from './http-endpoint.js';
export { HttpRuntime, type HttpRuntimeOptions } from './http-runtime.js';
export { loadExport } from './module-loader.js';
export { type ProbeOptions, probeEndpoints } from './probe-endpoints.js';
export { EndpointRateLimits, type RateLimitOptions } from './rate-limits.js';
export { TokenBucket, type TokenBucketOptions } from './token-bucket.js';
