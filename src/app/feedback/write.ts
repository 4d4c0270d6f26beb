import { ConfigError } from '../../core/errors.js';
import type { MlflowClient } from '../../sinks/mlflow/client.js';
import { pythonJsonDumps } from '../../sinks/mlflow/python-json.js';
import type { Assessment } from '../../sinks/mlflow/wire.js';
import { isAutomatedFeedback, loadRunTraces, type RunTraces, runCriteria } from './run-traces.js';
import { inferScale, type Scale, scaleValue } from './scale.js';

/** One person's label on one criterion of one trace. */
export interface HumanLabel {
  /** The trace (`tr-…`). */
  traceId: string;
  /** The criterion: the judge's feedback name (e.g. `correctness`). */
  name: string;
  /** The verdict; `yes`/`no` (and true/false, 1/0, pass/fail) for pass/fail criteria. */
  value: boolean | number | string;
  /** Who gave it: the HUMAN source's `source_id`. */
  reviewer: string;
  rationale?: string;
  /** A corrected expected answer, written as an Expectation assessment. */
  expectation?: { name: string; value: unknown };
}

/** What is wrong with one label; nothing is written while any label has one. */
export interface LabelProblem {
  /** Position of the label in the list validated. */
  index: number;
  field: 'trace_id' | 'name' | 'value' | 'reviewer' | 'expected';
  /** What was expected instead, in words. */
  expected: string;
  /** For a repeated (trace, criterion, reviewer): the index of the label that gave it first. */
  duplicateOf?: number;
}

export interface ValidateLabelsOptions {
  /** Scales stated by the caller (`--scale`); they win over the scales inferred from the run. */
  scales?: Readonly<Record<string, Scale>>;
  /** Reject criteria that no judge or scorer of the run wrote and no `scales` entry names. */
  strict?: boolean;
  /** The run's traces when the caller has read them already. */
  run?: RunTraces;
}

/** The scale of each criterion: the caller's, else the one inferred from the run's judges. */
export function criterionScales(
  run: RunTraces,
  scales: Readonly<Record<string, Scale>> = {},
): Map<string, Scale | undefined> {
  const out = runCriteria(run);
  for (const [name, scale] of Object.entries(scales)) out.set(name, scale);
  return out;
}

/**
 * Checks labels against a run without reading MLflow: each trace belongs to the run, each reviewer
 * and criterion is named, each value lies within its criterion's scale, no (trace, criterion,
 * reviewer) appears twice. Returns the labels with values converted to what MLflow will hold.
 */
export function checkLabels(
  run: RunTraces,
  labels: readonly HumanLabel[],
  options: Omit<ValidateLabelsOptions, 'run'> = {},
): { labels: HumanLabel[]; problems: LabelProblem[] } {
  const scales = criterionScales(run, options.scales);
  const problems: LabelProblem[] = [];
  const seen = new Map<string, number>();
  const out = labels.map((label, index) => {
    if (!run.traces.has(label.traceId)) {
      problems.push({
        index,
        field: 'trace_id',
        expected: `a trace of run ${run.runId}, got '${label.traceId}'`,
      });
    }
    if (label.reviewer.trim() === '') {
      problems.push({ index, field: 'reviewer', expected: 'a reviewer id (or --reviewer)' });
    }
    if (label.name.trim() === '') {
      problems.push({ index, field: 'name', expected: 'a criterion name' });
      return label;
    }
    if (options.strict === true && !scales.has(label.name)) {
      const known = [...scales.keys()].sort().join(', ');
      problems.push({
        index,
        field: 'name',
        expected: `a criterion of the run (${known === '' ? 'none' : known}) or one given with --scale, got '${label.name}'`,
      });
    }
    const key = JSON.stringify([label.traceId, label.name, label.reviewer]);
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({
        index,
        field: 'reviewer',
        expected: 'one label per trace, criterion and reviewer',
        duplicateOf: first,
      });
    } else seen.set(key, index);
    const scaled = scaleValue(label.value, scales.get(label.name));
    if (!scaled.ok) {
      problems.push({ index, field: 'value', expected: scaled.expected });
      return label;
    }
    if (label.expectation !== undefined && label.expectation.name.trim() === '') {
      problems.push({ index, field: 'expected', expected: 'an expectation name' });
    }
    return { ...label, value: scaled.value };
  });
  return { labels: out, problems };
}

/** Validates every label first (trace exists in the run, value within the criterion's scale); writes nothing when any is bad. */
export async function validateLabels(
  client: MlflowClient,
  runId: string,
  labels: readonly HumanLabel[],
  options: ValidateLabelsOptions = {},
): Promise<LabelProblem[]> {
  const run = options.run ?? (await loadRunTraces(client, runId));
  return checkLabels(run, labels, options).problems;
}

/** What `writeHumanLabel` did with the feedback. */
export type LabelWrite = 'created' | 'overrode' | 'updated';

