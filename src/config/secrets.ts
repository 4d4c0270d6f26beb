import { isSecretKey, Redactor } from '../core/redact.js';
import type { Env } from './env.js';

const NOT_SECRET_ENV = new Set(['PWD', 'OLDPWD', 'INIT_CWD']);

/**
 * Environment variable names whose values are secrets even though no config names them: the words of
 * the name end in KEY, TOKEN, SECRET, PASSWORD, ... (`OPENAI_API_KEY`, `HF_TOKEN`, `PGPASSWORD`,
 * `AWS_SECRET_ACCESS_KEY`); names that point at a secret (`..._FILE`, `..._PATH`) are not.
 */
export function isSecretEnvName(name: string): boolean {
  // The shell's working directories: "pwd" is a password elsewhere, a path here.
  if (NOT_SECRET_ENV.has(name)) return false;
  const words = name.toLowerCase().split(/[^a-z0-9]+/);
  const last = words.at(-1) ?? '';
  if (['key', 'pass'].includes(last)) return true;
  if (/password$|passwd$/.test(last)) return true;
  return isSecretKey(name);
}

/** Every `api_key_env` an eval file (or any part of one) names, wherever it sits. */
export function apiKeyEnvNames(config: unknown): string[] {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) visit(item);
    else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'api_key_env' && typeof inner === 'string') names.add(inner);
        else visit(inner);
      }
    }
  };
  visit(config);
  return [...names];
}

/**
 * The values of every secret the process knows: the variables `api_key_env` names (when given the
 * config), `OPENAI_API_KEY`, `MLFLOW_TRACKING_PASSWORD` / `MLFLOW_TRACKING_TOKEN`, `RAY_AUTH_TOKEN`, and
 * any other variable whose name says it holds a secret.
 */
export function secretValues(env: Env, options: { config?: unknown } = {}): string[] {
  const values = new Set<string>();
  const add = (value: string | undefined): void => {
    if (value !== undefined && value.trim() !== '') values.add(value);
  };
  add(env.openaiApiKey);
  add(env.mlflowPassword);
  add(env.mlflowToken);
  add(env.rayAuthToken);
  for (const name of apiKeyEnvNames(options.config)) add(env.raw[name]);
  for (const [name, value] of Object.entries(env.raw)) if (isSecretEnvName(name)) add(value);
  return [...values];
}

/** A redactor that knows the environment's secrets (and the config's key variables, when given). */
export function redactorFor(env: Env, options: { config?: unknown } = {}): Redactor {
  return new Redactor(secretValues(env, options));
}
