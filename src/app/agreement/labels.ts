import type { Feedback } from '../../core/feedback.js';

/** A label as agreement compares it: a category (lower case) or a number. */
export type NormalLabel = string | number;

/** Where a set's compared value comes from: the feedback's value, or one of its metadata keys. */
export type LabelSource = { kind: 'value' } | { kind: 'metadata'; key: string };

/**
 * A human label or a judge value as agreement compares them: booleans and `yes`/`no`/`true`/`false`
 * (any case) are the categories `yes` and `no` — so a boolean label agrees with a yes/no judge —
 * numbers and numeric text are numbers, other text is trimmed and lower-cased. Undefined for what
 * cannot be a label (null, an object, empty text, NaN).
 */
export function normalizeLabel(value: unknown): NormalLabel | undefined {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (text === '') return undefined;
  if (text === 'yes' || text === 'true') return 'yes';
  if (text === 'no' || text === 'false') return 'no';
  if (/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/.test(text)) return Number(text);
  return text;
}

/** Two normalised labels are the same label. */
export function sameLabel(a: NormalLabel, b: NormalLabel): boolean {
  return typeof a === typeof b && a === b;
}

/** `value` or `metadata.<key>`, as a set file's `label_of` spells it; undefined when it is neither. */
export function parseLabelSource(text: string): LabelSource | undefined {
  if (text === 'value') return { kind: 'value' };
  const match = /^metadata\.(.+)$/.exec(text);
  return match !== null ? { kind: 'metadata', key: match[1] as string } : undefined;
}

/** The raw value a feedback gives for `label_of` (metadata values are strings; absent: undefined). */
export function judgedValue(feedback: Feedback, source: LabelSource): unknown {
  return source.kind === 'value' ? feedback.value : feedback.metadata?.[source.key];
}
