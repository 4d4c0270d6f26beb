import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { ConfigError, DatasetError } from '../../core/errors.js';
import type { Comparison } from './comparison-types.js';

/** One feedback of a row as the report shows it. */
export interface ReportFeedback {
  name: string;
  value: unknown;
  rationale?: string;
  /** Why the scorer could not score the row. */
  error?: string;
}

/** One row of results.jsonl as the report shows it. */
export interface ReportRow {
  id: string;
  index: number;
  inputs: unknown;
  outputs: unknown;
  expectations: unknown;
  /** Why the model call failed, when it did. */
  error?: string;
  feedbacks: ReportFeedback[];
}

/** What summary.json says about the run, as far as the report uses it. */
export interface ReportRunSummary {
  rows?: number;
  failed_rows?: number;
  error_feedbacks?: number;
  status?: string;
  started_at?: string;
  duration_s?: number;
  dataset?: { name?: string; digest?: string; rows?: number };
  gates?: Array<{ gate: string; actual: number | null; passed: boolean; detail?: string }>;
  mlflow?: { tracking_uri?: string; run_id?: string; experiment_id?: string; url?: string };
}

/** A run's results folder, read. */
export interface RunInput {
  kind: 'run';
  dir: string;
  rows: ReportRow[];
  summary: ReportRunSummary | undefined;
}

export interface ComparisonInput {
  kind: 'comparison';
  /** The comparison.json it came from, when it came from a file. */
  file?: string;
  comparison: Comparison;
}

export type ReportInput = RunInput | ComparisonInput;

const feedbackSchema = z.looseObject({
  name: z.string(),
  value: z.unknown(),
  rationale: z.string().nullish(),
  error: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).nullish(),
});

const rowSchema = z.looseObject({
  id: z.string(),
  index: z.number().optional(),
  inputs: z.unknown(),
  outputs: z.unknown(),
  expectations: z.unknown(),
  error: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).nullish(),
  feedbacks: z.array(feedbackSchema).optional(),
});

const summarySchema = z.looseObject({
  rows: z.number().optional(),
  failed_rows: z.number().optional(),
  error_feedbacks: z.number().optional(),
  status: z.string().optional(),
  started_at: z.string().optional(),
  duration_s: z.number().optional(),
  dataset: z
    .looseObject({ name: z.string().optional(), digest: z.string().optional(), rows: z.number().optional() })
    .optional(),
  gates: z
    .array(
      z.looseObject({
        gate: z.string(),
        actual: z.number().nullable(),
        passed: z.boolean(),
        detail: z.string().optional(),
      }),
    )
    .optional(),
  mlflow: z
    .looseObject({
      tracking_uri: z.string().optional(),
      run_id: z.string().optional(),
      experiment_id: z.string().optional(),
      url: z.string().optional(),
    })
    .optional(),
});

const pair = z.tuple([z.number(), z.number()]);
const sideSchema = z.looseObject({
  label: z.string(),
  source: z.enum(['mlflow', 'folder']),
  run_id: z.string().optional(),
  experiment_id: z.string().optional(),
  run_name: z.string().optional(),
  path: z.string().optional(),
  model_id: z.string().optional(),
  dataset: z.looseObject({ name: z.string().optional(), digest: z.string().optional(), rows: z.number() }),
});
const sideMeanSchema = z.looseObject({ mean: z.number(), n: z.number(), pass_rate_ci: pair.optional() });
const metricSchema = z.looseObject({
  name: z.string(),
  kind: z.enum(['pass_fail', 'numeric']),
  higher_is_better: z.boolean(),
  n: z.number(),
  a: sideMeanSchema,
  b: sideMeanSchema,
  diff: z.number(),
  diff_ci: pair,
  test: z.looseObject({
    name: z.enum(['mcnemar_exact', 'mcnemar_chi2', 'wilcoxon']),
    statistic: z.number(),
    p_value: z.number(),
  }),
  p_adjusted: z.number(),
  effect_size: z.looseObject({ name: z.literal('cohens_dz'), value: z.number().nullable() }),
  wins: z.number(),
  losses: z.number(),
  ties: z.number(),
  verdict: z.enum(['better', 'worse', 'no_significant_difference']),
});
const regressionSide = z.looseObject({
  outputs: z.unknown(),
  value: z.unknown(),
  rationale: z.string().optional(),
});
/** A rate that JSON wrote as null when it was NaN (nothing to divide by); NaN again here. */
const rate = z
  .number()
  .nullable()
  .transform((value) => value ?? Number.NaN);
