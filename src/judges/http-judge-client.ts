import { type Env, readSecret } from '../config/env.js';
import { ConfigError, ProviderError } from '../core/errors.js';
import type { JudgeClient, JudgeRequest, JudgeResponse } from '../core/judge.js';
import type { EndpointOptions } from '../runtime/http-endpoint.js';
import type { HttpRuntime } from '../runtime/http-runtime.js';
import {
  type ChatCompletionRequest,
  chatCompletionResponseSchema,
  chatCompletionText,
  chatCompletionUsage,
  estimateChatTokens,
} from '../runtime/openai-chat.js';
import { type CompatibleJudgeRef, judgeModelUri, type OpenAiJudgeRef } from './model-ref.js';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
const OPENAI_KEY_ENV = 'OPENAI_API_KEY';

export interface HttpJudgeClientOptions {
  ref: OpenAiJudgeRef | CompatibleJudgeRef;
  env: Env;
  runtime: HttpRuntime;
  /** Endpoint tuning from `judge:` (timeout, retries, concurrency, rpm/tpm). */
  endpoint?: EndpointOptions;
  /** Config field for error messages. */
  field?: string;
  /**
   * Request field of the verdict token cap (`judge.token_limit_field`); default `max_completion_tokens`
   * for OpenAI (its reasoning models reject `max_tokens`), `max_tokens` for other servers.
   */
  tokenLimitField?: 'max_tokens' | 'max_completion_tokens' | undefined;
  /**
   * Refuse to build without the API key (default). A Ray driver, which never calls the judge, turns it
   * off: the workers, which do call it, check their own environment at their handshake.
   */
  requireKey?: boolean;
}

/**
 * A judge behind an OpenAI-compatible `/chat/completions` endpoint: OpenAI itself, vLLM, llama.cpp's
 * server, Ollama or `judgeflow serve-judge`. The verdict is asked for with the standard
 * `response_format: {type: "json_schema", json_schema: {name, schema, strict: true}}` — never vLLM's
 * removed `guided_*` fields, which newer servers ignore silently. Retries, backoff, adaptive concurrency
 * and rpm/tpm budgets are the HTTP runtime's: endpoints are shared per base URL, so every scorer using
 * the same judge server shares its limits.
 */
/** The environment variable that holds a judge's API key, if it needs one (`OPENAI_API_KEY` for OpenAI). */
export function judgeKeyVariable(ref: OpenAiJudgeRef | CompatibleJudgeRef): string | undefined {
  return ref.apiKeyEnv ?? (ref.provider === 'openai' ? OPENAI_KEY_ENV : undefined);
}

export function createHttpJudgeClient(options: HttpJudgeClientOptions): JudgeClient {
  const { ref, env } = options;
  const field = options.field ?? 'judge.model';
  const isOpenAi = ref.provider === 'openai';
  const baseUrl = ref.baseUrl ?? env.openaiBaseUrl ?? OPENAI_BASE_URL;
  const keyEnv = judgeKeyVariable(ref);
  const apiKey = readSecret(env, keyEnv);
  if (keyEnv !== undefined && apiKey === undefined && options.requireKey !== false) {
    throw new ConfigError(`${field}: environment variable ${keyEnv} (the judge's API key) is not set`, {
      field,
    });
  }
  const endpointOptions: EndpointOptions = { ...(options.endpoint ?? {}) };
  if (apiKey !== undefined)
    endpointOptions.headers = { ...endpointOptions.headers, authorization: `Bearer ${apiKey}` };
  const endpoint = options.runtime.endpoint(baseUrl, endpointOptions);
  const limitsTokens = options.endpoint?.tokensPerMinute !== undefined;
  const modelUri = judgeModelUri(ref);
  // OpenAI deprecated max_tokens (reasoning models reject it); other servers know max_tokens best.
  const tokenLimitField = options.tokenLimitField ?? (isOpenAi ? 'max_completion_tokens' : 'max_tokens');

  return {
    modelUri,
    async complete(request: JudgeRequest): Promise<JudgeResponse> {
      const body: ChatCompletionRequest = {
        model: ref.model,
        messages: request.messages,
        temperature: request.temperature,
        response_format: {
          type: 'json_schema',
          json_schema: { name: request.schemaName, schema: request.schema, strict: true },
        },
      };
      body[tokenLimitField] = request.maxTokens;
      const response = await endpoint.postJson('/chat/completions', body, {
        schema: chatCompletionResponseSchema,
        signal: request.signal,
        estimatedTokens: limitsTokens ? estimateChatTokens(request.messages, request.maxTokens) : undefined,
      });
      const choice = response.data.choices[0];
      const text = chatCompletionText(response.data);
      if (text === undefined) {
        const refusal = choice?.message.refusal;
        throw new ProviderError({
          message: `judge ${modelUri} returned no text${typeof refusal === 'string' ? ` (refusal: ${refusal.slice(0, 200)})` : ''}${choice?.finish_reason ? ` (finish_reason ${choice.finish_reason})` : ''}`,
          url: `${endpoint.baseUrl}/chat/completions`,
          kind: 'invalid_response',
          retryable: false,
          attempts: response.attempts,
          bodyExcerpt: JSON.stringify(response.data).slice(0, 500),
          ...(response.requestId !== undefined ? { requestId: response.requestId } : {}),
        });
      }
      const result: JudgeResponse = {
        text,
        model: response.data.model ?? ref.model,
        usage: chatCompletionUsage(response.data),
        latencyMs: response.latencyMs,
        attempts: response.attempts,
      };
      if (response.requestId !== undefined) result.requestId = response.requestId;
      if (typeof choice?.finish_reason === 'string') result.finishReason = choice.finish_reason;
      return result;
    },
    // The runtime owns the connection pools (shared with other clients of the same server).
    close: async () => undefined,
  };
}
