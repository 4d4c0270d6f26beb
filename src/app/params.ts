import type { EvalFile } from '../config/schema.js';
import { isSecretKey, REDACTED, Redactor } from '../core/redact.js';

/**
 * Flattens the resolved configuration into MLflow params (`model.provider`, `scorers`, ...).
 * The value of a key that names a secret is redacted (`isSecretKey`: `api_key`, `password`, but not
 * `api_key_env`, a variable *name*, nor `max_tokens`); every value is scrubbed by `redactor` (URL
 * credentials in `base_url`, key-shaped text, the run's known secrets). Values are capped at MLflow's
 * 6000-character param limit.
 */
export function configParams(
  config: EvalFile,
  extra: Record<string, string | number | undefined> = {},
  redactor: Redactor = new Redactor(),
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
    params[prefix] = isSecretKey(leaf)
      ? REDACTED
      : redactor.text(typeof value === 'string' ? value : JSON.stringify(value));
  };
  const { dataset, scorers, ...rest } = config;
  visit('', rest);
  if ('records' in dataset) {
    params['dataset.records'] = `${dataset.records.length} inline records`;
    if (dataset.name !== undefined) params['dataset.name'] = dataset.name;
  } else visit('dataset', dataset);
  params.scorers = redactor.text(
    JSON.stringify(scorers, (key, value: unknown) => {
      if (typeof key === 'string' && key !== '' && isSecretKey(key)) return REDACTED;
      // a judge prompt resolved from the registry is named, not copied (its text is in the registry)
      if (key === 'prompt' && typeof value === 'object' && value !== null && 'uri' in value)
        return (value as { uri: unknown }).uri;
      return value;
    }),
  );
  for (const [key, value] of Object.entries(extra))
    if (value !== undefined) params[key] = redactor.text(String(value));
  for (const key of Object.keys(params)) {
    const value = params[key] as string;
    if (value.length > 6000) params[key] = `${value.slice(0, 5985)}…[truncated]`;
  }
  return params;
}
