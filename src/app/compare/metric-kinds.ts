/** How a metric's values are compared: pass rates (McNemar) or numbers (Wilcoxon). */
export type MetricKind = 'pass_fail' | 'numeric';

/**
 * Built-in feedback names whose value marks a problem, so lower is better — the one list; docs/compare.md
 * shows it. Keyed by the scorer's default feedback name: a scorer renamed in the eval file (`name:`) is
 * not recognised, name it with `--lower-is-better`. `kinds` limits an entry to the value kind where it
 * holds: `latency` is seconds (lower is better), but with `max_s` it is a pass (true = fast enough).
 */
export const LOWER_IS_BETTER: Readonly<Record<string, { kinds: readonly MetricKind[]; why: string }>> = {
  toxicity: { kinds: ['pass_fail'], why: 'LLM judge: true = toxic' },
  bias: { kinds: ['pass_fail'], why: 'LLM judge: true = biased' },
  pii_leakage_judge: { kinds: ['pass_fail'], why: 'LLM judge: true = PII leaked' },
  pii_leakage: { kinds: ['pass_fail'], why: 'code scorer: true = PII found' },
  profanity: { kinds: ['pass_fail'], why: 'code scorer: true = profanity found' },
  latency: { kinds: ['numeric'], why: 'seconds the model call took' },
};

/**
 * A feedback value as a number: true/false and "yes"/"no" (any case) → 1/0, a finite number as is;
 * anything else (a label, an object, null) is undefined — not comparable.
 */
export function numericValue(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (word === 'yes') return 1;
    if (word === 'no') return 0;
  }
  return undefined;
}

/** Whether a value is a pass/fail verdict: a boolean or "yes"/"no". */
function isPassFail(value: unknown): boolean {
  return typeof value === 'boolean' || (typeof value === 'string' && numericValue(value) !== undefined);
}

/** The kind of a metric from its values on both sides, or why it cannot be compared. */
export type KindDetection = { kind: MetricKind } | { problem: string };

/**
 * Booleans and "yes"/"no" → pass_fail; numbers → numeric. Values of another type (a label, an object),
 * a mix of verdicts and numbers, or no value at all make the metric not comparable; the problem says why.
 * Undefined values (error feedbacks) are skipped.
 */
export function detectKind(values: Iterable<unknown>): KindDetection {
  let verdicts = 0;
  let numbers = 0;
  for (const value of values) {
    if (value === undefined) continue;
    if (isPassFail(value)) verdicts += 1;
    else if (numericValue(value) !== undefined) numbers += 1;
    else return { problem: `has a value that is neither pass/fail nor a number: ${excerpt(value)}` };
  }
  if (verdicts > 0 && numbers > 0)
    return { problem: `mixes pass/fail values (${verdicts}) and numbers (${numbers})` };
  if (verdicts > 0) return { kind: 'pass_fail' };
  if (numbers > 0) return { kind: 'numeric' };
  return { problem: 'has no value on any row (every feedback is an error)' };
}

/**
 * Whether higher values are better: an explicit `--higher-is-better` / `--lower-is-better` name wins,
 * then the built-in list (for the kinds it covers), else higher is better.
 */
export function higherIsBetter(
  name: string,
  kind: MetricKind,
  overrides: { lowerIsBetter?: readonly string[]; higherIsBetter?: readonly string[] } = {},
): boolean {
  if (overrides.higherIsBetter?.includes(name) === true) return true;
  if (overrides.lowerIsBetter?.includes(name) === true) return false;
  const builtIn = Object.hasOwn(LOWER_IS_BETTER, name) ? LOWER_IS_BETTER[name] : undefined;
  return !(builtIn?.kinds.includes(kind) ?? false);
}

function excerpt(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
