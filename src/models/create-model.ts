import type { Env } from '../config/env.js';
import type { ModelConfig } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import type { ModelUnderTest } from '../core/model.js';
import type { HttpRuntime } from '../runtime/http-runtime.js';
import { createModuleModel } from './module-model.js';
import { createOpenAiCompatibleModel } from './openai-compatible.js';

/** The `model:` section for `provider: local` (the embedded GGUF model). */
export type LocalModelConfig = Extract<ModelConfig, { provider: 'local' }>;

/** Builds the embedded local model; supplied by the judges work, which owns node-llama-cpp. */
export type LocalModelFactory = (
  config: LocalModelConfig,
  context: CreateModelContext,
) => Promise<ModelUnderTest>;

export interface CreateModelContext {
  /** The eval file's folder: module paths resolve against it. */
  baseDir: string;
  env: Env;
  runtime: HttpRuntime;
  /** The run's row concurrency: default concurrency of an HTTP model's endpoint. */
  concurrency?: number | undefined;
  /** Plugs in the `local` provider. */
  localFactory?: LocalModelFactory | undefined;
}

export type ModelProvider = ModelConfig['provider'];

type ModelFactory<P extends ModelProvider> = (
  config: ModelConfig & { provider: P },
  context: CreateModelContext,
) => Promise<ModelUnderTest>;

/** One entry per provider: a provider added to the config schema fails to compile until it is here. */
const factories: { [P in ModelProvider]: ModelFactory<P> } = {
  'openai-compatible': async (config, context) => createOpenAiCompatibleModel(config, context),
  openai: async (config, context) => createOpenAiCompatibleModel(config, context),
  vllm: async (config, context) => createOpenAiCompatibleModel(config, context),
  module: (config, context) => createModuleModel(config, context),
  local: (config, context) => {
    if (context.localFactory === undefined) {
      return Promise.reject(
        new ConfigError('model provider "local" is not available in this build (no local model factory)', {
          field: 'model.provider',
        }),
      );
    }
    return context.localFactory(config, context);
  },
};

/** The model under test for the eval file's `model:` section. */
export function createModel(config: ModelConfig, context: CreateModelContext): Promise<ModelUnderTest> {
  const factory = factories[config.provider] as ModelFactory<ModelProvider>;
  return factory(config, context);
}

/** The environment variable holding the model's API key, when it needs one (`OPENAI_API_KEY` for OpenAI). */
export function modelKeyVariable(config: ModelConfig | undefined): string | undefined {
  if (config === undefined || config.provider === 'module' || config.provider === 'local') return undefined;
  return config.api_key_env ?? (config.provider === 'openai' ? 'OPENAI_API_KEY' : undefined);
}
