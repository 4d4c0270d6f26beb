import type { Feedback } from '../../core/feedback.js';
import { isPlainObject } from '../../core/json.js';
import type { ScorerArgs } from '../../core/scorer.js';
import type { Span } from '../../core/span.js';
import { outputsText } from './judge-text.js';

/** The chunks one retrieval returned; one group per top-level RETRIEVER span (or one for the record). */
export interface RetrievedContext {
  /** The RETRIEVER span, when the context came from the trace. */
  spanId?: string;
  /** Where it came from, for rationales: `span <name>` or the record field. */
  origin: string;
  chunks: string[];
}

/** MLflow's document content keys (`_RETRIEVER_DOCUMENT_CONTENT_KEYS`). */
const CONTENT_KEYS = ['page_content', 'content', 'text'] as const;

/**
 * The retrieved context of a row, as MLflow's retrieval judges find it: the outputs of the trace's
 * top-level RETRIEVER spans (those not nested in another RETRIEVER span), each a list of documents
 * (`{page_content | content | text, metadata}`) or strings. Rows with recorded outputs and no trace
 * name their context in a field instead — `outputs.retrieved_context`, `inputs.retrieved_context`,
 * `inputs.context` or `expectations.retrieved_context` (a string, a list of strings, or documents).
 * Empty when there is none.
 */
export function retrievedContext(
  args: Pick<ScorerArgs, 'inputs' | 'outputs' | 'expectations' | 'trace'>,
): RetrievedContext[] {
  const fromSpans = topLevelRetrieverSpans(args.trace.spans)
    .map((span) => ({ spanId: span.spanId, origin: `span ${span.name}`, chunks: chunksOf(span.outputs) }))
    .filter((group) => group.chunks.length > 0);
  if (fromSpans.length > 0) return fromSpans;
  const candidates: Array<[string, unknown]> = [
    ['outputs.retrieved_context', isPlainObject(args.outputs) ? args.outputs.retrieved_context : undefined],
    ['inputs.retrieved_context', args.inputs.retrieved_context],
    ['inputs.context', args.inputs.context],
    ['expectations.retrieved_context', args.expectations.retrieved_context],
  ];
  for (const [origin, value] of candidates) {
    const chunks = chunksOf(value);
    if (chunks.length > 0) return [{ origin, chunks }];
  }
  return [];
}

function topLevelRetrieverSpans(spans: readonly Span[]): Span[] {
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const nested = (span: Span): boolean => {
    const seen = new Set<string>();
    let parentId = span.parentId;
    while (parentId !== null && !seen.has(parentId)) {
      seen.add(parentId);
      const parent = byId.get(parentId);
      if (parent === undefined) return false;
      if (parent.spanType === 'RETRIEVER') return true;
      parentId = parent.parentId;
    }
    return false;
  };
  return spans
    .filter((span) => span.spanType === 'RETRIEVER' && !nested(span))
    .sort((a, b) => a.startTimeMs - b.startTimeMs);
}

function chunksOf(value: unknown): string[] {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed.startsWith('[')) {
      try {
        return chunksOf(JSON.parse(trimmed));
      } catch {
        // Not JSON: the string is the one chunk.
      }
    }
    return trimmed === '' ? [] : [value];
  }
  if (Array.isArray(value))
    return value.map(chunkText).filter((text): text is string => text !== undefined && text !== '');
  const one = chunkText(value);
  return one !== undefined && one !== '' ? [one] : [];
}

function chunkText(chunk: unknown): string | undefined {
  if (typeof chunk === 'string') return chunk;
  if (!isPlainObject(chunk)) return undefined;
  for (const key of CONTENT_KEYS) {
    const content = chunk[key];
    if (typeof content === 'string') return content;
  }
  return undefined;
}

/** Chunks as numbered passages for a prompt. */
export function numberedChunks(chunks: readonly string[]): string {
  return chunks.map((chunk, i) => `[${i + 1}] ${chunk}`).join('\n\n');
}

/** Metadata naming the retrieval a feedback is about. */
export function spanMetadata(group: RetrievedContext): Record<string, string> {
  return group.spanId !== undefined
    ? { 'judgeflow.retrieval.span_id': group.spanId }
    : { 'judgeflow.retrieval.source': group.origin };
}

/** The error feedback for a row with no retrieved context. */
export function missingContext(judge: {
  name: string;
  error(code: string, message: string): Feedback;
}): Feedback {
  return judge.error(
    'MISSING_RETRIEVAL_CONTEXT',
    `scorer "${judge.name}" needs retrieved context: a RETRIEVER span in the trace, or outputs.retrieved_context, inputs.retrieved_context, inputs.context or expectations.retrieved_context`,
  );
}

/** The response for retrieval judges: the outputs without the retrieved context recorded in them. */
export function responseText(outputs: unknown): string {
  if (isPlainObject(outputs) && 'retrieved_context' in outputs) {
    const { retrieved_context: _context, ...rest } = outputs;
    const keys = Object.keys(rest);
    if (keys.length === 1 && typeof rest[keys[0] as string] === 'string')
      return rest[keys[0] as string] as string;
    return outputsText(rest);
  }
  return outputsText(outputs);
}
