import { errorFeedback, type Feedback, type FeedbackValue } from '../core/feedback.js';
import { isPlainObject } from '../core/json.js';
import type { Scorer } from '../core/scorer.js';

/**
 * Applies MLflow's scorer return rules to whatever a scorer returned:
 * - bool, finite number or string → one Feedback named after the scorer, source CODE/<scorer name>
 *   (LLM_JUDGE for judge scorers that return bare values);
 * - a Feedback (or partial feedback: `{value, rationale?, error?, metadata?, name?}`) → kept, name and
 *   source defaulting to the scorer's;
 * - a list of those → one feedback each (unnamed primitives in a list share the scorer's name);
 * - null/undefined → no feedback;
 * - anything else → an error feedback (`SCORER_INVALID_RETURN`) naming the scorer.
 */
export function normalizeScore(scorer: Scorer, raw: unknown): Feedback[] {
  if (raw === null || raw === undefined) return [];
  if (Array.isArray(raw)) {
    const out: Feedback[] = [];
    for (const item of raw) {
      const one = normalizeOne(scorer, item);
      if (one === undefined) return [invalid(scorer, item)];
      out.push(one);
    }
    return out;
  }
  const one = normalizeOne(scorer, raw);
  return one === undefined ? [invalid(scorer, raw)] : [one];
}

function defaultSource(scorer: Scorer): Feedback['source'] {
  return { type: scorer.kind === 'llm_judge' ? 'LLM_JUDGE' : 'CODE', id: scorer.name };
}

function normalizeOne(scorer: Scorer, item: unknown): Feedback | undefined {
  if (typeof item === 'boolean' || typeof item === 'string') {
    return { name: scorer.name, value: item, source: defaultSource(scorer) };
  }
  if (typeof item === 'number') {
    if (!Number.isFinite(item)) return undefined;
    return { name: scorer.name, value: item, source: defaultSource(scorer) };
  }
  if (isPlainObject(item) && ('value' in item || 'error' in item)) {
    const feedback: Feedback = {
      name: typeof item.name === 'string' && item.name !== '' ? item.name : scorer.name,
      value: toFeedbackValue(item.value),
      source: isSource(item.source) ? item.source : defaultSource(scorer),
    };
    if (typeof item.rationale === 'string') feedback.rationale = item.rationale;
    if (isPlainObject(item.error)) {
      const code = typeof item.error.code === 'string' ? item.error.code : 'SCORER_ERROR';
      const message =
        typeof item.error.message === 'string' ? item.error.message : 'scorer reported an error';
      feedback.error = { code, message };
      feedback.value = null;
    } else if (feedback.value === null || feedback.value === undefined) {
      return undefined;
    }
    if (isPlainObject(item.metadata)) {
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(item.metadata))
        metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
      feedback.metadata = metadata;
    }
    return feedback;
  }
  return undefined;
}

function isSource(value: unknown): value is Feedback['source'] {
  return (
    isPlainObject(value) &&
    (value.type === 'CODE' || value.type === 'LLM_JUDGE' || value.type === 'HUMAN') &&
    typeof value.id === 'string'
  );
}

function toFeedbackValue(value: unknown): FeedbackValue {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value)) as FeedbackValue;
  } catch {
    return null;
  }
}

function invalid(scorer: Scorer, raw: unknown): Feedback {
  const shown = describe(raw);
  return errorFeedback({
    name: scorer.name,
    source: defaultSource(scorer),
    code: 'SCORER_INVALID_RETURN',
    message: `scorer "${scorer.name}" returned ${shown}; expected a bool, number, string, Feedback, a list of them, or nothing`,
  });
}

function describe(raw: unknown): string {
  if (typeof raw === 'number') return String(raw);
  if (typeof raw === 'function') return 'a function';
  if (Array.isArray(raw)) return 'a list containing an unsupported value';
  if (raw !== null && typeof raw === 'object')
    return `an object (${Object.keys(raw).slice(0, 5).join(', ')})`;
  return typeof raw;
}

/**
 * The error feedback for a scorer that threw: as MLflow records it, the exception's own message (the
 * feedback's name already names the scorer) and its stack.
 */
export function thrownFeedback(scorer: Scorer, error: unknown): Feedback {
  const message = error instanceof Error ? error.message : String(error);
  const stack =
    error instanceof Error && error.stack !== undefined ? error.stack.slice(0, 10_000) : undefined;
  return errorFeedback({
    name: scorer.name,
    source: defaultSource(scorer),
    code: 'SCORER_ERROR',
    message,
    ...(stack !== undefined ? { stack } : {}),
  });
}
