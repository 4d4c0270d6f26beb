import { z } from 'zod';
import type { TokenUsage } from '../core/usage.js';
import {
  estimateChatTokens,
  httpEndpointFor,
  noReplyError,
  parseHttpObject,
  parseHttpUri,
} from './http-chat.js';
import { endpointUri } from './model-ref.js';
import { listPriceLookup, type ModelPrice } from './prices.js';
import type { ChatRequest, HttpEndpointRef, ProviderKind } from './provider.js';

/**
 * Anthropic's Messages API, native: `POST {base_url}/v1/messages` with `x-api-key` and
 * `anthropic-version` headers; system prompts go in the top-level `system` field; `max_tokens` is
 * required (default below when the eval file sets none); the reply is a list of content blocks.
 * Structured output (judges) is a forced tool call: one tool whose `input_schema` is the verdict's JSON
 * Schema, `tool_choice: {type: "tool"}`, and the verdict is the `tool_use` block's `input`.
 * 429 (`retry-after`), 529 "overloaded" and 5xx are retried by the HTTP runtime, and 429/529 shrink the
 * endpoint's concurrency; `anthropic-ratelimit-*` headers tighten its rpm/tpm budgets.
 *
 * References: `anthropic:/claude-sonnet-4-5`, `{provider: anthropic, model, base_url?, api_key_env?}`.
 * Variables: `ANTHROPIC_API_KEY` (the key when `api_key_env` is unset), `ANTHROPIC_BASE_URL` (instead of
 * https://api.anthropic.com; a base URL has no `/v1`, as in Anthropic's SDKs).
 */

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
/** The API version judgeflow speaks (the `anthropic-version` header). */
export const ANTHROPIC_VERSION = '2023-06-01';
/** `max_tokens` when neither the eval file nor the caller sets one (the API requires it). */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/**
 * Anthropic list prices, USD per million tokens, standard tier (prompts up to 200K tokens), used when the
 * eval file names none. Source: docs.anthropic.com/en/docs/about-claude/pricing (Opus 4.1, Opus 4,
 * Sonnet 4, Sonnet 3.7, Haiku 3.5, Haiku 3), and for the 4.5 models the same prices as republished on
 * 2026-03-21 (deploybase.ai/articles/claude-api-pricing); read 2026-12-06. Prices change: `prices:` in
 * the eval file overrides any entry. Dated ids (`claude-sonnet-4-5-20250929`) use their longest
 * listed prefix.
 */
export const DEFAULT_ANTHROPIC_PRICES: Readonly<Record<string, ModelPrice>> = {
  'claude-opus-4-5': { inputPerMillion: 5, outputPerMillion: 25 },
  'claude-opus-4-1': { inputPerMillion: 15, outputPerMillion: 75 },
  'claude-opus-4': { inputPerMillion: 15, outputPerMillion: 75 },
  'claude-sonnet-4-5': { inputPerMillion: 3, outputPerMillion: 15 },
  'claude-sonnet-4': { inputPerMillion: 3, outputPerMillion: 15 },
  'claude-3-7-sonnet': { inputPerMillion: 3, outputPerMillion: 15 },
  'claude-haiku-4-5': { inputPerMillion: 1, outputPerMillion: 5 },
  'claude-3-5-haiku': { inputPerMillion: 0.8, outputPerMillion: 4 },
  'claude-3-haiku': { inputPerMillion: 0.25, outputPerMillion: 1.25 },
};

const contentBlockSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  name: z.string().optional(),
  input: z.unknown().optional(),
});

/** The Messages API response, as far as judgeflow reads it; unknown fields are kept. */
export const anthropicMessageSchema = z.looseObject({
  id: z.string().optional(),
  model: z.string().optional(),
  content: z.array(contentBlockSchema),
  stop_reason: z.string().nullable().optional(),
  usage: z
    .looseObject({
      input_tokens: z.number().nonnegative().optional(),
      output_tokens: z.number().nonnegative().optional(),
      cache_creation_input_tokens: z.number().nonnegative().nullable().optional(),
      cache_read_input_tokens: z.number().nonnegative().nullable().optional(),
    })
    .optional(),
});
export type AnthropicMessage = z.infer<typeof anthropicMessageSchema>;

