/**
 * The scale of a criterion: which human values it accepts and how each is written to MLflow. A scale
 * is inferred from what the run's judges and scorers already wrote under that name, or stated with
 * `--scale name=yes/no|1-5|number|a/b/c|text`.
 */
export type Scale =
  /** Pass/fail: yes/no, true/false, 1/0, pass/fail; written as the judge writes it ("yes"/"no" or a boolean). */
  | { kind: 'pass-fail'; written: 'yes-no' | 'boolean' }
  /** Integers from `min` to `max` (a 1–5 rubric). */
  | { kind: 'rubric'; min: number; max: number }
  /** Any finite number. */
  | { kind: 'number' }
  /** One of a fixed set of labels (e.g. none/resolved/unresolved). */
  | { kind: 'categorical'; values: readonly string[] }
  /** Any text. */
  | { kind: 'text' };

const PASS = new Set(['yes', 'true', '1', 'pass']);
const FAIL = new Set(['no', 'false', '0', 'fail']);

/** What a scale accepts, in words, for a problem report. */
export function describeScale(scale: Scale): string {
  switch (scale.kind) {
    case 'pass-fail':
      return 'a pass/fail value (yes/no, true/false, 1/0, pass/fail)';
    case 'rubric':
      return `an integer from ${scale.min} to ${scale.max}`;
    case 'number':
      return 'a number';
    case 'categorical':
      return `one of ${scale.values.join(', ')}`;
    case 'text':
      return 'a value';
  }
}

/** Parses one `--scale` value: `yes/no` (pass/fail), `1-5` (any integer range), `number`, `text`, or `a/b/c`. */
export function parseScale(text: string): Scale | undefined {
  const spec = text.trim().toLowerCase();
  if (spec === 'yes/no' || spec === 'pass/fail' || spec === 'bool' || spec === 'boolean') {
    return { kind: 'pass-fail', written: spec === 'bool' || spec === 'boolean' ? 'boolean' : 'yes-no' };
  }
  if (spec === 'number' || spec === 'numeric') return { kind: 'number' };
  if (spec === 'text' || spec === 'string') return { kind: 'text' };
  const range = /^(-?\d+)\s*-\s*(-?\d+)$/.exec(spec);
  if (range !== null) {
    const min = Number(range[1]);
    const max = Number(range[2]);
    return min < max ? { kind: 'rubric', min, max } : undefined;
  }
  const values = text
    .split('/')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  return values.length >= 2 ? { kind: 'categorical', values } : undefined;
}

/**
 * The scale the values an automated scorer wrote under one name imply: booleans or yes/no words mean
 * pass/fail; integers from 1 to 5 with one above 1 mean a 1–5 rubric; other numbers a number; a few
 * distinct strings a categorical scale. Undefined when there is nothing to go by.
 */
export function inferScale(values: readonly unknown[]): Scale | undefined {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length === 0) return undefined;
  if (present.every((v) => typeof v === 'boolean')) return { kind: 'pass-fail', written: 'boolean' };
  if (
    present.every((v) => typeof v === 'string' && (PASS.has(v.toLowerCase()) || FAIL.has(v.toLowerCase())))
  ) {
    return { kind: 'pass-fail', written: 'yes-no' };
  }
  if (present.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    const numbers = present as number[];
    const min = Math.min(...numbers);
    const max = Math.max(...numbers);
    if (numbers.every(Number.isInteger) && min >= 1 && max <= 5 && max > 1) {
      return { kind: 'rubric', min: 1, max: 5 };
    }
    return { kind: 'number' };
  }
  if (present.every((v) => typeof v === 'string')) {
    const distinct = [...new Set(present as string[])].sort();
    return distinct.length <= 10 ? { kind: 'categorical', values: distinct } : { kind: 'text' };
  }
  return { kind: 'text' };
}

/** A human value checked against a scale: the value to write, or what was expected instead. */
export type ScaledValue = { ok: true; value: boolean | number | string } | { ok: false; expected: string };

/**
 * Checks one human value (typed, or the text of a CSV cell) against a scale and converts it to what
 * MLflow should hold: pass/fail as the judge writes it, rubric and numbers as numbers. Without a
 * scale, text that reads as a number becomes a number and anything else stays as given.
 */
export function scaleValue(value: boolean | number | string, scale: Scale | undefined): ScaledValue {
  const text = typeof value === 'string' ? value.trim() : String(value);
  if (text === '') return { ok: false, expected: scale !== undefined ? describeScale(scale) : 'a value' };
  if (scale === undefined) {
    if (typeof value !== 'string') return { ok: true, value };
    const number = Number(text);
    return { ok: true, value: Number.isFinite(number) ? number : text };
  }
  switch (scale.kind) {
    case 'pass-fail': {
      const word = text.toLowerCase();
      const pass = PASS.has(word) ? true : FAIL.has(word) ? false : undefined;
      if (pass === undefined) return { ok: false, expected: `${describeScale(scale)}, got '${text}'` };
      return { ok: true, value: scale.written === 'boolean' ? pass : pass ? 'yes' : 'no' };
    }
    case 'rubric': {
      const number = typeof value === 'number' ? value : Number(text);
      if (!Number.isInteger(number) || number < scale.min || number > scale.max) {
        return { ok: false, expected: `${describeScale(scale)}, got '${text}'` };
      }
      return { ok: true, value: number };
    }
    case 'number': {
      const number = typeof value === 'number' ? value : Number(text);
      if (typeof value === 'boolean' || !Number.isFinite(number)) {
        return { ok: false, expected: `${describeScale(scale)}, got '${text}'` };
      }
      return { ok: true, value: number };
    }
    case 'categorical': {
      const match = scale.values.find((v) => v.toLowerCase() === text.toLowerCase());
      if (match === undefined) return { ok: false, expected: `${describeScale(scale)}, got '${text}'` };
      return { ok: true, value: match };
    }
    case 'text':
      return { ok: true, value: typeof value === 'string' ? text : value };
  }
}
