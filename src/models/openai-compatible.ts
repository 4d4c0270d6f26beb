import type { Env } from '../config/env.js';
import { readSecret } from '../config/env.js';
import type { ModelConfig } from '../config/schema.js';
import { ConfigError, ProviderError } from '../core/errors.js';
import type { ChatMessage } from '../core/judge.js';
import type { ModelUnderTest } from '../core/model.js';
import type { PredictContext } from '../core/predict.js';
import { tokenUsageAttribute } from '../core/span.js';
import { renderTemplate, templateVariables } from '../core/template.js';
import { addTokenUsage, countAttempts, type Usage } from '../core/usage.js';
import type { EndpointOptions } from '../runtime/http-endpoint.js';
import type { HttpRuntime } from '../runtime/http-runtime.js';
import {
  type ChatCompletionRequest,
  chatCompletionResponseSchema,
  chatCompletionText,
  chatCompletionUsage,
  estimateChatTokens,
} from '../runtime/openai-chat.js';
import { callCost, type ModelPrice, openAiListPrice, priceFromConfig } from '../runtime/prices.js';

/** The `model:` section for the HTTP providers (`openai`, `openai-compatible`, `vllm`). */
export type HttpModelConfig = Extract<ModelConfig, { provider: 'openai-compatible' | 'openai' | 'vllm' }>;

export interface HttpModelContext {
  env: Env;
  runtime: HttpRuntime;
  /** The run's row concurrency: the endpoint's default concurrency when `model.concurrency` is unset. */
  concurrency?: number | undefined;
}

const OPENAI_BASE_URL = 'https://api.openai.com/v1';
const OPENAI_KEY_ENV = 'OPENAI_API_KEY';
const DEFAULT_CONCURRENCY = 16;

/**
 * The model under test behind an OpenAI-compatible `/chat/completions` endpoint (OpenAI, vLLM, llama.cpp,
 * Ollama, ...). Each row: the prompt template rendered over `{inputs}`, after the optional system prompt;
 * the output is the assistant's text. The call is recorded as a CHAT_MODEL span with model, provider,
 * token usage and the HTTP attempts, and its tokens are added to the row's usage.
 */
