import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RowResult, RunSummary } from '../../core/result.js';
import type { RunStartInfo, Sink, SinkReport } from '../../core/sink.js';
import { cohenKappa, type KappaWeights, percentAgreement } from '../../stats/agreement.js';
import { judgedValue, type NormalLabel, normalizeLabel, sameLabel } from './labels.js';
import type { AgreementCase, AgreementSet } from './set-file.js';

/** The run artifact with every case's label, the judge's value and whether they agree. */
export const AGREEMENT_TABLE = 'agreement_cases.json';

/** One case as the report and the table show it. */
export interface CaseOutcome {
  id: string;
  /** The human label as written. */
  label: unknown;
  /** The judge's value (or the `label_of` metadata value); null when it could not score. */
  judgeValue: unknown;
  /** Null when the judge could not score the case. */
  agree: boolean | null;
  borderline: boolean;
  rationale: string | null;
  /** `CODE: message` when the judge could not score the case. */
  error: string | null;
  note: string | null;
}

/** Agreement of one judge with one labelled set. */
export interface AgreementReport {
  metric: string;
  /** The feedback compared. */
  feedback: string;
  /** Cases scored and counted in accuracy and kappa: the clear ones, or all with `includeBorderline`. */
  n: number;
  /** Share of the `n` cases where the judge agrees with the label; NaN when n = 0. */
  accuracy: number;
  /** Cohen's kappa over the same cases; NaN when undefined (one label throughout, or n = 0). */
  kappa: number;
  kappaWeights: KappaWeights;
  includeBorderline: boolean;
  /** Cases the judge could not score (error feedback, no feedback, or a value that is no label). */
  errors: number;
  /** The borderline cases scored, and the share of them the judge agrees on (NaN for none). */
  borderline: { n: number; accuracy: number };
  cases: CaseOutcome[];
}

export interface AgreementOptions {
  /** Count borderline cases in accuracy and kappa too (default: clear cases only). */
  includeBorderline?: boolean;
  /** Weights for an ordinal (integer) set; default quadratic. Nominal sets always use none. */
  weights?: KappaWeights;
}

/**
 * The agreement of the judge's feedback named `feedback` with the human labels of `cases`, from the
 * run's row results by case id. Cases without a result (not run: an interrupted run) are left out.
 */
export function agreementReport(
  set: Pick<AgreementSet, 'metric' | 'labelOf' | 'ordinal'>,
  cases: readonly AgreementCase[],
  feedback: string,
  results: ReadonlyMap<string, RowResult>,
  options: AgreementOptions = {},
): AgreementReport {
  const includeBorderline = options.includeBorderline === true;
  const outcomes: CaseOutcome[] = [];
  const counted: Array<{ human: NormalLabel; judge: NormalLabel }> = [];
  const borderline: boolean[] = [];
  let errors = 0;
  for (const c of cases) {
    const result = results.get(c.id);
    if (result === undefined) continue;
    const judged = judgeOf(result, feedback, set.labelOf);
    const base = {
      id: c.id,
      label: c.label,
      borderline: c.borderline,
      note: c.note ?? null,
      rationale: judged.rationale,
    };
    if ('error' in judged) {
      errors++;
      outcomes.push({ ...base, judgeValue: judged.raw ?? null, agree: null, error: judged.error });
      continue;
    }
    const agree = sameLabel(judged.label, c.normalLabel);
    outcomes.push({ ...base, judgeValue: judged.raw, agree, error: null });
    if (c.borderline) borderline.push(agree);
    if (!c.borderline || includeBorderline) counted.push({ human: c.normalLabel, judge: judged.label });
  }
  const humans = counted.map((p) => p.human);
  const judges = counted.map((p) => p.judge);
  const kappaWeights: KappaWeights = set.ordinal ? (options.weights ?? 'quadratic') : 'none';
  const labels = set.ordinal ? integerRange([...humans, ...judges]) : undefined;
  return {
    metric: set.metric,
    feedback,
    n: counted.length,
    accuracy: percentAgreement(humans, judges),
    kappa:
      counted.length === 0
        ? Number.NaN
        : cohenKappa(humans, judges, { weights: kappaWeights, ...(labels !== undefined ? { labels } : {}) }),
    kappaWeights,
    includeBorderline,
    errors,
    borderline: {
      n: borderline.length,
      accuracy: borderline.length === 0 ? Number.NaN : borderline.filter(Boolean).length / borderline.length,
    },
    cases: outcomes,
  };
}

