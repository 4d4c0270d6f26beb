import type { ModelRef } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import { localModelNameOf } from './local-model.js';
import type { EndpointRef, Fail, HttpEndpointRef } from './provider.js';
import { providerKinds } from './registry.js';

export { localModelNameOf } from './local-model.js';

/**
 * Model references, parsed once at the config boundary from an MLflow-style URI
 * (`openai:/gpt-4o-mini`, `anthropic:/claude-sonnet-4-5`, `vllm:/m@http://…/v1`, `local:/x.gguf`) or an
 * endpoint object (`{provider, base_url, model, api_key_env}`). Everything past this point switches on
 * `provider`; nothing splits strings again. Each kind parses its own forms (`registry.ts`).
 */

export interface ParseRefOptions {
  /** Relative GGUF paths resolve against this folder (the eval file's). */
  baseDir: string;
  /** Config field for error messages (`judge.model`, `scorers[2].model`). */
  field?: string;
  file?: string;
  /** The role the endpoint plays (`judge`), named in errors: `judge provider "foo" is not supported`. */
  role?: string;
}

/** The accepted forms, for error messages. */
function supportedForms(): string {
  const forms = Object.values(providerKinds).flatMap((kind) => kind.uriForms);
  return `${forms.join(', ')}, or {provider, base_url, model, api_key_env}`;
}

/** Parses a model reference (a URI or the eval file's object form) into an `EndpointRef`. */
export function parseEndpointRef(ref: ModelRef, options: ParseRefOptions): EndpointRef {
  const fail: Fail = (message) => {
    throw new ConfigError(`${options.field ?? 'judge model'}: ${message}`, {
      ...(options.field !== undefined ? { field: options.field } : {}),
      ...(options.file !== undefined ? { file: options.file } : {}),
    });
  };
  const provider = (name: string): string =>
    `${options.role !== undefined ? `${options.role} provider` : 'provider'} "${name}"`;
  if (typeof ref !== 'string') {
    const kind = Object.hasOwn(providerKinds, ref.provider)
      ? providerKinds[ref.provider as keyof typeof providerKinds]
      : undefined;
    if (kind?.parseObject === undefined) return fail(`${provider(ref.provider)} cannot serve here`);
    return kind.parseObject(ref, fail, options.baseDir);
  }
  const uri = ref.trim();
  if (uri === 'local') return { provider: 'local' };
  const colon = uri.indexOf(':');
  if (colon <= 0) fail(`"${uri}" is not a model URI (expected ${supportedForms()})`);
  const scheme = uri.slice(0, colon);
  const rest = uri.slice(colon + 1);
  if (scheme === 'http' || scheme === 'https') {
    fail(`"${uri}" is a URL; name a model at it as openai-compatible:/<model>@${uri}`);
  }
  const kind = Object.hasOwn(providerKinds, scheme)
    ? providerKinds[scheme as keyof typeof providerKinds]
    : undefined;
  if (kind?.parseUri === undefined) {
    return fail(`${provider(scheme)} is not supported (use ${supportedForms()})`);
  }
  return kind.parseUri(rest, (message) => fail(`"${uri}": ${message}`), options.baseDir);
}

/**
 * The MLflow-style URI recorded as the assessment source id and on spans. Base URLs and key names are
 * left out: the source id names the model, not where it was served.
 */
export function endpointUri(ref: EndpointRef, localModelName?: string): string {
  if (ref.provider === 'local') {
    return `local:/${localModelName ?? (ref.path !== undefined ? localModelNameOf(ref.path) : 'default')}`;
  }
  return `${ref.provider}:/${ref.model}`;
}

/** The variable holding an HTTP endpoint's key: `api_key_env`, else its kind's default (none for local servers). */
export function endpointKeyVariable(ref: HttpEndpointRef): string | undefined {
  return ref.apiKeyEnv ?? providerKinds[ref.provider].defaultKeyVariable;
}
