import { z } from 'zod';
import type { ChatMessage } from '../core/judge.js';
import type { TokenUsage } from '../core/usage.js';

/**
 * The OpenAI chat-completions wire format, as far as judgeflow reads it. OpenAI, vLLM, llama.cpp's server
 * and Ollama all answer in this shape; unknown fields are kept, so a server's extras never fail a call.
 * Shared by the model-under-test providers and the judge clients.
 */

const contentPartSchema = z.looseObject({ type: z.string(), text: z.string().optional() });

export const chatCompletionMessageSchema = z.looseObject({
  role: z.string().optional(),
  /** A string; null when the model answered with tool calls or a refusal; parts on some servers. */
  content: z.union([z.string(), z.null(), z.array(contentPartSchema)]).optional(),
  refusal: z.string().nullable().optional(),
});

export const chatCompletionUsageSchema = z.looseObject({
  prompt_tokens: z.number().nonnegative().optional(),
  completion_tokens: z.number().nonnegative().optional(),
  total_tokens: z.number().nonnegative().optional(),
});

export const chatCompletionResponseSchema = z.looseObject({
  id: z.string().optional(),
  model: z.string().optional(),
  choices: z
    .array(
      z.looseObject({
        index: z.number().optional(),
        message: chatCompletionMessageSchema,
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: chatCompletionUsageSchema.nullable().optional(),
});
export type ChatCompletionResponse = z.infer<typeof chatCompletionResponseSchema>;

/** The request body judgeflow sends (the fields it uses; servers accept more). */
export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  max_tokens?: number;
  response_format?: {
    type: 'json_schema';
    json_schema: { name: string; schema: Record<string, unknown>; strict?: boolean };
  };
  [extra: string]: unknown;
}

/** The first choice's text; undefined when it carries none (a tool call, a refusal with no content). */
export function chatCompletionText(response: ChatCompletionResponse): string | undefined {
  const content = response.choices[0]?.message.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : ''))
      .join('');
  }
  return undefined;
}

/** Token usage as judgeflow counts it; zeros when the server sent none. */
export function chatCompletionUsage(response: ChatCompletionResponse): TokenUsage {
  const usage = response.usage ?? {};
  const inputTokens = usage.prompt_tokens ?? 0;
  const outputTokens = usage.completion_tokens ?? 0;
  return { inputTokens, outputTokens, totalTokens: usage.total_tokens ?? inputTokens + outputTokens };
}

export { estimateChatTokens } from './http-chat.js';
