import type { ModelConfig } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import type { ModelUnderTest } from '../core/model.js';
import type { PredictFn } from '../core/predict.js';
import { fromFunction } from '../models/from-function.js';
import { loadExport } from '../runtime/module-loader.js';
import type { ProviderKind } from './provider.js';

/** The `model:` section for `provider: module`. */
export type ModuleModelConfig = Extract<ModelConfig, { provider: 'module' }>;

/**
 * A predict function named by module path and export (TypeScript loaded directly), resolved against the
 * eval file's folder — by name rather than as a closure, so a Ray worker on another machine loads the
 * same code. It is called as `fn(inputs, context)`.
 */
export async function createModuleModel(
  config: ModuleModelConfig,
  context: { baseDir: string },
): Promise<ModelUnderTest> {
  const exported = await loadExport({
    modulePath: config.path,
    exportName: config.export,
    baseDir: context.baseDir,
    field: 'model.path',
  });
  if (typeof exported !== 'function') {
    throw new ConfigError(
      `export "${config.export}" of ${config.path} is a ${exported === null ? 'null' : typeof exported}, not a predict function`,
      { field: 'model.export' },
    );
  }
  return fromFunction(exported as PredictFn, `module:${config.path}#${config.export}`);
}

/** `provider: module` — the model under test only (a function is not a chat endpoint, so never a judge). */
export const moduleKind: ProviderKind = {
  name: 'module',
  uriForms: [],
  model: (config, context) => createModuleModel(config as ModuleModelConfig, context),
};
