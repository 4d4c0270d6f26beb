/** Token counts of one or more model calls (MLflow's `mlflow.chat.tokenUsage` shape, camelCased). */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** Usage a row (or a run) consumed, split by who consumed it. */
export interface Usage {
  /** Calls to the model under test. */
  model: TokenUsage;
  /** Calls to LLM judges. */
  judge: TokenUsage;
  /** Estimated cost in USD of every call (model under test + judges); 0 when no price is known. */
  costUsd: number;
  /** The model under test's share of `costUsd` (`model.prices`, or OpenAI's list prices). */
  modelCostUsd: number;
  /** The judges' share of `costUsd` (`judge.prices`, or OpenAI's list prices). */
  judgeCostUsd: number;
  /** Model-under-test requests (first attempts; retries are counted apart). */
  modelCalls: number;
  /** Extra HTTP attempts the runtime made for model-under-test requests (429/5xx/timeouts). */
  modelRetries: number;
  /** Judge requests (first attempts, a repair request included; retries are counted apart). */
  judgeCalls: number;
  /** Extra HTTP attempts the runtime made for judge requests (429/5xx/timeouts). */
  judgeRetries: number;
  /** Judge requests that were a repair attempt after a reply that did not match the verdict schema. */
  judgeRepairs: number;
}

export function emptyTokenUsage(): TokenUsage {
  return { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
}

export function emptyUsage(): Usage {
  return {
    model: emptyTokenUsage(),
    judge: emptyTokenUsage(),
    costUsd: 0,
    modelCostUsd: 0,
    judgeCostUsd: 0,
    modelCalls: 0,
    modelRetries: 0,
    judgeCalls: 0,
    judgeRetries: 0,
    judgeRepairs: 0,
  };
}

export function addTokenUsage(into: TokenUsage, more: TokenUsage): void {
  into.inputTokens += more.inputTokens;
  into.outputTokens += more.outputTokens;
  into.totalTokens += more.totalTokens;
}

export function addUsage(into: Usage, more: Usage): void {
  addTokenUsage(into.model, more.model);
  addTokenUsage(into.judge, more.judge);
  into.costUsd += more.costUsd;
  into.modelCostUsd += more.modelCostUsd;
  into.judgeCostUsd += more.judgeCostUsd;
  into.modelCalls += more.modelCalls;
  into.modelRetries += more.modelRetries;
  into.judgeCalls += more.judgeCalls;
  into.judgeRetries += more.judgeRetries;
  into.judgeRepairs += more.judgeRepairs;
}

/**
 * Counts one request that took `attempts` HTTP attempts: the first is a call, the rest are retries.
 * A request aborted before its first attempt (attempts 0) counts as neither.
 */
export function countAttempts(attempts: number): { calls: number; retries: number } {
  const n = Math.max(0, Math.floor(attempts));
  return { calls: Math.min(1, n), retries: Math.max(0, n - 1) };
}
