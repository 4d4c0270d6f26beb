import { ConfigError } from '../core/errors.js';
import type { ModelUnderTest } from '../core/model.js';
import type { PredictContext } from '../core/predict.js';
import { tokenUsageAttribute } from '../core/span.js';
import { addTokenUsage } from '../core/usage.js';
import type { LocalModelConfig, LocalModelFactory } from '../models/create-model.js';
import { chatMessages } from '../models/openai-compatible.js';
import type { LocalModel } from './local-model.js';
import type { JudgeResolver } from './resolver.js';

const DEFAULT_MAX_TOKENS = 256;

/**
 * The `local` model-under-test provider (`model: {provider: local, model: file.gguf, prompt: ...}`): the
 * embedded GGUF model answers each row. It borrows the model from the run's judge resolver, so when the
 * model under test and the judge are the same file (the default on a machine with no API key), one
 * instance with one queue serves both. Prompts render exactly as for the HTTP providers.
 */
export function localModelFactory(judges: JudgeResolver): LocalModelFactory {
  return async (config) => {
    if (judges.localModel === undefined) {
      throw new ConfigError('model provider "local" needs a judge resolver that can load local models', {
        field: 'model.provider',
      });
    }
    // Loaded now, while the pipeline is built: a missing file stops the run before the first row.
    const model = await judges.localModel(config.model);
    return createLocalModelUnderTest(model, config);
  };
}

function createLocalModelUnderTest(model: LocalModel, config: LocalModelConfig): ModelUnderTest {
  const name = `local:/${model.name}`;
  return {
    name,
    async predict(inputs: Record<string, unknown>, context: PredictContext): Promise<unknown> {
      const messages = chatMessages(config, inputs);
      const maxTokens = config.max_tokens ?? DEFAULT_MAX_TOKENS;
      const temperature = config.temperature ?? 0;
      const span = context.startSpan({
        name: 'chat.completions',
        spanType: 'CHAT_MODEL',
        inputs: { messages, max_tokens: maxTokens, temperature },
        attributes: { 'mlflow.llm.model': name, 'mlflow.llm.provider': 'local' },
      });
      try {
        const result = await model.chat({ messages, maxTokens, temperature, signal: context.signal });
        span.setAttribute('mlflow.chat.tokenUsage', tokenUsageAttribute(result.usage));
        addTokenUsage(context.usage.model, result.usage);
        context.usage.modelCalls += 1;
        span.end({ outputs: result.text });
        return result.text;
      } catch (error) {
        span.end({ error });
        throw error;
      }
    },
    // The judge resolver owns the loaded model and closes it.
    close: async () => undefined,
  };
}
