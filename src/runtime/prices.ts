import type { TokenUsage } from '../core/usage.js';

/** USD per million tokens. */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** The cost of one call, split as MLflow's `mlflow.llm.cost` span attribute splits it. */
export interface CallCost {
  inputUsd: number;
  outputUsd: number;
  totalUsd: number;
}

/** A price as the eval file writes it (`prices:` of `model:` and of `judge:`). */
export interface PriceConfig {
  input_per_million: number;
  output_per_million: number;
}

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

/** `{input_per_million, output_per_million}` → ModelPrice. */
export function priceFromConfig(price: PriceConfig): ModelPrice {
  return { inputPerMillion: price.input_per_million, outputPerMillion: price.output_per_million };
}

/** Exact name, else the longest listed name that the model extends with `-<suffix>` (a dated snapshot). */
export function lookupPrice(table: ReadonlyMap<string, ModelPrice>, model: string): ModelPrice | undefined {
  const exact = table.get(model);
  if (exact !== undefined) return exact;
  let best: { key: string; price: ModelPrice } | undefined;
  for (const [key, price] of table) {
    if (model.startsWith(`${key}-`) && (best === undefined || key.length > best.key.length))
      best = { key, price };
  }
  return best?.price;
}

/** OpenAI's list price of a model, when the table has it. */
export function openAiListPrice(model: string): ModelPrice | undefined {
  return lookupPrice(new Map(Object.entries(DEFAULT_OPENAI_PRICES)), model);
}

/** USD for one call's usage at a price. */
export function callCost(price: ModelPrice, usage: TokenUsage): CallCost {
  const inputUsd = (usage.inputTokens * price.inputPerMillion) / 1_000_000;
  const outputUsd = (usage.outputTokens * price.outputPerMillion) / 1_000_000;
  return { inputUsd, outputUsd, totalUsd: inputUsd + outputUsd };
}