export function createOpenAiCompatibleModel(
  config: HttpModelConfig,
  context: HttpModelContext,
): ModelUnderTest {
  const isOpenAi = config.provider === 'openai';
  const baseUrl = config.base_url ?? (isOpenAi ? (context.env.openaiBaseUrl ?? OPENAI_BASE_URL) : undefined);
  if (baseUrl === undefined) {
    throw new ConfigError(`model.base_url is required for provider ${config.provider}`, {
      field: 'model.base_url',
    });
  }
  const keyEnv = config.api_key_env ?? (isOpenAi ? OPENAI_KEY_ENV : undefined);
  const apiKey = readSecret(context.env, keyEnv);
  if (keyEnv !== undefined && apiKey === undefined) {
    throw new ConfigError(`environment variable ${keyEnv} (the model's API key) is not set`, {
      field: 'model.api_key_env',
    });
  }
  if (config.prompt !== undefined) checkPromptVariables(config.prompt);
  const tokenLimitField = config.token_limit_field ?? (isOpenAi ? 'max_completion_tokens' : 'max_tokens');
  const price = modelPrice(config);

  const endpointOptions: EndpointOptions = {
    maxConcurrency: config.concurrency ?? context.concurrency ?? DEFAULT_CONCURRENCY,
  };
  if (config.timeout_s !== undefined) endpointOptions.timeoutMs = config.timeout_s * 1000;
  if (config.max_retries !== undefined) endpointOptions.retry = { maxRetries: config.max_retries };
  if (config.rpm !== undefined) endpointOptions.requestsPerMinute = config.rpm;
  if (config.tpm !== undefined) endpointOptions.tokensPerMinute = config.tpm;
  if (apiKey !== undefined) endpointOptions.headers = { authorization: `Bearer ${apiKey}` };
  const endpoint = context.runtime.endpoint(baseUrl, endpointOptions);

  return {
    name: `${config.provider}:/${config.model}`,
    async predict(inputs: Record<string, unknown>, predictContext: PredictContext): Promise<unknown> {
      const body: ChatCompletionRequest = { model: config.model, messages: chatMessages(config, inputs) };
      if (config.temperature !== undefined) body.temperature = config.temperature;
      // Only when configured, and in the field the endpoint accepts (reasoning models refuse max_tokens).
      if (config.max_tokens !== undefined) body[tokenLimitField] = config.max_tokens;
      const span = predictContext.startSpan({
        name: 'chat.completions',
        spanType: 'CHAT_MODEL',
        inputs: body,
        attributes: { 'mlflow.llm.model': config.model, 'mlflow.llm.provider': config.provider },
      });
      let counted = false;
      try {
        const response = await endpoint.postJson('/chat/completions', body, {
          schema: chatCompletionResponseSchema,
          signal: predictContext.signal,
          // Always estimated: a server's x-ratelimit-remaining-tokens can hold calls even without a tpm budget.
          estimatedTokens: estimateChatTokens(body.messages, config.max_tokens),
          onRetry: (event) =>
            span.addEvent('retry', {
              attempt: event.attempt,
              delay_ms: event.delayMs,
              kind: event.error.kind,
              ...(event.error.status !== undefined ? { status: event.error.status } : {}),
            }),
        });
        span.setAttribute('judgeflow.http.attempts', response.attempts);
        if (response.requestId !== undefined)
          span.setAttribute('judgeflow.http.request_id', response.requestId);
        const usage = chatCompletionUsage(response.data);
        span.setAttribute('mlflow.chat.tokenUsage', tokenUsageAttribute(usage));
        addTokenUsage(predictContext.usage.model, usage);
        countModelRequest(predictContext.usage, response.attempts);
        counted = true;
        if (price !== undefined) {
          const cost = callCost(price, usage);
          predictContext.usage.costUsd += cost.totalUsd;
          predictContext.usage.modelCostUsd += cost.totalUsd;
          span.setAttribute('mlflow.llm.cost', {
            input_cost: cost.inputUsd,
            output_cost: cost.outputUsd,
            total_cost: cost.totalUsd,
          });
        }
        const text = chatCompletionText(response.data);
        if (text === undefined) {
          const finish = response.data.choices[0]?.finish_reason;
          throw new ProviderError({
            message: `${config.provider}:/${config.model} returned no text${finish ? ` (finish_reason ${finish})` : ''}`,
            url: `${endpoint.baseUrl}/chat/completions`,
            kind: 'invalid_response',
            retryable: false,
            attempts: response.attempts,
            bodyExcerpt: JSON.stringify(response.data).slice(0, 500),
            ...(response.requestId !== undefined ? { requestId: response.requestId } : {}),
          });
        }
        span.end({ outputs: response.data });
        return text;
      } catch (error) {
        if (error instanceof ProviderError && error.attempts !== undefined) {
          span.setAttribute('judgeflow.http.attempts', error.attempts);
          // Attempts that reached the server count even when the request failed in the end.
          if (!counted) countModelRequest(predictContext.usage, error.attempts);
        }
        span.end({ error });
        throw error;
      }
    },
    // The runtime owns the connections (they may be shared with judges); it closes them.
    close: async () => undefined,
  };
}

/** First attempt a call, the rest retries. */
function countModelRequest(usage: Usage, attempts: number): void {
  const { calls, retries } = countAttempts(attempts);
  usage.modelCalls += calls;
  usage.modelRetries += retries;
}

/** `model.prices`, else OpenAI's list price for provider openai; undefined means no known price (no cost). */
function modelPrice(config: HttpModelConfig): ModelPrice | undefined {
  if (config.prices !== undefined) return priceFromConfig(config.prices);
  return config.provider === 'openai' ? openAiListPrice(config.model) : undefined;
}

/** Optional system prompt, then the user prompt rendered from the template (or the default rendering). */
export function chatMessages(
  config: Pick<HttpModelConfig, 'prompt' | 'system_prompt'>,
  inputs: Record<string, unknown>,
): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (config.system_prompt !== undefined && config.system_prompt !== '') {
    messages.push({ role: 'system', content: config.system_prompt });
  }
  messages.push({ role: 'user', content: renderPrompt(config.prompt, inputs) });
  return messages;
}

/**
 * The user prompt: the template over `{inputs}` when there is one; otherwise the only input when it is
 * a single string field, else the inputs as JSON.
 */
export function renderPrompt(template: string | undefined, inputs: Record<string, unknown>): string {
  if (template !== undefined) return renderTemplate(template, { inputs });
  const keys = Object.keys(inputs);
  if (keys.length === 1) {
    const only = inputs[keys[0] as string];
    if (typeof only === 'string') return only;
  }
  return JSON.stringify(inputs);
}

/** A prompt may only reach into the inputs; anything else is a typo caught before the first row. */
function checkPromptVariables(prompt: string): void {
  for (const variable of templateVariables(prompt)) {
    if (variable !== 'inputs' && !variable.startsWith('inputs.')) {
      throw new ConfigError(
        `model.prompt uses "{{ ${variable} }}"; a model prompt can only use {{ inputs }} or {{ inputs.<field> }}`,
        { field: 'model.prompt' },
      );
    }
  }
}
