import type { TokenUsage } from '../core/usage.js';
import type { JudgeProvider } from './model-ref.js';

/** USD per million tokens. */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

/**
 * OpenAI list prices (USD per million tokens, standard tier) used when the eval file names none. Prices
 * change: `judge.prices` in the eval file overrides any entry, and the cost of a run is an estimate.
 * Dated snapshots (`gpt-4o-mini-2024-07-18`) use the entry of their longest listed prefix.
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

/** The cost of one call, split as MLflow's `mlflow.llm.cost` span attribute splits it. */
export interface JudgeCost {
  inputUsd: number;
  outputUsd: number;
  totalUsd: number;
}

/** `judge.prices` as the eval file writes it. */
export type PriceOverrides = Record<string, { input_per_million: number; output_per_million: number }>;

/**
 * Turns a judge call's token usage into USD. Lookup order: the eval file's `judge.prices` by model URI
 * (`vllm:/qwen`) or by model name (`gpt-4o-mini`), then — for the OpenAI provider only — the built-in
 * table. The embedded local model costs nothing. Unknown models have no cost (undefined), never a guess.
 */
export class JudgePrices {
  readonly #overrides: Map<string, ModelPrice>;

  constructor(overrides: PriceOverrides = {}) {
    this.#overrides = new Map(
      Object.entries(overrides).map(([model, price]) => [
        model,
        { inputPerMillion: price.input_per_million, outputPerMillion: price.output_per_million },
      ]),
    );
  }

  /** The price of a model, or undefined when none is known. */
  priceOf(options: { provider: JudgeProvider; model: string; modelUri: string }): ModelPrice | undefined {
    const own = this.#overrides.get(options.modelUri) ?? lookup(this.#overrides, options.model);
    if (own !== undefined) return own;
    if (options.provider === 'local') return { inputPerMillion: 0, outputPerMillion: 0 };
    if (options.provider === 'openai')
      return lookup(new Map(Object.entries(DEFAULT_OPENAI_PRICES)), options.model);
    return undefined;
  }

  /** USD for one call's usage; undefined when the model has no known price. */
  cost(options: {
    provider: JudgeProvider;
    model: string;
    modelUri: string;
    usage: TokenUsage;
  }): JudgeCost | undefined {
    const price = this.priceOf(options);
    if (price === undefined) return undefined;
    const inputUsd = (options.usage.inputTokens * price.inputPerMillion) / 1_000_000;
    const outputUsd = (options.usage.outputTokens * price.outputPerMillion) / 1_000_000;
    return { inputUsd, outputUsd, totalUsd: inputUsd + outputUsd };
  }
}

/** Exact name, else the longest listed name that the model extends with `-<suffix>` (a dated snapshot). */
function lookup(table: ReadonlyMap<string, ModelPrice>, model: string): ModelPrice | undefined {
  const exact = table.get(model);
  if (exact !== undefined) return exact;
  let best: { key: string; price: ModelPrice } | undefined;
  for (const [key, price] of table) {
    if (model.startsWith(`${key}-`) && (best === undefined || key.length > best.key.length))
      best = { key, price };
  }
  return best?.price;
}
