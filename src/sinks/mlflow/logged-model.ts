import { createHash } from 'node:crypto';
import { MlflowError } from '../../core/errors.js';
import { canonicalJson } from '../../core/json.js';
import { isSecretKey } from '../../core/redact.js';
import type { MlflowClient } from './client.js';
import type { KeyValue, LoggedModel } from './wire.js';

/** The LoggedModel tag holding the hash of the model's configuration; reuse is keyed on it. */
export const CONFIG_HASH_TAG = 'judgeflow.config_hash';
/** What Python's `mlflow.create_external_model` tags a model whose files live outside MLflow with. */
export const EXTERNAL_MODEL_TAG = 'mlflow.model.isExternal';

/**
 * Settings of a model config that do not change what the model answers, so a change to them is the
 * same model version: which environment variable holds the key (the key itself is never in a
 * config), HTTP tuning, prices, and the display name.
 */
const NOT_IDENTITY = new Set([
  'name',
  'api_key_env',
  'timeout_s',
  'max_retries',
  'concurrency',
  'rpm',
  'tpm',
  'prices',
]);

/**
 * The part of a model config that identifies a model version: every setting except those in
 * `NOT_IDENTITY` and any key that names a secret (`isSecretKey`), with credentials removed from URLs.
 */
export function modelIdentity(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined || NOT_IDENTITY.has(key) || isSecretKey(key)) continue;
    out[key] = typeof value === 'string' ? withoutUrlCredentials(value) : value;
  }
  return out;
}

/** sha256 (hex) of the canonical JSON (sorted keys, no whitespace) of `modelIdentity(config)`. */
export function modelConfigHash(config: Record<string, unknown>): string {
  return createHash('sha256')
    .update(canonicalJson(modelIdentity(config)))
    .digest('hex');
}

/** A LoggedModel name the server accepts: it refuses `/ : . % " '`. */
export function loggedModelName(name: string): string {
  const cleaned = name.replace(/[/:.%"'\s]+/g, '-').replace(/^-+|-+$/g, '');
  return cleaned === '' ? 'model' : cleaned;
}

export interface EnsureLoggedModelOptions {
  experimentId: string;
  /** The model's name (`models:` key, `model.name`, or one derived from the config). */
  name: string;
  /** The model config (as the eval file states it, prompt resolved). */
  config: Record<string, unknown>;
  /** More tags for a model created now (Python's context tags: `mlflow.user`, `mlflow.source.*`). */
  tags?: KeyValue[];
}

/**
 * The model id of the LoggedModel for (`name`, config hash) in the experiment: the newest existing
 * one, else a new one — created as Python's `mlflow.create_external_model` creates one (tag
 * `mlflow.model.isExternal=true`, no source run, finalized READY at once since no files are uploaded),
 * with the identity settings as params and the hash as tag `judgeflow.config_hash`. A model left
 * PENDING by an interrupted create is finalized; a create whose answer was lost is found again.
 */
export async function ensureLoggedModel(
  client: MlflowClient,
  options: EnsureLoggedModelOptions,
): Promise<string> {
  const name = loggedModelName(options.name);
  const hash = modelConfigHash(options.config);
  const found = await findLoggedModel(client, { experimentId: options.experimentId, name, hash });
  if (found !== undefined) return ready(client, found);
  let created: LoggedModel;
  try {
    created = await client.createLoggedModel({
      experimentId: options.experimentId,
      name,
      tags: [
        ...(options.tags ?? []),
        { key: EXTERNAL_MODEL_TAG, value: 'true' },
        { key: CONFIG_HASH_TAG, value: hash },
      ],
      params: flattenParams(modelIdentity(options.config)),
    });
  } catch (error) {
    if (!(error instanceof MlflowError) || !error.retryable) throw error;
    const again = await findLoggedModel(client, { experimentId: options.experimentId, name, hash });
    if (again === undefined) throw error;
    return ready(client, again);
  }
  return ready(client, created);
}

/** The newest model of the experiment with this name and config hash tag. */
export async function findLoggedModel(
  client: MlflowClient,
  options: { experimentId: string; name: string; hash: string },
): Promise<LoggedModel | undefined> {
  const { models } = await client.searchLoggedModels({
    experimentIds: [options.experimentId],
    filter: `name = ${quote(options.name)} AND tags.\`${CONFIG_HASH_TAG}\` = ${quote(options.hash)}`,
    maxResults: 1,
  });
  return models[0];
}

async function ready(client: MlflowClient, model: LoggedModel): Promise<string> {
  if (model.info.status !== 'LOGGED_MODEL_READY')
    await client.finalizeLoggedModel(model.info.model_id, 'LOGGED_MODEL_READY');
  return model.info.model_id;
}

/** `{a: {b: 1}}` → `a.b=1`; strings as they are, everything else as JSON. */
function flattenParams(value: Record<string, unknown>, prefix = ''): KeyValue[] {
  const out: KeyValue[] = [];
  for (const [key, inner] of Object.entries(value)) {
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (inner !== null && typeof inner === 'object' && !Array.isArray(inner))
      out.push(...flattenParams(inner as Record<string, unknown>, name));
    else out.push({ key: name, value: typeof inner === 'string' ? inner : JSON.stringify(inner) });
  }
  return out;
}

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function withoutUrlCredentials(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*@/i.test(value)) return value;
  try {
    const url = new URL(value);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return value;
  }
}
