import { parseHttpObject, parseHttpUri } from './http-chat.js';
import { openAiChatEndpoint } from './openai-compatible.js';
import { listPriceLookup, type ModelPrice } from './prices.js';
import type { HttpEndpointRef, ProviderKind } from './provider.js';

/**
 * The OpenAI API: `openai:/gpt-4.1-mini`, `{provider: openai, model, base_url?, api_key_env?}`.
 * Variables: `OPENAI_API_KEY` (the key when `api_key_env` is unset), `OPENAI_BASE_URL` (instead of
 * https://api.openai.com/v1). The token cap goes in `max_completion_tokens` (OpenAI deprecated
 * `max_tokens`, and its reasoning models refuse it).
 */

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/**
 * OpenAI list prices (USD per million tokens, standard tier) used when the eval file names none, for the
 * model under test and for judges. Prices change: the eval file's `prices` override any entry, and the
 * cost of a run is an estimate. Dated snapshots (`gpt-4o-mini-2024-07-18`) use the entry of their
 * longest listed prefix.
 */
export const DEFAULT_OPENAI_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-5': { inputPerMillion: 1.25, outputPerMillion: 10 },
  'gpt-5-mini': { inputPerMillion: 0.25, outputPerMillion: 2 },
  'gpt-5-nano': { inputPerMillion: 0.05, outputPerMillion: 0.4 },
  'gpt-4.1': { inputPerMillion: 2, outputPerMillion: 8 },
  'gpt-4.1-mini': { inputPerMillion: 0.4, outputPerMillion: 1.6 },
  'gpt-4.1-nano': { inputPerMillion: 0.1, outputPerMillion: 0.4 },
  'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
  'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  'gpt-4-turbo': { inputPerMillion: 10, outputPerMillion: 30 },
  'gpt-3.5-turbo': { inputPerMillion: 0.5, outputPerMillion: 1.5 },
  o3: { inputPerMillion: 2, outputPerMillion: 8 },
  'o3-mini': { inputPerMillion: 1.1, outputPerMillion: 4.4 },
  'o4-mini': { inputPerMillion: 1.1, outputPerMillion: 4.4 },
};

/** OpenAI's list price of a model, when the table has it. */
export const openAiListPrice: (model: string) => ModelPrice | undefined =
  listPriceLookup(DEFAULT_OPENAI_PRICES);

export const openAiKind: ProviderKind = {
  name: 'openai',
  uriForms: ['openai:/<model>'],
  parseUri: parseHttpUri('openai', 'default'),
  parseObject: parseHttpObject('openai', { baseUrl: 'default', modelHint: 'e.g. gpt-4.1-mini' }),
  defaultKeyVariable: 'OPENAI_API_KEY',
  listPrice: openAiListPrice,
  chat: (ref, context) =>
    openAiChatEndpoint(ref as HttpEndpointRef, context, {
      publicBaseUrl: OPENAI_BASE_URL,
      baseUrlVariable: 'OPENAI_BASE_URL',
      keyVariable: 'OPENAI_API_KEY',
      tokenLimitField: 'max_completion_tokens',
    }),
};
