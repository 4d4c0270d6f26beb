import { randomBytes } from 'node:crypto';
import type { TokenUsage } from './usage.js';

/** MLflow's span types (`mlflow.spanType`). */
export type SpanType =
  | 'LLM'
  | 'CHAT_MODEL'
  | 'CHAIN'
  | 'AGENT'
  | 'TOOL'
  | 'RETRIEVER'
  | 'PARSER'
  | 'EMBEDDING'
  | 'RERANKER'
  | 'MEMORY'
  | 'UNKNOWN'
  | 'EVALUATOR';

export type SpanStatusCode = 'OK' | 'ERROR' | 'UNSET';

/**
 * A span, shaped as MLflow's and OpenTelemetry's are. Times are epoch milliseconds with sub-millisecond
 * precision (a sink converts them as its store needs). Ids are hex: span ids 16 chars; the trace id is
 * assigned by the sink that stores the trace.
 */
export interface Span {
  /** 16 lowercase hex characters. */
  spanId: string;
  /** The parent's span id; null for the row's root span. */
  parentId: string | null;
  name: string;
  spanType: SpanType;
  startTimeMs: number;
  endTimeMs: number;
  /** `mlflow.spanInputs`. */
  inputs?: unknown;
  /** `mlflow.spanOutputs`. */
  outputs?: unknown;
  /**
   * Other attributes, by MLflow key where one exists: `mlflow.llm.model`, `mlflow.llm.provider`,
   * `mlflow.chat.tokenUsage` (`{input_tokens, output_tokens, total_tokens}`), `mlflow.llm.cost`, ...
   */
  attributes: Record<string, unknown>;
  status: { code: SpanStatusCode; message?: string };
  events?: SpanEvent[];
}

export interface SpanEvent {
  name: string;
  timeMs: number;
  attributes?: Record<string, unknown>;
}

/** The spans of one row; the first span with `parentId === null` is the root. */
export interface RowTrace {
  spans: Span[];
}

/**
 * Name of the root span of a row whose outputs were recorded in the dataset (no model call) — the name
 * `mlflow.genai.evaluate()` gives the minimal trace it creates for static data.
 */
export const RECORDED_OUTPUTS_ROOT_SPAN = 'root_span';

/** Name of the root span of a row whose outputs came from the model under test. */
export const PREDICT_ROOT_SPAN = 'predict';

// Span ids come from a pooled random buffer: one getrandom call per 512 ids instead of one per span
// (at thousands of rows a second, per-span crypto calls were a visible share of the driver's CPU).
const ID_POOL_BYTES = 4096;
let idPool = randomBytes(ID_POOL_BYTES);
let idOffset = 0;

export function newSpanId(): string {
  if (idOffset + 8 > ID_POOL_BYTES) {
    idPool = randomBytes(ID_POOL_BYTES);
    idOffset = 0;
  }
  const id = idPool.toString('hex', idOffset, idOffset + 8);
  idOffset += 8;
  return id;
}

/** Wall-clock now in epoch milliseconds with sub-millisecond resolution. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** MLflow's token usage attribute value for a span. */
export function tokenUsageAttribute(usage: TokenUsage): Record<string, number> {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
  };
}

/** A span that is still open. `end()` closes it and records it in its recorder. */
export interface SpanHandle {
  readonly spanId: string;
  setInputs(inputs: unknown): void;
  setOutputs(outputs: unknown): void;
  setAttribute(key: string, value: unknown): void;
  addEvent(name: string, attributes?: Record<string, unknown>): void;
  /** Opens a child span of this one. */
  startChild(options: StartSpanOptions): SpanHandle;
  /** Closes the span; an error marks it ERROR. Calling end twice is a no-op. */
  end(options?: { outputs?: unknown; error?: unknown }): void;
}

export interface StartSpanOptions {
  name: string;
  spanType?: SpanType;
  inputs?: unknown;
  attributes?: Record<string, unknown>;
}

/** Collects the spans of one row. Not shared between rows. */
export class SpanRecorder {
  readonly spans: Span[] = [];

  /** Opens a span under `parentId` (null for the root). */
  start(parentId: string | null, options: StartSpanOptions): SpanHandle {
    const span: Span = {
      spanId: newSpanId(),
      parentId,
      name: options.name,
      spanType: options.spanType ?? 'UNKNOWN',
      startTimeMs: nowMs(),
      endTimeMs: 0,
      attributes: { ...(options.attributes ?? {}) },
      status: { code: 'UNSET' },
    };
    if (options.inputs !== undefined) span.inputs = options.inputs;
    let ended = false;
    const handle: SpanHandle = {
      spanId: span.spanId,
      setInputs: (inputs) => {
        span.inputs = inputs;
      },
      setOutputs: (outputs) => {
        span.outputs = outputs;
      },
      setAttribute: (key, value) => {
        span.attributes[key] = value;
      },
      addEvent: (name, attributes) => {
        const event: SpanEvent = { name, timeMs: nowMs() };
        if (attributes !== undefined) event.attributes = attributes;
        span.events = [...(span.events ?? []), event];
      },
      startChild: (child) => this.start(span.spanId, child),
      end: (endOptions) => {
        if (ended) return;
        ended = true;
        span.endTimeMs = nowMs();
        if (endOptions?.outputs !== undefined) span.outputs = endOptions.outputs;
        if (endOptions?.error !== undefined) {
          const message =
            endOptions.error instanceof Error ? endOptions.error.message : String(endOptions.error);
          span.status = { code: 'ERROR', message };
          span.events = [
            ...(span.events ?? []),
            { name: 'exception', timeMs: span.endTimeMs, attributes: { 'exception.message': message } },
          ];
        } else {
          span.status = { code: 'OK' };
        }
        this.spans.push(span);
      },
    };
    return handle;
  }
}

/** The root span of a row trace, if any. */
export function rootSpan(trace: RowTrace): Span | undefined {
  return trace.spans.find((s) => s.parentId === null);
}

/** Spans of a given type (e.g. RETRIEVER, LLM) in start order. */
export function spansOfType(trace: RowTrace, type: SpanType): Span[] {
  return trace.spans.filter((s) => s.spanType === type).sort((a, b) => a.startTimeMs - b.startTimeMs);
}