const comparisonSchema = z.looseObject({
  schema: z.literal('judgeflow.comparison/1'),
  created_at: z.string(),
  a: sideSchema,
  b: sideSchema,
  alpha: z.number(),
  confidence: z.number(),
  seed: z.number(),
  resamples: z.number(),
  paired_rows: z.number(),
  only_in_a: z.number(),
  only_in_b: z.number(),
  dataset_override: z.boolean(),
  warnings: z.array(z.string()),
  metrics: z.array(metricSchema),
  regressions: z.array(
    z.looseObject({
      row_id: z.string(),
      metric: z.string(),
      inputs: z.unknown(),
      expectations: z.unknown().optional(),
      a: regressionSide,
      b: regressionSide,
    }),
  ),
  pairwise: z
    .looseObject({
      judge: z.string(),
      pairs: z.number(),
      a_wins: z.number(),
      b_wins: z.number(),
      ties: z.number(),
      inconsistent: z.number(),
      // with no pair judged in both orders the rates are NaN, which JSON writes as null
      errors: z.number().default(0),
      position_consistency: rate,
      first_position_rate: rate.default(Number.NaN),
      b_win_rate: rate,
      b_win_rate_ci: pair,
      sign_test_p_value: z.number(),
      rows: z.array(
        z.looseObject({
          row_id: z.string(),
          verdict: z.enum(['A', 'B', 'tie', 'error']),
          ab: z.enum(['A', 'B', 'tie', 'error']),
          ba: z.enum(['A', 'B', 'tie', 'error']),
          consistent: z.boolean(),
          rationale_ab: z.string().optional(),
          rationale_ba: z.string().optional(),
          error: z.string().optional(),
        }),
      ),
    })
    .optional(),
  rows: z.array(
    z.looseObject({
      row_id: z.string(),
      inputs: z.unknown(),
      a: z.looseObject({ outputs: z.unknown(), values: z.record(z.string(), z.unknown()) }),
      b: z.looseObject({ outputs: z.unknown(), values: z.record(z.string(), z.unknown()) }),
    }),
  ),
  mlflow: z
    .looseObject({ comparison_run_id: z.string(), experiment_id: z.string(), url: z.string().optional() })
    .optional(),
});

/**
 * Checks a parsed comparison.json. The schema checks every field the report reads; the cast afterwards
 * only drops zod's `| undefined` on optional members, which `exactOptionalPropertyTypes` tells apart.
 */
export function parseComparison(value: unknown, file = 'comparison.json'): Comparison {
  const parsed = comparisonSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DatasetError({
      file,
      ...(issue !== undefined && issue.path.length > 0 ? { field: issue.path.join('.') } : {}),
      message: `not a judgeflow comparison: ${issue?.message ?? 'invalid'}`,
    });
  }
  return parsed.data as Comparison;
}

/**
 * Reads what `judgeflow report` is pointed at: a results folder of one run (results.jsonl, and
 * summary.json when there is one), a comparison.json, or a folder holding a comparison.json.
 */
export async function readReportInput(input: string): Promise<ReportInput> {
  if (!existsSync(input)) throw new ConfigError(`report input "${input}" does not exist`);
  if (statSync(input).isDirectory()) {
    if (existsSync(path.join(input, 'results.jsonl'))) return readResultsFolder(input);
    const comparisonFile = path.join(input, 'comparison.json');
    if (existsSync(comparisonFile)) return readComparisonFile(comparisonFile);
    throw new ConfigError(
      `"${input}" holds neither results.jsonl (a run's results folder) nor comparison.json (a comparison)`,
    );
  }
  if (path.basename(input) === 'results.jsonl') return readResultsFolder(path.dirname(input));
  return readComparisonFile(input);
}

export async function readComparisonFile(file: string): Promise<ComparisonInput> {
  const text = await readFile(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DatasetError({ file, message: 'is not JSON', cause: error });
  }
  return { kind: 'comparison', file, comparison: parseComparison(json, file) };
}

/**
 * Reads a run's results folder. Rows come in file order; a row id seen again (a resumed run) keeps its
 * first result, as the run's metrics do. A cut-off last line (a run that died mid-write) is skipped.
 */
export async function readResultsFolder(dir: string): Promise<RunInput> {
  const file = path.join(dir, 'results.jsonl');
  const rows: ReportRow[] = [];
  const seen = new Set<string>();
  const lines = createInterface({
    input: createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let lineNumber = 0;
  let pending: { line: number; error: unknown } | undefined;
  for await (const text of lines) {
    lineNumber += 1;
    if (text.trim() === '') continue;
    if (pending !== undefined) {
      throw new DatasetError({ file, line: pending.line, message: 'is not JSON', cause: pending.error });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      pending = { line: lineNumber, error };
      continue;
    }
    const parsed = rowSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new DatasetError({
        file,
        line: lineNumber,
        ...(issue !== undefined && issue.path.length > 0 ? { field: issue.path.join('.') } : {}),
        message: `not a judgeflow result row: ${issue?.message ?? 'invalid'}`,
      });
    }
    const row = parsed.data;
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    rows.push({
      id: row.id,
      index: row.index ?? rows.length,
      inputs: row.inputs,
      outputs: row.outputs,
      expectations: row.expectations,
      ...(row.error != null ? { error: row.error.message ?? row.error.code ?? 'model call failed' } : {}),
      feedbacks: (row.feedbacks ?? []).map((feedback) => ({
        name: feedback.name,
        value: feedback.value,
        ...(typeof feedback.rationale === 'string' ? { rationale: feedback.rationale } : {}),
        ...(feedback.error != null
          ? { error: feedback.error.message ?? feedback.error.code ?? 'could not score' }
          : {}),
      })),
    });
  }
  const summaryFile = path.join(dir, 'summary.json');
  let summary: ReportRunSummary | undefined;
  if (existsSync(summaryFile)) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(summaryFile, 'utf8'));
    } catch (error) {
      throw new DatasetError({ file: summaryFile, message: 'is not JSON', cause: error });
    }
    const parsed = summarySchema.safeParse(json);
    if (!parsed.success) {
      throw new DatasetError({
        file: summaryFile,
        message: `not a judgeflow summary: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      });
    }
    summary = parsed.data as ReportRunSummary;
  }
  return { kind: 'run', dir, rows, summary };
}