/** The request body (the fields judgeflow sends). */
export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  system?: string;
  messages: Array<{ role: 'user' | 'assistant'; content: string }>;
  temperature?: number;
  tools?: Array<{ name: string; description: string; input_schema: Record<string, unknown> }>;
  tool_choice?: { type: 'tool'; name: string };
}

/** OpenAI-style messages → `system` + alternating user/assistant messages. */
export function anthropicRequest(model: string, request: ChatRequest): AnthropicRequest {
  const system = request.messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n\n');
  const body: AnthropicRequest = {
    model,
    max_tokens: request.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages: request.messages
      .filter((m) => m.role !== 'system')
      .map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content })),
  };
  if (system !== '') body.system = system;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.output !== undefined) {
    body.tools = [
      {
        name: request.output.name,
        description: 'Record your answer. Call this tool exactly once with your complete answer.',
        input_schema: request.output.schema,
      },
    ];
    body.tool_choice = { type: 'tool', name: request.output.name };
  }
  return body;
}

/** The reply: the forced tool's input as JSON text for structured output, else the text blocks joined. */
export function anthropicReplyText(
  message: AnthropicMessage,
  toolName: string | undefined,
): string | undefined {
  if (toolName !== undefined) {
    const call = message.content.find((block) => block.type === 'tool_use' && block.name === toolName);
    return call !== undefined && call.input !== undefined ? JSON.stringify(call.input) : undefined;
  }
  const texts = message.content.filter((block) => block.type === 'text' && typeof block.text === 'string');
  return texts.length > 0 ? texts.map((block) => block.text).join('') : undefined;
}

/** Token usage; prompt-cache reads and writes count as input tokens. */
export function anthropicUsage(message: AnthropicMessage): TokenUsage {
  const usage = message.usage ?? {};
  const inputTokens =
    (usage.input_tokens ?? 0) +
    (usage.cache_creation_input_tokens ?? 0) +
    (usage.cache_read_input_tokens ?? 0);
  const outputTokens = usage.output_tokens ?? 0;
  return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
}

export const anthropicKind: ProviderKind = {
  name: 'anthropic',
  uriForms: ['anthropic:/<model>'],
  parseUri: parseHttpUri('anthropic', 'default'),
  parseObject: parseHttpObject('anthropic', { baseUrl: 'default', modelHint: 'e.g. claude-sonnet-4-5' }),
  defaultKeyVariable: 'ANTHROPIC_API_KEY',
  listPrice: listPriceLookup(DEFAULT_ANTHROPIC_PRICES),
  chat(reference, context) {
    const ref = reference as HttpEndpointRef;
    const endpoint = httpEndpointFor(ref, context, {
      publicBaseUrl: ANTHROPIC_BASE_URL,
      baseUrlVariable: 'ANTHROPIC_BASE_URL',
      keyVariable: 'ANTHROPIC_API_KEY',
      authHeaders: (key) => ({ 'x-api-key': key }),
      headers: { 'anthropic-version': ANTHROPIC_VERSION },
    });
    const uri = endpointUri(ref);
    const url = `${endpoint.baseUrl}/v1/messages`;
    return {
      uri,
      provider: ref.provider,
      model: ref.model,
      prepare(request) {
        const body = anthropicRequest(ref.model, request);
        return {
          body,
          async send() {
            const response = await endpoint.postJson('/v1/messages', body, {
              schema: anthropicMessageSchema,
              signal: request.signal,
              estimatedTokens: estimateChatTokens(request.messages, body.max_tokens),
              tokensUsed: (data) => anthropicUsage(data).totalTokens,
              onRetry: request.onRetry,
            });
            const message = response.data;
            const text = anthropicReplyText(message, request.output?.name);
            const stop = message.stop_reason ?? undefined;
            if (text === undefined) {
              throw noReplyError({
                context,
                uri,
                url,
                response,
                details: [stop !== undefined ? `(stop_reason ${stop})` : undefined],
              });
            }
            return {
              text,
              model: message.model ?? ref.model,
              usage: anthropicUsage(message),
              latencyMs: response.latencyMs,
              attempts: response.attempts,
              ...(response.requestId !== undefined ? { requestId: response.requestId } : {}),
              ...(stop !== undefined ? { finishReason: stop } : {}),
              body: message,
            };
          },
        };
      },
    };
  },
};
