import { ConfigError } from '../../core/errors.js';
import { isNotFound } from '../../sinks/mlflow/client/not-found.js';
import type { MlflowClient } from '../../sinks/mlflow/client.js';
import type { Assessment, TraceInfo } from '../../sinks/mlflow/wire.js';
import type { AgreementLabel } from '../../stats/agreement.js';
import { labelOf } from './labels.js';
import type { CalibrationInput, HumanLabelRecord, JudgeVerdictRecord } from './types.js';

/** Assessment metadata the prompts feature records on every judge assessment. */
export const PROMPT_NAME_KEY = 'judgeflow.prompt.name';
export const PROMPT_VERSION_KEY = 'judgeflow.prompt.version';
/** judge-feedback.ts records every sample's value here when a judge runs with `samples: n`. */
export const SAMPLE_VALUES_KEY = 'judgeflow.judge.sampleValues';

/** The run and its experiment, or a ConfigError naming the server when there is no such run. */
export async function findRun(client: MlflowClient, runId: string): Promise<{ experimentId: string }> {
  try {
    const run = await client.getRun(runId);
    return { experimentId: run.info.experiment_id };
  } catch (error) {
    if (isNotFound(error))
      throw new ConfigError(
        `no MLflow run ${runId} on ${client.trackingUri} (check the run id and --tracking-uri)`,
        {
          cause: error,
        },
      );
    throw error;
  }
}

/** Every trace of the run (its `mlflow.sourceRun` or a link-to-run), with their assessments. */
export async function runTraces(client: MlflowClient, runId: string): Promise<TraceInfo[]> {
  const { experimentId } = await findRun(client, runId);
  const traces: TraceInfo[] = [];
  for await (const info of client.searchAllTraces({
    experimentIds: [experimentId],
    filter: `attributes.run_id = '${runId}'`,
    maxResults: 100,
  }))
    traces.push(info);
  return traces;
}

/**
 * The human labels and judge verdicts of traces' feedback assessments. HUMAN sources are labels
 * (`source_id` the reviewer); LLM_JUDGE (and the legacy AI_JUDGE) and CODE sources are judges.
 * Assessments MLflow marks `valid: false` — overridden by a newer one — are counted per name and left
 * out, with one exception: a judge's verdict that only human labels override is still that judge's
 * verdict. `judgeflow feedback` and the annotation page write a label the way MLflow's
 * `override_feedback` does, which marks the judge's assessment invalid; dropping it would leave nothing
 * to calibrate against the very labels that overrode it. Expectations, error feedback and values that
 * are no label are left out.
 */
export function calibrationInputFromTraces(traces: readonly TraceInfo[]): CalibrationInput {
  const humans: HumanLabelRecord[] = [];
  const judges: JudgeVerdictRecord[] = [];
  const overridden: Record<string, number> = {};
  for (const trace of traces) {
    const assessments = [...(trace.assessments ?? [])].sort(byTime);
    // the ids human labels override, and those another verdict replaced
    const overriddenBy = (human: boolean) =>
      new Set(
        assessments
          .filter((a) => (a.source.source_type === 'HUMAN') === human && a.overrides !== undefined)
          .map((a) => a.overrides as string),
      );
    const overriddenByHuman = overriddenBy(true);
    const replacedByJudge = overriddenBy(false);
    for (const assessment of assessments) {
      if (assessment.feedback === undefined) continue;
      const name = assessment.assessment_name;
      const judgeOverriddenByHuman =
        assessment.source.source_type !== 'HUMAN' &&
        assessment.assessment_id !== undefined &&
        overriddenByHuman.has(assessment.assessment_id) &&
        !replacedByJudge.has(assessment.assessment_id);
      if (assessment.valid === false && !judgeOverriddenByHuman) {
        overridden[name] = (overridden[name] ?? 0) + 1;
        continue;
      }
      const value = labelOf(assessment.feedback.value);
      if (value === undefined) continue;
      const type = assessment.source.source_type;
      if (type === 'HUMAN') {
        humans.push({
          itemId: trace.trace_id,
          name,
          value,
          reviewer: assessment.source.source_id || 'unknown',
        });
      } else if (type === 'LLM_JUDGE' || type === 'AI_JUDGE' || type === 'CODE') {
        judges.push(judgeRecord(trace.trace_id, assessment, value));
      }
    }
  }
  return { humans, judges, overridden };
}

function judgeRecord(itemId: string, assessment: Assessment, value: AgreementLabel): JudgeVerdictRecord {
  const metadata = assessment.metadata ?? {};
  const promptName = metadata[PROMPT_NAME_KEY];
  const promptVersion = metadata[PROMPT_VERSION_KEY];
  const samples = sampleValues(metadata[SAMPLE_VALUES_KEY]);
  return {
    itemId,
    name: assessment.assessment_name,
    judge: assessment.source.source_id || assessment.assessment_name,
    sourceType: assessment.source.source_type === 'CODE' ? 'CODE' : 'LLM_JUDGE',
    value,
    ...(promptName !== undefined && promptVersion !== undefined
      ? { prompt: { name: promptName, version: promptVersion } }
      : {}),
    ...(samples !== undefined ? { samples } : {}),
  };
}

/** The JSON list of sample values, as labels; undefined when absent or not a list. */
export function sampleValues(text: string | undefined): AgreementLabel[] | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const labels = parsed.map(labelOf).filter((v): v is AgreementLabel => v !== undefined);
  return labels.length > 0 ? labels : undefined;
}

/** Oldest first, so that for one reviewer (or judge) on one item the latest one wins. */
function byTime(a: Assessment, b: Assessment): number {
  const time = (x: Assessment) => Date.parse(x.last_update_time ?? x.create_time ?? '') || 0;
  return time(a) - time(b);
}
