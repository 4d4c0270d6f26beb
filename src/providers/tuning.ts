import type { EndpointOptions } from '../runtime/http-endpoint.js';

/** The eval file's endpoint tuning, the same under `model:` and `judge:`. */
export interface TuningConfig {
  timeout_s?: number | undefined;
  max_retries?: number | undefined;
  concurrency?: number | undefined;
  rpm?: number | undefined;
  tpm?: number | undefined;
}

/** `timeout_s`, `max_retries`, `concurrency`, `rpm`, `tpm` → runtime endpoint options (set fields only). */
export function endpointTuning(config: TuningConfig | undefined): EndpointOptions {
  const options: EndpointOptions = {};
  if (config?.timeout_s !== undefined) options.timeoutMs = config.timeout_s * 1000;
  if (config?.max_retries !== undefined) options.retry = { maxRetries: config.max_retries };
  if (config?.concurrency !== undefined) options.maxConcurrency = config.concurrency;
  if (config?.rpm !== undefined) options.requestsPerMinute = config.rpm;
  if (config?.tpm !== undefined) options.tokensPerMinute = config.tpm;
  return options;
}
