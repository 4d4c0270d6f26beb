import { ConfigError } from '../core/errors.js';
import { createChatModel } from '../models/chat-model.js';
import type { LocalModelFactory } from '../models/create-model.js';
import { localChatEndpoint } from '../providers/local.js';
import type { JudgeResolver } from './resolver.js';

/**
 * The `local` model-under-test provider (`model: {provider: local, model: file.gguf, prompt: ...}`): the
 * embedded GGUF model answers each row, through the same chat model as every other kind. It borrows the
 * model from the run's judge resolver, so when the model under test and the judge are the same file
 * (the default on a machine with no API key), one instance with one queue serves both.
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
    const endpoint = localChatEndpoint({ name: model.name, load: async () => model });
    return createChatModel(endpoint, config, { name: endpoint.uri, price: undefined });
  };
}
