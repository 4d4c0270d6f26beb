import path from 'node:path';
import type { ModelRef } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';

/**
 * A judge model, parsed once at the config boundary from an MLflow-style URI or an endpoint object.
 * Everything past this point switches on `provider`; nothing splits strings again.
 */
export type JudgeModelRef = OpenAiJudgeRef | CompatibleJudgeRef | LocalJudgeRef;

/** The OpenAI API (`openai:/gpt-4.1-mini`). Base URL from the ref, else `OPENAI_BASE_URL`, else api.openai.com. */
export interface OpenAiJudgeRef {
  provider: 'openai';
  model: string;
  baseUrl?: string;
  /** Environment variable holding the key; default `OPENAI_API_KEY`. */
  apiKeyEnv?: string;
}

/** Any OpenAI-compatible server: vLLM, llama.cpp's server, Ollama, `judgeflow serve-judge`. */
export interface CompatibleJudgeRef {
  provider: 'vllm' | 'openai-compatible';
  model: string;
  /** Base URL ending in `/v1`. */
  baseUrl: string;
  /** Environment variable holding the key; none by default (local servers need none). */
  apiKeyEnv?: string;
}

/** The embedded GGUF model through node-llama-cpp. */
export interface LocalJudgeRef {
  provider: 'local';
  /** Absolute GGUF path; undefined means the default model (`JUDGEFLOW_JUDGE_MODEL`, else the one setup installs). */
  path?: string;
}

export type JudgeProvider = JudgeModelRef['provider'];

const SUPPORTED =
  'openai:/<model>, vllm:/<model>@<base_url>, openai-compatible:/<model>@<base_url>, local, local:<file.gguf>, or {provider, base_url, model, api_key_env}';

export interface ParseRefOptions {
  /** Relative GGUF paths resolve against this folder (the eval file's). */
  baseDir: string;
  /** Config field for error messages (`judge.model`, `scorers[2].model`). */
  field?: string;
  file?: string;
}

/**
 * Parses a judge reference. URIs: `openai:/gpt-4o-mini`, `vllm:/qwen@http://host:8000/v1`,
 * `openai-compatible:/llama@http://127.0.0.1:8080/v1`, `local`, `local:/abs/model.gguf`, `local:./rel.gguf`.
 * Objects: `{provider, base_url, model, api_key_env}` as in the eval file.
 */
export function parseJudgeModelRef(ref: ModelRef, options: ParseRefOptions): JudgeModelRef {
  const fail = (message: string): never => {
    throw new ConfigError(`${options.field ?? 'judge model'}: ${message}`, {
      ...(options.field !== undefined ? { field: options.field } : {}),
      ...(options.file !== undefined ? { file: options.file } : {}),
    });
  };
  if (typeof ref !== 'string') {
    const keyEnv = ref.api_key_env !== undefined ? { apiKeyEnv: ref.api_key_env } : {};
    switch (ref.provider) {
      case 'local':
        if (ref.base_url !== undefined) fail('a local judge takes no base_url');
        return ref.model !== undefined
          ? { provider: 'local', path: path.resolve(options.baseDir, ref.model) }
          : { provider: 'local' };
      case 'openai':
        if (ref.model === undefined) fail('provider openai needs a model (e.g. gpt-4.1-mini)');
        return {
          provider: 'openai',
          model: ref.model as string,
          ...(ref.base_url !== undefined ? { baseUrl: ref.base_url } : {}),
          ...keyEnv,
        };
      case 'vllm':
      case 'openai-compatible':
        if (ref.model === undefined)
          fail(`provider ${ref.provider} needs a model (the name the server serves)`);
        if (ref.base_url === undefined)
          fail(`provider ${ref.provider} needs a base_url (e.g. http://127.0.0.1:8000/v1)`);
        return {
          provider: ref.provider,
          model: ref.model as string,
          baseUrl: ref.base_url as string,
          ...keyEnv,
        };
    }
  }
  const uri = ref.trim();
  if (uri === 'local') return { provider: 'local' };
  const colon = uri.indexOf(':');
  if (colon <= 0) fail(`"${uri}" is not a model URI (expected ${SUPPORTED})`);
  const provider = uri.slice(0, colon);
  const rest = uri.slice(colon + 1);
  if (provider === 'local') {
    if (rest === '' || rest === '/') return { provider: 'local' };
    return { provider: 'local', path: path.resolve(options.baseDir, rest) };
  }
  if (provider === 'http' || provider === 'https') {
    fail(`"${uri}" is a URL; name a model at it as openai-compatible:/<model>@${uri}`);
  }
  if (!rest.startsWith('/') || rest.length < 2) fail(`"${uri}": expected ${provider}:/<model>`);
  const body = rest.slice(1);
  if (provider === 'openai') {
    if (body.includes('@http'))
      fail(`"${uri}": for an OpenAI-compatible server use openai-compatible:/<model>@<base_url>`);
    return { provider: 'openai', model: body };
  }
  if (provider === 'vllm' || provider === 'openai-compatible') {
    const match = /^(.+)@(https?:\/\/.+)$/.exec(body);
    if (match === null)
      fail(
        `"${uri}": expected ${provider}:/<model>@<base_url>, e.g. ${provider}:/my-model@http://127.0.0.1:8000/v1`,
      );
    const [, model, baseUrl] = match as RegExpExecArray;
    try {
      new URL(baseUrl as string);
    } catch (cause) {
      throw new ConfigError(`${options.field ?? 'judge model'}: "${baseUrl}" is not a valid URL`, {
        ...(options.field !== undefined ? { field: options.field } : {}),
        cause,
      });
    }
    return { provider, model: model as string, baseUrl: baseUrl as string };
  }
  return fail(`judge provider "${provider}" is not supported (use ${SUPPORTED})`);
}

/**
 * The MLflow-style URI recorded as the assessment source id and on judge spans. Base URLs and key
 * names are left out: the source id names the model, not where it was served.
 */
export function judgeModelUri(ref: JudgeModelRef, localModelName?: string): string {
  switch (ref.provider) {
    case 'openai':
    case 'vllm':
    case 'openai-compatible':
      return `${ref.provider}:/${ref.model}`;
    case 'local':
      return `local:/${localModelName ?? (ref.path !== undefined ? localModelNameOf(ref.path) : 'default')}`;
  }
}

/** `gemma-3-270m-q4_k_m` for `/x/gemma-3-270m-q4_k_m.gguf`. */
export function localModelNameOf(file: string): string {
  return path.basename(file).replace(/\.gguf$/i, '');
}
