import { z } from 'zod';
import { MlflowError } from '../../../core/errors.js';
import type { MlflowHttp } from '../http.js';
import {
  type KeyValue,
  type ModelVersion,
  modelVersionSchema,
  type RegisteredModel,
  registeredModelSchema,
} from '../wire.js';
import { unlessNotFound } from './not-found.js';

// The prompt registry: prompts are registered models tagged as prompts, versions are model versions.

/** The tag that marks a registered model (and its versions) as a prompt. */
const IS_PROMPT_TAG = 'mlflow.prompt.is_prompt';
/** The tag that holds a prompt version's template. */
const TEMPLATE_TAG = 'mlflow.prompt.text';
const TYPE_TAG = '_mlflow_prompt_type';

export interface PromptVersion {
  name: string;
  version: string;
  template: string;
  /** `text` or `chat` (a chat template is JSON text). */
  type: string;
  tags: Record<string, string>;
  aliases: string[];
}

export async function getRegisteredModel(
  http: MlflowHttp,
  name: string,
): Promise<RegisteredModel | undefined> {
  return unlessNotFound(async () => {
    const out = await http.call({
      method: 'GET',
      path: '/api/2.0/mlflow/registered-models/get',
      query: { name },
      idempotent: true,
      schema: z.looseObject({ registered_model: registeredModelSchema }),
    });
    return out.registered_model;
  });
}

/**
 * Registers a new prompt version (creating the prompt on first use), the way Python's
 * `register_prompt` does. A name held by a registered model that is not a prompt is an error.
 */
export async function registerPrompt(
  http: MlflowHttp,
  options: {
    name: string;
    template: string;
    type?: 'text' | 'chat';
    commitMessage?: string;
    tags?: Record<string, string>;
  },
): Promise<PromptVersion> {
  if (!/^[a-zA-Z0-9_.-]+$/.test(options.name)) {
    throw new MlflowError({
      message: `invalid prompt name "${options.name}": use letters, digits, "_", "-" and "." only`,
      endpoint: 'POST /api/2.0/mlflow/registered-models/create',
      retryable: false,
    });
  }
  const existing = await getRegisteredModel(http, options.name);
  if (existing === undefined) {
    try {
      await http.call({
        method: 'POST',
        path: '/api/2.0/mlflow/registered-models/create',
        json: { name: options.name, tags: [{ key: IS_PROMPT_TAG, value: 'true' }] },
        idempotent: false,
      });
    } catch (error) {
      if (!(error instanceof MlflowError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw error;
    }
  } else if ((existing.tags ?? []).find((tag) => tag.key === IS_PROMPT_TAG)?.value !== 'true') {
    throw new MlflowError({
      message: `"${options.name}" is a registered model, not a prompt; choose another prompt name`,
      endpoint: 'GET /api/2.0/mlflow/registered-models/get',
      retryable: false,
    });
  }
  const tags: KeyValue[] = [
    { key: IS_PROMPT_TAG, value: 'true' },
    { key: TEMPLATE_TAG, value: options.template },
    { key: TYPE_TAG, value: options.type ?? 'text' },
    ...Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value })),
  ];
  const out = await http.call({
    method: 'POST',
    path: '/api/2.0/mlflow/model-versions/create',
    json: {
      name: options.name,
      source: 'dummy-source',
      ...(options.commitMessage !== undefined ? { description: options.commitMessage } : {}),
      tags,
    },
    idempotent: false,
    schema: z.looseObject({ model_version: modelVersionSchema }),
  });
  return promptVersionFrom(out.model_version);
}

export async function getPromptVersion(
  http: MlflowHttp,
  name: string,
  version: string | number,
): Promise<PromptVersion | undefined> {
  return unlessNotFound(async () => {
    const out = await http.call({
      method: 'GET',
      path: '/api/2.0/mlflow/model-versions/get',
      query: { name, version: String(version) },
      idempotent: true,
      schema: z.looseObject({ model_version: modelVersionSchema }),
    });
    return promptVersionFrom(out.model_version);
  });
}

export async function getPromptVersionByAlias(
  http: MlflowHttp,
  name: string,
  alias: string,
): Promise<PromptVersion | undefined> {
  return unlessNotFound(async () => {
    const out = await http.call({
      method: 'GET',
      path: '/api/2.0/mlflow/registered-models/alias',
      query: { name, alias },
      idempotent: true,
      schema: z.looseObject({ model_version: modelVersionSchema }),
    });
    return promptVersionFrom(out.model_version);
  });
}

export async function setPromptAlias(
  http: MlflowHttp,
  name: string,
  alias: string,
  version: string | number,
): Promise<void> {
  await http.call({
    method: 'POST',
    path: '/api/2.0/mlflow/registered-models/alias',
    json: { name, alias, version: String(version) },
    idempotent: true,
  });
}

function promptVersionFrom(version: ModelVersion): PromptVersion {
  const tags: Record<string, string> = {};
  for (const tag of version.tags ?? []) tags[tag.key] = tag.value;
  const template = tags[TEMPLATE_TAG];
  if (tags[IS_PROMPT_TAG] !== 'true' || template === undefined) {
    throw new MlflowError({
      message: `"${version.name}" version ${version.version} is not a prompt version`,
      endpoint: 'GET /api/2.0/mlflow/model-versions/get',
      retryable: false,
    });
  }
  return {
    name: version.name,
    version: version.version,
    template,
    type: tags[TYPE_TAG] ?? 'text',
    tags,
    aliases: version.aliases ?? [],
  };
}
