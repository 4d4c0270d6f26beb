import { readSecret, readVariable } from '../config/env.js';
import { ConfigError, ProviderError } from '../core/errors.js';
import type { ChatMessage } from '../core/judge.js';
import type { EndpointOptions, HttpEndpoint, HttpResponse } from '../runtime/http-endpoint.js';
import type { Fail, HttpEndpointRef, ProviderContext, RefObject } from './provider.js';

/** What the HTTP kinds share: reference forms, base URL and key resolution, the endpoint, errors. */

/**
 * The URI parser of an HTTP kind: `<name>:/<model>`, and `<name>:/<model>@<base_url>` — required when
 * the kind has no public API (`vllm`, `openai-compatible`), refused when it has one (the model then
 * belongs under `openai-compatible`, or in the object form with `base_url`).
 */
export function parseHttpUri(
  name: HttpEndpointRef['provider'],
  baseUrl: 'required' | 'default',
): (rest: string, fail: Fail) => HttpEndpointRef {
  return (rest, fail) => {
    if (!rest.startsWith('/') || rest.length < 2) fail(`expected ${name}:/<model>`);
    const body = rest.slice(1);
    if (baseUrl === 'default') {
      if (body.includes('@http'))
        fail(
          `for a server other than ${name}'s own API use openai-compatible:/<model>@<base_url>, or {provider: ${name}, base_url, model}`,
        );
      return { provider: name, model: body };
    }
    const match = /^(.+)@(https?:\/\/.+)$/.exec(body);
    if (match === null)
      fail(`expected ${name}:/<model>@<base_url>, e.g. ${name}:/my-model@http://127.0.0.1:8000/v1`);
    const [, model, url] = match as RegExpExecArray;
    try {
      new URL(url as string);
    } catch {
      fail(`"${url}" is not a valid URL`);
    }
    return { provider: name, model: model as string, baseUrl: url as string };
  };
}

/** The object-form checker of an HTTP kind. */
export function parseHttpObject(
  name: HttpEndpointRef['provider'],
  options: { baseUrl: 'required' | 'default'; modelHint: string },
): (ref: RefObject, fail: Fail) => HttpEndpointRef {
  return (ref, fail) => {
    if (ref.model === undefined) fail(`provider ${name} needs a model (${options.modelHint})`);
    if (options.baseUrl === 'required' && ref.base_url === undefined)
      fail(`provider ${name} needs a base_url (e.g. http://127.0.0.1:8000/v1)`);
    return {
      provider: name,
      model: ref.model as string,
      ...(ref.base_url !== undefined ? { baseUrl: ref.base_url } : {}),
      ...(ref.api_key_env !== undefined ? { apiKeyEnv: ref.api_key_env } : {}),
    };
  };
}

/** Where an HTTP kind's endpoint lives and how it authenticates. */
export interface HttpKindDefaults {
  /** The kind's public API (`https://api.anthropic.com`); undefined when a base URL must be given. */
  publicBaseUrl?: string;
  /** Variable overriding the public base URL (`ANTHROPIC_BASE_URL`). */
  baseUrlVariable?: string;
  /** Variable holding the key when `api_key_env` is unset (`ANTHROPIC_API_KEY`). */
  keyVariable?: string;
  /** The headers that carry the key. */
  authHeaders(key: string): Record<string, string>;
  /** Headers every call sends (`anthropic-version`). */
  headers?: Record<string, string>;
}

/**
 * The runtime endpoint for an HTTP reference: base URL from the reference, else the kind's variable,
 * else its public API; the key from `api_key_env`, else the kind's variable. A missing base URL or key
 * is a `ConfigError` raised now, before the first row. Endpoints are shared per base URL and options,
 * so every user of one server shares its connections, concurrency and rpm/tpm budgets.
 */
export function httpEndpointFor(
  ref: HttpEndpointRef,
  context: ProviderContext,
  defaults: HttpKindDefaults,
): HttpEndpoint {
  const baseUrl =
    ref.baseUrl ??
    (defaults.publicBaseUrl !== undefined
      ? (readVariable(context.env, defaults.baseUrlVariable) ?? defaults.publicBaseUrl)
      : undefined);
  if (baseUrl === undefined) {
    throw new ConfigError(`${context.field}.base_url is required for provider ${ref.provider}`, {
      field: `${context.field}.base_url`,
    });
  }
  const keyVariable = ref.apiKeyEnv ?? defaults.keyVariable;
  const apiKey = readSecret(context.env, keyVariable);
  if (keyVariable !== undefined && apiKey === undefined && context.requireKey !== false) {
    throw context.role === 'model'
      ? new ConfigError(`environment variable ${keyVariable} (the model's API key) is not set`, {
          field: `${context.field}.api_key_env`,
        })
      : new ConfigError(
          `${context.field}: environment variable ${keyVariable} (the judge's API key) is not set`,
          { field: context.field },
        );
  }
  const options: EndpointOptions = { ...(context.endpoint ?? {}) };
  const headers = {
    ...options.headers,
    ...defaults.headers,
    ...(apiKey !== undefined ? defaults.authHeaders(apiKey) : {}),
  };
  if (Object.keys(headers).length > 0) options.headers = headers;
  return context.runtime.endpoint(baseUrl, options);
}

/** A 2xx answer that carries no usable reply (a refusal, only tool calls, an empty content list). */
export function noReplyError(options: {
  context: ProviderContext;
  uri: string;
  url: string;
  response: HttpResponse<unknown>;
  /** `(refusal: …)`, `(finish_reason length)`: why, as far as the body says. */
  details: Array<string | undefined>;
}): ProviderError {
  const { response } = options;
  const details = options.details.filter((d) => d !== undefined && d !== '').join(' ');
  return new ProviderError({
    message: `${options.context.role === 'judge' ? 'judge ' : ''}${options.uri} returned no text${details !== '' ? ` ${details}` : ''}`,
    url: options.url,
    kind: 'invalid_response',
    retryable: false,
    attempts: response.attempts,
    bodyExcerpt: JSON.stringify(response.data).slice(0, 500),
    ...(response.requestId !== undefined ? { requestId: response.requestId } : {}),
  });
}

/**
 * A pre-call token estimate for tokens-per-minute budgets: about four characters a token for the
 * prompt, plus the completion cap. Settled against the real usage after the call.
 */
export function estimateChatTokens(messages: readonly ChatMessage[], maxTokens: number | undefined): number {
  let chars = 0;
  for (const message of messages) chars += message.content.length + 8;
  return Math.ceil(chars / 4) + (maxTokens ?? 256);
}