/** The run metrics of a report (undefined values — NaN — are left out: MLflow has no "undefined"). */
export function agreementMetrics(report: AgreementReport): Record<string, number> {
  const metrics: Record<string, number> = {
    'agreement/accuracy': report.accuracy,
    'agreement/cohen_kappa': report.kappa,
    'agreement/n': report.n,
    'agreement/errors': report.errors,
    'agreement/borderline_accuracy': report.borderline.accuracy,
    'agreement/borderline_n': report.borderline.n,
  };
  return Object.fromEntries(Object.entries(metrics).filter(([, value]) => Number.isFinite(value)));
}

/** The cases as a table in `mlflow.log_table`'s layout (pandas' `orient="split"`). */
export function agreementTable(report: AgreementReport): { columns: string[]; data: unknown[][] } {
  return {
    columns: ['id', 'label', 'judge_value', 'agree', 'borderline', 'rationale', 'error', 'note'],
    data: report.cases.map((c) => [
      c.id,
      c.label,
      c.judgeValue,
      c.agree,
      c.borderline,
      c.rationale,
      c.error,
      c.note,
    ]),
  };
}

/**
 * A sink that collects each case's result and, when the run ends, writes `agreement_cases.json` to the
 * output folder and patches the agreement metrics into the summary. It goes before the MLflow sink
 * (`EvaluateExtras.derivedSinks`), so both reach the MLflow run.
 */
export function createAgreementSink(options: {
  set: Pick<AgreementSet, 'metric' | 'labelOf' | 'ordinal'>;
  cases: readonly AgreementCase[];
  feedback: string;
  agreement: AgreementOptions;
}): Sink & { report(): AgreementReport | undefined } {
  const results = new Map<string, RowResult>();
  let outDir: string | undefined;
  let report: AgreementReport | undefined;
  return {
    name: 'agreement',
    async start(info: RunStartInfo): Promise<void> {
      outDir = info.outDir;
    },
    write(result: RowResult): void {
      if (!results.has(result.id)) results.set(result.id, result);
    },
    async finish(summary: RunSummary): Promise<SinkReport> {
      report = agreementReport(options.set, options.cases, options.feedback, results, options.agreement);
      if (outDir !== undefined)
        await writeFile(path.join(outDir, AGREEMENT_TABLE), `${JSON.stringify(agreementTable(report))}\n`);
      return { summaryPatch: { metrics: { ...summary.metrics, ...agreementMetrics(report) } } };
    },
    report: () => report,
  };
}

type Judged =
  | { label: NormalLabel; raw: unknown; rationale: string | null }
  | { error: string; raw?: unknown; rationale: string | null };

function judgeOf(result: RowResult, feedback: string, labelOf: AgreementSet['labelOf']): Judged {
  if (result.error !== undefined)
    return { error: `${result.error.code}: ${result.error.message}`, rationale: null };
  const found = result.feedbacks.find((f) => f.name === feedback);
  if (found === undefined)
    return { error: `NO_FEEDBACK: the scorer gave no "${feedback}" feedback`, rationale: null };
  const rationale = found.rationale ?? null;
  if (found.error !== undefined) return { error: `${found.error.code}: ${found.error.message}`, rationale };
  const raw = judgedValue(found, labelOf);
  const label = normalizeLabel(raw);
  if (label === undefined) {
    const what = labelOf.kind === 'value' ? 'value' : `metadata "${labelOf.key}"`;
    return {
      error: `NOT_A_LABEL: the feedback's ${what} ${raw === undefined ? 'is missing' : `${JSON.stringify(raw)} is not a label`}`,
      raw,
      rationale,
    };
  }
  return { label, raw, rationale };
}

/** The integers from the smallest to the largest label (weighted kappa measures distance on it). */
function integerRange(values: readonly NormalLabel[]): number[] | undefined {
  if (values.length === 0 || !values.every((v) => typeof v === 'number' && Number.isInteger(v)))
    return undefined;
  const numbers = values as number[];
  const low = Math.min(...numbers);
  const high = Math.max(...numbers);
  if (high - low > 1000) return undefined;
  return Array.from({ length: high - low + 1 }, (_, i) => low + i);
}
