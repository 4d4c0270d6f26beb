import type { JudgeClient, JudgeRequest, JudgeResponse } from '../core/judge.js';
import type { LocalModel } from './local-model.js';
import { localModelNameOf } from './model-ref.js';

/**
 * The embedded judge: a GGUF model in this process through node-llama-cpp. The model is loaded on the
 * first call (by `load`, shared by every client of the same file) so building a pipeline stays cheap;
 * the verdict's JSON Schema becomes a grammar, so the reply is JSON of the right shape by construction.
 */
export function createLocalJudgeClient(options: {
  modelPath: string;
  load: () => Promise<LocalModel>;
}): JudgeClient {
  return {
    modelUri: `local:/${localModelNameOf(options.modelPath)}`,
    async complete(request: JudgeRequest): Promise<JudgeResponse> {
      const model = await options.load();
      const result = await model.chat({
        messages: request.messages,
        schema: request.schema,
        maxTokens: request.maxTokens,
        temperature: request.temperature,
        signal: request.signal,
      });
      return {
        text: result.text,
        model: model.name,
        usage: result.usage,
        latencyMs: result.latencyMs,
        finishReason: result.finishReason,
      };
    },
    // The resolver owns the loaded model (shared between clients); it disposes of it.
    close: async () => undefined,
  };
}
