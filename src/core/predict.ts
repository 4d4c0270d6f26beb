import type { SpanHandle, StartSpanOptions } from './span.js';
import type { Usage } from './usage.js';

/**
 * Given to a predict function for each row: cancellation, a way to record child spans
 * (retriever, tool, LLM calls) under the row's root span, and the row's usage counters.
 */
export interface PredictContext {
  readonly signal: AbortSignal;
  readonly rowId: string;
  /** Opens a child span of the row's predict span. End it with `handle.end()`. */
  startSpan(options: StartSpanOptions): SpanHandle;
  /** The row's usage; a predict function that knows its token usage may add to `usage.model`. */
  readonly usage: Usage;
}

/** The model under test as a function: inputs in, outputs out. May be sync or async. */
export type PredictFn = (inputs: Record<string, unknown>, context: PredictContext) => unknown;
