import {
  type HttpKindDefaults,
  httpEndpointFor,
  noReplyError,
  parseHttpObject,
  parseHttpUri,
} from './http-chat.js';
import { endpointUri } from './model-ref.js';
import {
  type ChatCompletionRequest,
  chatCompletionResponseSchema,
  chatCompletionText,
  chatCompletionUsage,
  estimateChatTokens,
} from './openai-wire.js';
import type {
  ChatEndpoint,
  EndpointRef,
  HttpEndpointRef,
  ProviderContext,
  ProviderKind,
} from './provider.js';

/**
 * Any OpenAI-compatible `/chat/completions` server: vLLM, llama.cpp's server, Ollama,
 * `judgeflow serve-judge` (kinds `openai-compatible` and its alias `vllm`), and the OpenAI API itself
 * (`openai.ts` reuses `openAiChatEndpoint`). Structured output is the standard
 * `response_format: {type: "json_schema", json_schema: {name, schema, strict: true}}` — never vLLM's
 * removed `guided_*` fields, which newer servers ignore silently.
 */

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** A chat endpoint speaking OpenAI's chat-completions wire format. */
export function openAiChatEndpoint(
  ref: HttpEndpointRef,
  context: ProviderContext,
  defaults: Omit<HttpKindDefaults, 'authHeaders'> & {
    /** The token-cap field when `token_limit_field` is unset. */
    tokenLimitField: 'max_tokens' | 'max_completion_tokens';
  },
): ChatEndpoint {
  const endpoint = httpEndpointFor(ref, context, { ...defaults, authHeaders: bearer });
  const tokenLimitField = context.tokenLimitField ?? defaults.tokenLimitField;
  const uri = endpointUri(ref);
  const url = `${endpoint.baseUrl}/chat/completions`;
  return {
    uri,
    provider: ref.provider,
    model: ref.model,
    prepare(request) {
      const body: ChatCompletionRequest = { model: ref.model, messages: request.messages };
      if (request.temperature !== undefined) body.temperature = request.temperature;
      if (request.output !== undefined) {
        body.response_format = {
          type: 'json_schema',
          json_schema: { name: request.output.name, schema: request.output.schema, strict: true },
        };
      }
      // Only when asked, and in the field the server accepts (OpenAI's reasoning models refuse max_tokens).
      if (request.maxTokens !== undefined) body[tokenLimitField] = request.maxTokens;
      return {
        body,
        async send() {
          const response = await endpoint.postJson('/chat/completions', body, {
            schema: chatCompletionResponseSchema,
            signal: request.signal,
            // Always estimated: a server's x-ratelimit-remaining-tokens can hold calls even without a tpm budget.
            estimatedTokens: estimateChatTokens(body.messages, request.maxTokens),
            onRetry: request.onRetry,
          });
          const choice = response.data.choices[0];
          const text = chatCompletionText(response.data);
          if (text === undefined) {
            const refusal = choice?.message.refusal;
            throw noReplyError({
              context,
              uri,
              url,
              response,
              details: [
                typeof refusal === 'string' ? `(refusal: ${refusal.slice(0, 200)})` : undefined,
                choice?.finish_reason ? `(finish_reason ${choice.finish_reason})` : undefined,
              ],
            });
          }
          return {
            text,
            model: response.data.model ?? ref.model,
            usage: chatCompletionUsage(response.data),
            latencyMs: response.latencyMs,
            attempts: response.attempts,
            ...(response.requestId !== undefined ? { requestId: response.requestId } : {}),
            ...(typeof choice?.finish_reason === 'string' ? { finishReason: choice.finish_reason } : {}),
            body: response.data,
          };
        },
      };
    },
  };
}

function compatibleKind(name: 'openai-compatible' | 'vllm'): ProviderKind {
  return {
    name,
    uriForms: [`${name}:/<model>@<base_url>`],
    baseUrlRequired: true,
    parseUri: parseHttpUri(name, 'required'),
    parseObject: parseHttpObject(name, { baseUrl: 'required', modelHint: 'the name the server serves' }),
    // Local servers need no key; `api_key_env` names one when the server wants it.
    chat: (ref: EndpointRef, context: ProviderContext) =>
      openAiChatEndpoint(ref as HttpEndpointRef, context, { tokenLimitField: 'max_tokens' }),
  };
}

/** `openai-compatible:/<model>@<base_url>`, `{provider: openai-compatible, base_url, model, api_key_env}`. */
export const openAiCompatibleKind: ProviderKind = compatibleKind('openai-compatible');

/** `vllm:/<model>@<base_url>`: the same wire, named for what serves it. */
export const vllmKind: ProviderKind = compatibleKind('vllm');
