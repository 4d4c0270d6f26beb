import type { EvalFile } from '../config/schema.js';

const SECRET_KEY = /(api[_-]?key|token|secret|password|authorization|credential)(?!_env)/i;

/**
 * Flattens the resolved configuration into MLflow params (`model.provider`, `scorers`, ...).
 * Keys that look like secrets are redacted; `api_key_env` holds a variable *name* and is kept.
 * Values are capped at MLflow's 6000-character param limit.
 */
export function configParams(
  config: EvalFile,
  extra: Record<string, string | number | undefined> = {},
): Record<string, string> {
  const params: Record<string, string> = {};
  const visit = (prefix: string, value: unknown): void => {
    if (value === undefined) return;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value))
        visit(prefix === '' ? key : `${prefix}.${key}`, inner);
      return;
    }
    const leaf = prefix.split('.').pop() ?? prefix;
    params[prefix] = SECRET_KEY.test(leaf)
      ? '[REDACTED]'
      : typeof value === 'string'
        ? value
        : JSON.stringify(value);
  };
  const { dataset, scorers, ...rest } = config;
  visit('', rest);
  if ('records' in dataset) {
    params['dataset.records'] = `${dataset.records.length} inline records`;
    if (dataset.name !== undefined) params['dataset.name'] = dataset.name;
  } else visit('dataset', dataset);
  params.scorers = JSON.stringify(scorers, (key, value: unknown) =>
    typeof key === 'string' && SECRET_KEY.test(key) ? '[REDACTED]' : value,
  );
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) params[key] = String(value);
  for (const key of Object.keys(params)) {
    const value = params[key] as string;
    if (value.length > 6000) params[key] = `${value.slice(0, 5985)}…[truncated]`;
  }
  return params;
}
