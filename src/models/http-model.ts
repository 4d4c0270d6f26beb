import type { Env } from '../config/env.js';
import type { ModelConfig } from '../config/schema.js';
import type { ModelUnderTest } from '../core/model.js';
import { instrumentChatEndpoint } from '../observability/instrument.js';
import { priceFromConfig } from '../providers/prices.js';
import type { HttpEndpointRef } from '../providers/provider.js';
import { listPrice, providerKinds } from '../providers/registry.js';
import { endpointTuning } from '../providers/tuning.js';
import type { HttpRuntime } from '../runtime/http-runtime.js';
import { createChatModel } from './chat-model.js';
import { checkPromptVariables } from './prompt.js';

export { chatMessages, renderPrompt } from './prompt.js';

/** The `model:` section for the HTTP providers (`openai`, `openai-compatible`, `vllm`, `anthropic`). */
export type HttpModelConfig = Extract<ModelConfig, { provider: HttpEndpointRef['provider'] }>;

export interface HttpModelContext {
  env: Env;
  runtime: HttpRuntime;
  /** The run's row concurrency: the endpoint's default concurrency when `model.concurrency` is unset. */
  concurrency?: number | undefined;
}

const DEFAULT_CONCURRENCY = 16;

/**
 * The model under test behind an HTTP provider kind: the kind's endpoint (`src/providers/`) for the
 * `model:` section — base URL, key, tuning (`timeout_s`, `max_retries`, `concurrency`, `rpm`, `tpm`) —
 * priced by `model.prices`, else the kind's list price. Configuration errors (no base URL, no key, a
 * prompt variable outside `inputs`) are `ConfigError`s raised here, before the first row.
 */
export function createHttpModel(config: HttpModelConfig, context: HttpModelContext): ModelUnderTest {
  const ref: HttpEndpointRef = {
    provider: config.provider,
    model: config.model,
    ...(config.base_url !== undefined ? { baseUrl: config.base_url } : {}),
    ...(config.api_key_env !== undefined ? { apiKeyEnv: config.api_key_env } : {}),
  };
  const kind = providerKinds[config.provider];
  const endpoint = kind.chat?.(ref, {
    env: context.env,
    runtime: context.runtime,
    role: 'model',
    field: 'model',
    endpoint: {
      maxConcurrency: context.concurrency ?? DEFAULT_CONCURRENCY,
      ...endpointTuning(config),
    },
    tokenLimitField: config.token_limit_field,
  });
  if (endpoint === undefined) throw new Error(`provider ${config.provider} has no chat endpoint`);
  checkPromptVariables(config.prompt);
  const price =
    config.prices !== undefined ? priceFromConfig(config.prices) : listPrice(config.provider, config.model);
  // Latency, requests by status, retries and rate-limit waits of every model call.
  return createChatModel(instrumentChatEndpoint(endpoint, 'model'), config, {
    name: `${config.provider}:/${config.model}`,
    price,
  });
}

/** The HTTP model under test (its historical name: the first kinds were all OpenAI-compatible). */
export const createOpenAiCompatibleModel = createHttpModel;
