import type { TokenUsage } from '../core/usage.js';

/**
 * Prices: the types, the lookup rule and the arithmetic. Each provider kind keeps its own list prices
 * (`listPrice` in its file); the eval file's `prices` override them (`judge.prices` in
 * `src/judges/prices.ts`, `model.prices` in `src/models/`).
 */

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

/** `{input_per_million, output_per_million}` → ModelPrice. */
export function priceFromConfig(price: PriceConfig): ModelPrice {
  return { inputPerMillion: price.input_per_million, outputPerMillion: price.output_per_million };
}

/** A table of list prices → the lookup of a kind's `listPrice`. */
export function listPriceLookup(
  table: Readonly<Record<string, ModelPrice>>,
): (model: string) => ModelPrice | undefined {
  const map = new Map(Object.entries(table));
  return (model) => lookupPrice(map, model);
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

/** USD for one call's usage at a price. */
export function callCost(price: ModelPrice, usage: TokenUsage): CallCost {
  const inputUsd = (usage.inputTokens * price.inputPerMillion) / 1_000_000;
  const outputUsd = (usage.outputTokens * price.outputPerMillion) / 1_000_000;
  return { inputUsd, outputUsd, totalUsd: inputUsd + outputUsd };
}
