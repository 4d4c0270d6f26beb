import path from 'node:path';
import type { Env } from '../config/env.js';
import type { DatasetConfig } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import type { DatasetSource } from '../datasets/index.js';

/** Turns the eval file's `dataset:` section into a dataset source (paths resolve against the eval file). */
export async function datasetSourceFromConfig(
  config: DatasetConfig,
  options: {
    baseDir: string;
    file?: string;
    env: Env;
    mlflowRows?: (name: string) => Promise<DatasetSource>;
  },
): Promise<DatasetSource> {
  if ('path' in config) {
    return {
      kind: 'file',
      path: path.resolve(options.baseDir, config.path),
      ...(config.format !== undefined ? { format: config.format } : {}),
      ...(config.name !== undefined ? { name: config.name } : {}),
    };
  }
  if ('records' in config) {
    return {
      kind: 'records',
      records: config.records,
      source: `${options.file ?? '<eval file>'}#dataset.records`,
      ...(config.name !== undefined ? { name: config.name } : {}),
    };
  }
  if (options.mlflowRows === undefined) {
    throw new ConfigError('dataset.mlflow needs MLflow; it is not available in this run (--no-mlflow?)', {
      ...(options.file !== undefined ? { file: options.file } : {}),
      field: 'dataset.mlflow',
    });
  }
  return options.mlflowRows(config.mlflow);
}
