import type { Env } from '../config/env.js';
import type { ModelConfig } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import type { ModelUnderTest } from '../core/model.js';
import { instrumentModel } from '../observability/instrument.js';
import type { ModuleModelConfig } from '../providers/module.js';
import { providerKinds } from '../providers/registry.js';
import type { HttpRuntime } from '../runtime/http-runtime.js';
import { createHttpModel, type HttpModelConfig } from './http-model.js';

/** The `model:` section for `provider: local` (the embedded GGUF model). */
export type LocalModelConfig = Extract<ModelConfig, { provider: 'local' }>;

/** Builds the embedded local model; supplied by the judges work, which shares the loaded model. */
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

/**
 * The model under test for the eval file's `model:` section, through the provider registry
 * (`src/providers/registry.ts`): a kind that builds its own model (`module`) does; the embedded `local`
 * model comes from `localFactory` (it shares the judges' loaded model); every other kind is a chat
 * endpoint wrapped by `createChatModel`.
 */
export async function createModel(config: ModelConfig, context: CreateModelContext): Promise<ModelUnderTest> {
  if (config.provider === 'local') {
    if (context.localFactory === undefined) {
      throw new ConfigError(
        'model provider "local" is not available in this build (no local model factory)',
        {
          field: 'model.provider',
        },
      );
    }
    const model = await context.localFactory(config, context);
    return instrumentModel(model, model.name);
  }
  const kind = providerKinds[config.provider];
  // A model that is not a chat endpoint: each predict is one model request (HTTP models are
  // instrumented at their endpoint, retries included).
  if (kind.model !== undefined) {
    const model = await kind.model(config as ModuleModelConfig, context);
    return instrumentModel(model, model.name);
  }
  return createHttpModel(config as HttpModelConfig, context);
}

/** The environment variable holding the model's API key, when it needs one (`OPENAI_API_KEY` for OpenAI). */
export function modelKeyVariable(config: ModelConfig | undefined): string | undefined {
  if (config === undefined || config.provider === 'module' || config.provider === 'local') return undefined;
  return config.api_key_env ?? providerKinds[config.provider].defaultKeyVariable;
}

/** Whether the `model:` section must name its server's `base_url` (its kind has no public API). */
export function modelNeedsBaseUrl(config: ModelConfig): boolean {
  return providerKinds[config.provider].baseUrlRequired === true;
}
