import { ProviderError } from '../core/errors.js';
import type { ModelUnderTest } from '../core/model.js';
import type { PredictContext } from '../core/predict.js';
import { tokenUsageAttribute } from '../core/span.js';
import { addTokenUsage, countAttempts, type Usage } from '../core/usage.js';
import { callCost, type ModelPrice } from '../providers/prices.js';
import type { ChatEndpoint } from '../providers/provider.js';
import { chatMessages, type PromptConfig } from './prompt.js';

/** The `model:` settings a chat model under test reads. */
export interface ChatModelConfig extends PromptConfig {
  temperature?: number | undefined;
  max_tokens?: number | undefined;
}

/**
 * The model under test over any chat endpoint (OpenAI, an OpenAI-compatible server, Anthropic, the
 * local GGUF model). Each row: the prompt template rendered over `{inputs}`, after the optional system
 * prompt; the output is the reply's text. The call is a CHAT_MODEL span (model, provider, token usage,
 * cost, HTTP attempts, a `retry` event per retry) and its tokens and cost are added to the row's usage.
 */
export function createChatModel(
  endpoint: ChatEndpoint,
  config: ChatModelConfig,
  options: { name: string; price: ModelPrice | undefined },
): ModelUnderTest {
  const { price } = options;
  return {
    name: options.name,
    async predict(inputs: Record<string, unknown>, context: PredictContext): Promise<unknown> {
      const call = endpoint.prepare({
        messages: chatMessages(config, inputs),
        temperature: config.temperature,
        maxTokens: config.max_tokens,
        signal: context.signal,
        onRetry: (event) =>
          span.addEvent('retry', {
            attempt: event.attempt,
            delay_ms: event.delayMs,
            kind: event.error.kind,
            ...(event.error.status !== undefined ? { status: event.error.status } : {}),
          }),
      });
      const span = context.startSpan({
        name: 'chat.completions',
        spanType: 'CHAT_MODEL',
        inputs: call.body,
        attributes: { 'mlflow.llm.model': endpoint.model, 'mlflow.llm.provider': endpoint.provider },
      });
      let counted = false;
      try {
        const result = await call.send();
        if (result.attempts !== undefined) span.setAttribute('judgeflow.http.attempts', result.attempts);
        if (result.requestId !== undefined) span.setAttribute('judgeflow.http.request_id', result.requestId);
        span.setAttribute('mlflow.chat.tokenUsage', tokenUsageAttribute(result.usage));
        addTokenUsage(context.usage.model, result.usage);
        countModelRequest(context.usage, result.attempts ?? 1);
        counted = true;
        if (price !== undefined) {
          const cost = callCost(price, result.usage);
          context.usage.costUsd += cost.totalUsd;
          context.usage.modelCostUsd += cost.totalUsd;
          span.setAttribute('mlflow.llm.cost', {
            input_cost: cost.inputUsd,
            output_cost: cost.outputUsd,
            total_cost: cost.totalUsd,
          });
        }
        span.end({ outputs: result.body });
        return result.text;
      } catch (error) {
        if (error instanceof ProviderError && error.attempts !== undefined) {
          span.setAttribute('judgeflow.http.attempts', error.attempts);
          // Attempts that reached the server count even when the request failed in the end.
          if (!counted) countModelRequest(context.usage, error.attempts);
        }
        span.end({ error });
        throw error;
      }
    },
    // The runtime owns the connections and the judge resolver the local models (both may be shared).
    close: async () => undefined,
  };
}

/** First attempt a call, the rest retries. */
function countModelRequest(usage: Usage, attempts: number): void {
  const { calls, retries } = countAttempts(attempts);
  usage.modelCalls += calls;
  usage.modelRetries += retries;
}
