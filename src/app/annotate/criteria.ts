import { ConfigError } from '../../core/errors.js';
import type { Assessment } from '../../sinks/mlflow/wire.js';

/**
 * How a criterion is answered. `pass_fail` keeps the form the run's judges used, so a human label
 * compares with theirs value for value: `boolean` (true/false, as code scorers answer) or `yes_no`
 * ("yes"/"no", as MLflow's and judgeflow's LLM judges answer). `rubric` is an integer from 1 to 5.
 */
export type CriterionScale =
  | { kind: 'pass_fail'; form: 'boolean' | 'yes_no' }
  | { kind: 'rubric'; min: 1; max: 5 };

export interface Criterion {
  /** The feedback name the judges wrote, which the human label gets too. */
  name: string;
  scale: CriterionScale;
}

/** Whether an assessment is a judge's or scorer's verdict (not a person's, not an expectation). */
export function isJudgeFeedback(assessment: Assessment): boolean {
  return assessment.feedback !== undefined && assessment.source.source_type !== 'HUMAN';
}

/** The scale one feedback value belongs to, or undefined for a value that fits none (a float, free text). */
function scaleOfValue(value: unknown): CriterionScale | undefined {
  if (typeof value === 'boolean') return { kind: 'pass_fail', form: 'boolean' };
  if (typeof value === 'string') {
    const lowered = value.trim().toLowerCase();
    if (lowered === 'yes' || lowered === 'no') return { kind: 'pass_fail', form: 'yes_no' };
    return undefined;
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 5)
    return { kind: 'rubric', min: 1, max: 5 };
  return undefined;
}

function sameScale(a: CriterionScale, b: CriterionScale): boolean {
  if (a.kind === 'pass_fail' && b.kind === 'pass_fail') return a.form === b.form;
  return a.kind === b.kind;
}

/**
 * Every feedback name the judges and scorers wrote on these traces whose values all sit on one
 * pass/fail or 1–5 scale, in first-seen order. A name with a float (a similarity), free text or mixed
 * forms has no scale a person could answer with a key, so it is left out. Errored feedback (no value)
 * says nothing about the scale and is skipped.
 */
export function inferCriteria(assessmentLists: Iterable<readonly Assessment[]>): {
  criteria: Criterion[];
  skipped: string[];
} {
  // undefined: seen, but only errors so far; null: no usable scale
  const scales = new Map<string, CriterionScale | null | undefined>();
  for (const assessments of assessmentLists) {
    for (const assessment of assessments) {
      if (!isJudgeFeedback(assessment)) continue;
      const value = assessment.feedback?.value;
      if (value === undefined || value === null) {
        if (!scales.has(assessment.assessment_name)) scales.set(assessment.assessment_name, undefined);
        continue;
      }
      const seen = scales.get(assessment.assessment_name);
      const scale = scaleOfValue(value);
      if (scale === undefined || seen === null) {
        scales.set(assessment.assessment_name, null);
        continue;
      }
      if (seen === undefined) scales.set(assessment.assessment_name, scale);
      else if (!sameScale(seen, scale)) scales.set(assessment.assessment_name, null);
    }
  }
  const criteria: Criterion[] = [];
  const skipped: string[] = [];
  for (const [name, scale] of scales) {
    if (scale === null || scale === undefined) skipped.push(name);
    else criteria.push({ name, scale });
  }
  return { criteria, skipped };
}

/**
 * The criteria to label: `--criteria a,b` picks from the inferred ones, in the order given, and may
 * name a scale for a criterion no judge could type (`name:pass_fail`, `name:yes_no`, `name:1-5`);
 * without it, every inferred criterion.
 */
export function chooseCriteria(
  inferred: readonly Criterion[],
  requested: readonly string[] | undefined,
): Criterion[] {
  if (requested === undefined || requested.length === 0) {
    if (inferred.length === 0)
      throw new ConfigError(
        "the run's judges and scorers wrote no pass/fail or 1–5 feedback to label: name criteria with --criteria name:pass_fail or name:1-5",
        { field: 'criteria' },
      );
    return [...inferred];
  }
  const chosen: Criterion[] = [];
  for (const entry of requested) {
    const [name = '', scaleText] = splitScale(entry);
    if (chosen.some((c) => c.name === name))
      throw new ConfigError(`--criteria names ${name} twice`, { field: 'criteria' });
    const known = inferred.find((c) => c.name === name);
    if (scaleText !== undefined) {
      chosen.push({ name, scale: parseScale(scaleText, name) });
      continue;
    }
    if (known === undefined)
      throw new ConfigError(
        `--criteria names ${name}, which no judge of the run scored on a pass/fail or 1–5 scale` +
          ` (labellable: ${inferred.map((c) => c.name).join(', ') || 'none'}); give its scale as ${name}:pass_fail or ${name}:1-5`,
        { field: 'criteria' },
      );
    chosen.push(known);
  }
  return chosen;
}

function splitScale(entry: string): [string, string | undefined] {
  const colon = entry.lastIndexOf(':');
  if (colon <= 0) return [entry.trim(), undefined];
  return [entry.slice(0, colon).trim(), entry.slice(colon + 1).trim()];
}

function parseScale(text: string, name: string): CriterionScale {
  switch (text.toLowerCase()) {
    case 'pass_fail':
    case 'bool':
    case 'boolean':
      return { kind: 'pass_fail', form: 'boolean' };
    case 'yes_no':
      return { kind: 'pass_fail', form: 'yes_no' };
    case '1-5':
    case 'rubric':
      return { kind: 'rubric', min: 1, max: 5 };
    default:
      throw new ConfigError(`--criteria ${name}:${text}: unknown scale (pass_fail, yes_no or 1-5)`, {
        field: 'criteria',
      });
  }
}

/**
 * A page's answer as the value written to MLflow, or an error message. Pass/fail takes true/false or
 * "yes"/"no" and writes the judges' form; a rubric takes an integer 1–5.
 */
export function labelValue(
  criterion: Criterion,
  answer: unknown,
): { value: boolean | number | string } | { error: string } {
  if (criterion.scale.kind === 'pass_fail') {
    let pass: boolean | undefined;
    if (typeof answer === 'boolean') pass = answer;
    else if (typeof answer === 'string' && ['yes', 'no'].includes(answer.toLowerCase()))
      pass = answer.toLowerCase() === 'yes';
    if (pass === undefined) return { error: `${criterion.name} is pass/fail: answer yes or no` };
    return { value: criterion.scale.form === 'boolean' ? pass : pass ? 'yes' : 'no' };
  }
  if (typeof answer === 'number' && Number.isInteger(answer) && answer >= 1 && answer <= 5)
    return { value: answer };
  return { error: `${criterion.name} is scored 1–5: answer an integer from 1 to 5` };
}
