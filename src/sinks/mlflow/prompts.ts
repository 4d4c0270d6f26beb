import { ConfigError } from '../../core/errors.js';
import type { ResolvedJudgePrompt } from '../../judges/registry-prompt.js';
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

/** A judge's `prompt: prompts:/...` as the version it names, for the judge scorer (see `judgePromptFromRegistry`). */
export async function loadJudgePromptVersion(options: {
  client: MlflowClient;
  uri: string;
}): Promise<ResolvedJudgePrompt> {
  const found = await loadPromptTemplate(options);
  return {
    uri: options.uri.trim(),
    name: found.name,
    version: found.version,
    type: found.type === 'chat' ? 'chat' : 'text',
    template: found.template,
  };
}

/** The tag on a pushed version naming the built-in judge it holds the prompt of. */
export const BUILTIN_JUDGE_TAG = 'judgeflow.judge';
/**
 * Whether pushing `template` needs a new version: not when the newest version holds the same text
 * and type (pushing unchanged prompts again changes nothing), yes when there is none or it differs.
 */
export function pushDecision(
  newest: Pick<PromptVersion, 'template' | 'type'> | undefined,
  template: string,
  type: 'text' | 'chat',
): 'create' | 'unchanged' {
  if (newest === undefined) return 'create';
  return newest.template === template && newest.type === type ? 'unchanged' : 'create';
}

/**
 * Registers `template` as a new version of prompt `name` unless its newest version holds the same
 * text already; points `alias` at the resulting version when given.
 */
export async function pushPromptIfChanged(options: {
  client: MlflowClient;
  name: string;
  template: string;
  type: 'text' | 'chat';
  alias?: string;
  commitMessage?: string;
  tags?: Record<string, string>;
}): Promise<{ version: PromptVersion; created: boolean }> {
  const newest = await newestPromptVersion(options.client, options.name);
  const decision = pushDecision(newest, options.template, options.type);
  const version =
    decision === 'unchanged' && newest !== undefined
      ? newest
      : await options.client.registerPrompt({
          name: options.name,
          template: options.template,
          type: options.type,
          ...(options.commitMessage !== undefined ? { commitMessage: options.commitMessage } : {}),
          ...(options.tags !== undefined ? { tags: options.tags } : {}),
        });
  if (options.alias !== undefined && !version.aliases.includes(options.alias))
    await options.client.setPromptAlias(options.name, options.alias, version.version);
  return { version, created: decision === 'create' };
}

/** The highest-numbered version of a prompt; undefined when the prompt does not exist yet. */
export async function newestPromptVersion(
  client: MlflowClient,
  name: string,
): Promise<PromptVersion | undefined> {
  const model = await client.getRegisteredModel(name);
  if (model === undefined) return undefined;
  return latestVersion(client, name);
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
