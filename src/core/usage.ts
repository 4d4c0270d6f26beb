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
  /** Estimated cost in USD from the configured price table; 0 when no price is known. */
  costUsd: number;
  /** Number of model-under-test calls. */
  modelCalls: number;
  /** Number of judge calls (including retries that reached the server and repair attempts). */
  judgeCalls: number;
}

export function emptyTokenUsage(): TokenUsage {
  return { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
}

export function emptyUsage(): Usage {
  return { model: emptyTokenUsage(), judge: emptyTokenUsage(), costUsd: 0, modelCalls: 0, judgeCalls: 0 };
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
  into.modelCalls += more.modelCalls;
  into.judgeCalls += more.judgeCalls;
}
