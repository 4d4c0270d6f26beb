import { ConfigError } from '../../core/errors.js';
import type { MlflowClient, PromptVersion } from './client.js';

/** A prompt reference: `prompts:/name/3` (a version) or `prompts:/name@alias` (`latest` included). */
export type PromptUri = { name: string; version: string } | { name: string; alias: string };

const uriPattern = /^prompts:\/([a-zA-Z0-9_.-]+)(?:\/(\d+)|@([a-zA-Z0-9_.-]+))$/;

/** Parses `prompts:/name/3` or `prompts:/name@alias`; anything else is a ConfigError naming the forms. */
export function parsePromptUri(uri: string): PromptUri {
  const match = uriPattern.exec(uri.trim());
  if (match === null) {
    throw new ConfigError(
      `invalid prompt URI "${uri}": expected prompts:/<name>/<version> or prompts:/<name>@<alias>`,
      { field: 'model.prompt' },
    );
  }
  const name = match[1] as string;
  if (match[2] !== undefined) return { name, version: match[2] };
  return { name, alias: match[3] as string };
}

/**
 * Loads a prompt template from MLflow's prompt registry by version or alias, for the lead's run
 * setup (the version is recorded on the run). A missing prompt, version or alias is a ConfigError.
 */
export async function loadPromptTemplate(options: {
  client: MlflowClient;
  uri: string;
}): Promise<{ template: string; name: string; version: string; type: string }> {
  const ref = parsePromptUri(options.uri);
  let found: PromptVersion | undefined;
  if ('version' in ref) found = await options.client.getPromptVersion(ref.name, ref.version);
  else if (ref.alias === 'latest') found = await latestVersion(options.client, ref.name);
  else found = await options.client.getPromptVersionByAlias(ref.name, ref.alias);
  if (found === undefined) {
    throw new ConfigError(
      `prompt ${options.uri} was not found in the MLflow prompt registry at ${options.client.trackingUri}`,
      { field: 'model.prompt' },
    );
  }
  return { template: found.template, name: found.name, version: found.version, type: found.type };
}

/** `latest`: the server resolves it on newer versions; otherwise the highest version number. */
async function latestVersion(client: MlflowClient, name: string): Promise<PromptVersion | undefined> {
  const byAlias = await client.getPromptVersionByAlias(name, 'latest').catch(() => undefined);
  if (byAlias !== undefined) return byAlias;
  const model = await client.getRegisteredModel(name);
  if (model === undefined) return undefined;
  const versions = (model as { latest_versions?: Array<{ version?: string }> }).latest_versions ?? [];
  const newest = versions
    .map((v) => Number(v.version))
    .filter(Number.isFinite)
    .sort((a, b) => b - a)[0];
  return newest === undefined ? undefined : client.getPromptVersion(name, newest);
}
