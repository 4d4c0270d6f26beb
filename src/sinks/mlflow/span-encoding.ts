import type { Span, SpanEvent } from '../../core/span.js';
import { pythonJsonDumps } from './python-json.js';

/**
 * Span data in the two forms MLflow ingests: OTLP/HTTP JSON for `/v1/traces` (hex ids, typed
 * AnyValues — the server JSON-dumps each attribute value, as Python's own exporter does) and the
 * `traces.json` artifact (`{"spans": [...]}` with base64 ids and JSON-dumped attribute strings, the
 * format of Python's `Span.to_dict`) for servers without OTLP ingest.
 */

/** Epoch ms (fractional) → integer ns as a decimal string, without float overflow. */
export function msToNanos(ms: number): string {
  const whole = Math.floor(ms);
  const fraction = Math.round((ms - whole) * 1_000_000);
  return (BigInt(whole) * 1_000_000n + BigInt(fraction)).toString();
}

/** Every attribute MLflow expects on a span: its type, inputs, outputs, then the span's own. */
export function spanAttributes(span: Span): Record<string, unknown> {
  const attributes: Record<string, unknown> = { 'mlflow.spanType': span.spanType };
  if (span.inputs !== undefined) attributes['mlflow.spanInputs'] = span.inputs;
  if (span.outputs !== undefined) attributes['mlflow.spanOutputs'] = span.outputs;
  for (const [key, value] of Object.entries(span.attributes)) {
    if (value !== undefined) attributes[key] = value;
  }
  return attributes;
}

type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: Array<{ key: string; value: AnyValue }> } }
  | Record<string, never>;

/** A JSON value as an OTLP AnyValue (null → empty AnyValue, which MLflow reads back as None). */
export function anyValue(value: unknown): AnyValue {
  if (value === null || value === undefined) return {};
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'number':
      return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value };
    case 'bigint':
      return { intValue: value.toString() };
    case 'object':
      if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
      return {
        kvlistValue: {
          values: Object.entries(value as Record<string, unknown>)
            .filter(([, v]) => v !== undefined)
            .map(([key, v]) => ({ key, value: anyValue(v) })),
        },
      };
    default:
      return { stringValue: String(value) };
  }
}

const otlpStatus = { UNSET: 0, OK: 1, ERROR: 2 } as const;

function otlpEvent(event: SpanEvent) {
  return {
    name: event.name,
    timeUnixNano: msToNanos(event.timeMs),
    attributes: Object.entries(event.attributes ?? {}).map(([key, value]) => ({
      key,
      value: anyValue(value),
    })),
  };
}

/** One span as an OTLP JSON span of trace `traceIdHex` (32 hex). */
export function otlpSpan(traceIdHex: string, span: Span) {
  return {
    traceId: traceIdHex,
    spanId: span.spanId,
    ...(span.parentId !== null ? { parentSpanId: span.parentId } : {}),
    name: span.name,
    kind: 1,
    startTimeUnixNano: msToNanos(span.startTimeMs),
    endTimeUnixNano: msToNanos(Math.max(span.endTimeMs, span.startTimeMs)),
    attributes: Object.entries(spanAttributes(span)).map(([key, value]) => ({ key, value: anyValue(value) })),
    events: (span.events ?? []).map(otlpEvent),
    status: {
      code: otlpStatus[span.status.code],
      ...(span.status.message !== undefined ? { message: span.status.message } : {}),
    },
  };
}

export type OtlpSpan = ReturnType<typeof otlpSpan>;

/**
 * The `service.name` of judgeflow's OTLP resource. MLflow keeps resource attributes as trace tags, so
 * every trace whose spans went through OTLP carries the tag `service.name=judgeflow`.
 */
export const OTLP_SERVICE_NAME = 'judgeflow';

/** An `ExportTraceServiceRequest` (JSON encoding) carrying the spans of one or more traces. */
export function otlpRequest(spans: readonly OtlpSpan[]) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: OTLP_SERVICE_NAME } }] },
        scopeSpans: [{ scope: { name: 'judgeflow' }, spans }],
      },
    ],
  };
}

const base64Of = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
const statusName = { UNSET: 'STATUS_CODE_UNSET', OK: 'STATUS_CODE_OK', ERROR: 'STATUS_CODE_ERROR' } as const;

/**
 * One trace's spans as Python's `Span.to_dict` writes them (the `traces.json` layout, also the batch
 * writer's span format). Nanosecond times are placeholders: serialize with `jsonWithNanos`.
 */
export function pythonSpanDicts(traceIdHex: string, traceId: string, spans: readonly Span[]) {
  return spans.map((span) => {
    const attributes: Record<string, string> = { 'mlflow.traceRequestId': JSON.stringify(traceId) };
    for (const [key, value] of Object.entries(spanAttributes(span))) {
      attributes[key] = pythonJsonDumps(value, { ensureAscii: false });
    }
    return {
      trace_id: base64Of(traceIdHex),
      span_id: base64Of(span.spanId),
      parent_span_id: span.parentId !== null ? base64Of(span.parentId) : null,
      name: span.name,
      start_time_unix_nano: rawInteger(msToNanos(span.startTimeMs)),
      end_time_unix_nano: rawInteger(msToNanos(Math.max(span.endTimeMs, span.startTimeMs))),
      events: (span.events ?? []).map((event) => ({
        name: event.name,
        time_unix_nano: rawInteger(msToNanos(event.timeMs)),
        attributes: event.attributes ?? {},
      })),
      status: { code: statusName[span.status.code], message: span.status.message ?? '' },
      attributes,
      links: [],
    };
  });
}

export type PythonSpanDict = ReturnType<typeof pythonSpanDicts>[number];

/** JSON text of a value holding `pythonSpanDicts` output, nanosecond times as integer literals. */
export function jsonWithNanos(value: unknown): string {
  // Nanosecond times exceed 2^53: they are written as integer literals, not through a lossy Number.
  return JSON.stringify(value).replace(/"\\u0000ns:(\d+)"/g, '$1');
}

/** The `traces.json` artifact body for one trace (Python's `TraceData.to_dict` layout). */
export function tracesJsonArtifact(traceIdHex: string, traceId: string, spans: readonly Span[]): string {
  return jsonWithNanos({ spans: pythonSpanDicts(traceIdHex, traceId, spans) });
}

function rawInteger(digits: string): string {
  return `\u0000ns:${digits}`;
}
