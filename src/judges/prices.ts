import type { TokenUsage } from '../core/usage.js';
import {
  type CallCost,
  callCost,
  lookupPrice,
  type ModelPrice,
  type PriceConfig,
  priceFromConfig,
} from '../providers/prices.js';
import { listPrice } from '../providers/registry.js';
import type { JudgeProvider } from './model-ref.js';

export { DEFAULT_OPENAI_PRICES } from '../providers/openai.js';
export type { ModelPrice } from '../providers/prices.js';

/** The cost of one call, split as MLflow's `mlflow.llm.cost` span attribute splits it. */
export type JudgeCost = CallCost;

/** `judge.prices` as the eval file writes it. */
export type PriceOverrides = Record<string, PriceConfig>;

/**
 * Turns a judge call's token usage into USD. Lookup order: the eval file's `judge.prices` by model URI
 * (`vllm:/qwen`) or by model name (`gpt-4o-mini`), then the provider kind's list price (OpenAI's and
 * Anthropic's tables; the embedded local model costs nothing). Unknown models have no cost
 * (undefined), never a guess.
 */
export class JudgePrices {
  readonly #overrides: Map<string, ModelPrice>;

  constructor(overrides: PriceOverrides = {}) {
    this.#overrides = new Map(
      Object.entries(overrides).map(([model, price]) => [model, priceFromConfig(price)]),
    );
  }

  /** The price of a model, or undefined when none is known. */
  priceOf(options: { provider: JudgeProvider; model: string; modelUri: string }): ModelPrice | undefined {
    const own = this.#overrides.get(options.modelUri) ?? lookupPrice(this.#overrides, options.model);
    return own ?? listPrice(options.provider, options.model);
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
    return callCost(price, options.usage);
  }
}
