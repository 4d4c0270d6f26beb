import type { AgreementLabel } from '../../stats/agreement.js';

/**
 * A feedback value as a label both sides compare equal: booleans and "true"/"false"/"yes"/"no" (any
 * case) become "yes"/"no" — MLflow's own pass/fail words — numbers stay numbers, numeric strings
 * from a CSV become numbers, other strings are trimmed. Undefined for values that are no label (null,
 * objects, lists, empty strings).
 */
export function labelOf(value: unknown): AgreementLabel | undefined {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  const lower = text.toLowerCase();
  if (lower === 'yes' || lower === 'true') return 'yes';
  if (lower === 'no' || lower === 'false') return 'no';
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  return text;
}

/** The most common label; undefined when two labels tie for it (no majority). */
export function majorityLabel(labels: readonly AgreementLabel[]): AgreementLabel | undefined {
  const counts = new Map<string, { label: AgreementLabel; count: number }>();
  for (const label of labels) {
    const key = labelKey(label);
    const entry = counts.get(key);
    if (entry === undefined) counts.set(key, { label, count: 1 });
    else entry.count += 1;
  }
  let best: { label: AgreementLabel; count: number } | undefined;
  let tied = false;
  for (const entry of counts.values()) {
    if (best === undefined || entry.count > best.count) {
      best = entry;
      tied = false;
    } else if (entry.count === best.count) tied = true;
  }
  return tied ? undefined : best?.label;
}

export function labelKey(label: AgreementLabel): string {
  return typeof label === 'string' ? `s:${label}` : `n:${label}`;
}
