import { anthropicKind } from './anthropic.js';
import { localKind } from './local.js';
import { moduleKind } from './module.js';
import { openAiKind } from './openai.js';
import { openAiCompatibleKind, vllmKind } from './openai-compatible.js';
import type { ModelPrice } from './prices.js';
import type { ProviderKind, ProviderName } from './provider.js';

/**
 * Every provider kind, by the name the eval file and model URIs use. A kind named in the config schema
 * (`model.provider`) but missing here — or listed here but not in the schema — fails to compile.
 * Adding a kind: its file, and one line here.
 */
export const providerKinds: Readonly<Record<ProviderName, ProviderKind>> = {
  openai: openAiKind,
  vllm: vllmKind,
  'openai-compatible': openAiCompatibleKind,
  anthropic: anthropicKind,
  local: localKind,
  module: moduleKind,
};

/** A kind's list price of a model, when it publishes one. */
export function listPrice(provider: ProviderName, model: string): ModelPrice | undefined {
  return providerKinds[provider].listPrice?.(model);
}