/** Python's rule for expectation values: primitives as `value`, dicts and lists as JSON `serialized_value`. */
function expectationBody(value: unknown): NonNullable<Assessment['expectation']> {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return { value };
  return { serialized_value: { serialization_format: 'JSON_FORMAT', value: pythonJsonDumps(value) } };
}

const newest = (a: Assessment, b: Assessment) =>
  (b.last_update_time ?? b.create_time ?? '').localeCompare(a.last_update_time ?? a.create_time ?? '');

/**
 * Writes one label as MLflow's `log_feedback` / `override_feedback` would:
 *
 * - The reviewer has no feedback of this name on the trace yet, and a judge or code scorer does: a
 *   new HUMAN feedback with `overrides` = the judge's assessment id and the judge's `span_id`
 *   (`mlflow.override_feedback`). The server marks the judge's assessment `valid: false`; it stays
 *   on the trace, unchanged otherwise. The judge's valid assessment is preferred; when another
 *   reviewer has overridden it already, this label overrides the same one (it stays invalid).
 * - No automated feedback of this name: a new HUMAN feedback (`mlflow.log_feedback`), no `overrides`.
 * - The reviewer labelled this criterion on this trace before: that assessment is updated in place
 *   (`mlflow.update_assessment`: value and rationale; its id, `overrides` and `valid` stay), so
 *   re-labelling never duplicates.
 *
 * The value is converted to the scale of the criterion on this trace (yes/no or boolean as the judge
 * wrote it). An `expectation` is written as `mlflow.log_expectation` writes it (source HUMAN, the
 * reviewer), or updates that reviewer's expectation of the same name.
 */
export async function writeHumanLabel(
  client: MlflowClient,
  label: HumanLabel,
  options: { scale?: Scale } = {},
): Promise<{ assessmentId: string; action: LabelWrite; expectationId?: string }> {
  const info = await client.getTraceInfo(label.traceId);
  if (info === undefined) {
    throw new ConfigError(`trace ${label.traceId}: no such trace on ${client.trackingUri}`, {
      field: 'trace_id',
    });
  }
  const assessments = info.assessments ?? [];
  const automated = assessments
    .filter((a) => isAutomatedFeedback(a) && a.assessment_name === label.name)
    .sort(newest);
  const scale =
    options.scale ??
    inferScale(automated.filter((a) => a.feedback?.error === undefined).map((a) => a.feedback?.value));
  const scaled = scaleValue(label.value, scale);
  if (!scaled.ok) {
    throw new ConfigError(`${label.name} on ${label.traceId}: expected ${scaled.expected}`, {
      field: 'value',
    });
  }
  const value = scaled.value;
  const source = { source_type: 'HUMAN', source_id: label.reviewer };
  const own = (kind: 'feedback' | 'expectation', name: string) =>
    assessments
      .filter(
        (a) =>
          a.assessment_name === name &&
          a[kind] !== undefined &&
          a.source.source_type === 'HUMAN' &&
          a.source.source_id === label.reviewer,
      )
      .sort(newest)[0];

  let assessmentId: string;
  let action: LabelWrite;
  const previous = own('feedback', label.name);
  if (previous?.assessment_id !== undefined) {
    const updated = await client.updateAssessment(label.traceId, previous.assessment_id, {
      feedback: { value },
      ...(label.rationale !== undefined ? { rationale: label.rationale } : {}),
    });
    assessmentId = updated.assessment_id ?? previous.assessment_id;
    action = 'updated';
  } else {
    const target = automated.find((a) => a.valid !== false) ?? automated[0];
    const now = new Date().toISOString();
    const body: Assessment = {
      assessment_name: label.name,
      source,
      create_time: now,
      last_update_time: now,
      feedback: { value },
      valid: true,
    };
    if (label.rationale !== undefined) body.rationale = label.rationale;
    if (target?.assessment_id !== undefined) {
      body.overrides = target.assessment_id;
      if (target.span_id !== undefined) body.span_id = target.span_id;
    }
    const created = await client.createAssessment(label.traceId, body);
    if (created.assessment_id === undefined) {
      throw new ConfigError(`${label.name} on ${label.traceId}: MLflow returned no assessment id`);
    }
    assessmentId = created.assessment_id;
    action = body.overrides !== undefined ? 'overrode' : 'created';
  }

  if (label.expectation === undefined) return { assessmentId, action };
  const expectation = expectationBody(label.expectation.value);
  const previousExpectation = own('expectation', label.expectation.name);
  if (previousExpectation?.assessment_id !== undefined) {
    await client.updateAssessment(label.traceId, previousExpectation.assessment_id, { expectation });
    return { assessmentId, action, expectationId: previousExpectation.assessment_id };
  }
  const now = new Date().toISOString();
  const created = await client.createAssessment(label.traceId, {
    assessment_name: label.expectation.name,
    source,
    create_time: now,
    last_update_time: now,
    expectation,
  });
  return {
    assessmentId,
    action,
    ...(created.assessment_id !== undefined ? { expectationId: created.assessment_id } : {}),
  };
}
