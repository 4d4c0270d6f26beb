import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Env, readEnv } from '../../config/env.js';
import type { ModelRef } from '../../config/schema.js';
import { ConfigError } from '../../core/errors.js';
import type { JudgeClient } from '../../core/judge.js';
import { createJudgeResolver } from '../../judges/create-judge-resolver.js';
import { HttpRuntime, probeEndpoints } from '../../runtime/index.js';
import { MlflowClient } from '../../sinks/mlflow/client.js';
import { judgePairs } from '../pairwise/index.js';
import { analyzeMetrics } from './analyze.js';
import { higherIsBetter } from './metric-kinds.js';
import { logComparisonRun } from './mlflow-log.js';
import { type Pairing, pairSides } from './pairing.js';
import { comparisonRows, findRegressions } from './regressions.js';
import { loadFolderSide } from './side-folder.js';
import { loadMlflowSide } from './side-mlflow.js';
import { type LoadedSide, RUN_ID_PATTERN } from './side-rows.js';
import { COMPARISON_SCHEMA, type Comparison, type PairwiseSummary } from './types.js';

/** Defaults of a comparison's statistics. */
export const COMPARE_DEFAULTS = { alpha: 0.05, confidence: 0.95, seed: 0, resamples: 10_000 } as const;

export interface CompareOptions {
  /** Side A (the baseline) and B (the candidate): an MLflow run id (32 hex digits) or a results folder. */
  a: string;
  b: string;
  /** Relative folders resolve against this; default the working directory. */
  cwd?: string;
  /** The variables judgeflow reads (MLflow auth, judge keys); default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The MLflow server of run-id sides and of the comparison run. */
  trackingUri?: string;
  /** Only these metrics (feedback names); default every metric both sides have. */
  metrics?: readonly string[];
  /** Metrics where lower is better, beyond the built-in list (`LOWER_IS_BETTER`). */
  lowerIsBetter?: readonly string[];
  /** Metrics where higher is better even though the built-in list says lower. */
  higherIsBetter?: readonly string[];
  /** Compare runs of different datasets (by digest): a warning instead of an error. */
  allowDifferentDatasets?: boolean;
  alpha?: number;
  confidence?: number;
  seed?: number;
  resamples?: number;
  /** Log a comparison run to MLflow (needs `trackingUri`); `experiment` defaults to B's run's. */
  mlflow?: { experiment?: string };
  /** Write `comparison.json` into this folder. */
  outDir?: string;
  /** Judge A's and B's outputs pairwise: a judge model URI (`local`, `openai:/gpt-4.1-mini`, ...) or client. */
  pairwise?: { judge: ModelRef | JudgeClient; concurrency?: number; criteria?: string };
  signal?: AbortSignal;
  /** Progress and notices (not the result). */
  log?: (line: string) => void;
}

/**
 * Compares two evaluation runs of the same dataset: pairs their rows by id, analyses every metric both
 * have (paired bootstrap CI of B − A, McNemar or Wilcoxon, Holm over the metrics), lists the rows where
 * B regressed, optionally judges the pairs pairwise, and — as asked — writes comparison.json and logs a
 * comparison run to MLflow (the compared runs are linked by tag and left untouched).
 */
export async function compareRuns(options: CompareOptions): Promise<Comparison> {
  const cwd = options.cwd ?? process.cwd();
  const env = readEnv(options.env ?? process.env, cwd);
  const specs = [sideSpec(options.a, 'A', cwd), sideSpec(options.b, 'B', cwd)] as const;
  const needsServer = specs.some((s) => s.kind === 'mlflow') || options.mlflow !== undefined;
  if (needsServer && options.trackingUri === undefined)
    throw new ConfigError('an MLflow tracking URI is needed to read MLflow runs and to log the comparison');
  const client =
    needsServer && options.trackingUri !== undefined
      ? new MlflowClient({ trackingUri: options.trackingUri, env })
      : undefined;
  try {
    const load = (spec: (typeof specs)[number]) =>
      spec.kind === 'folder' ? loadFolderSide(spec.path) : loadMlflowSide(client as MlflowClient, spec.runId);
    const [a, b] = [await load(specs[0]), await load(specs[1])];
    distinctLabels(a, b);
    const pairing = pairSides(a, b, {
      ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
      allowDifferentDatasets: options.allowDifferentDatasets === true,
    });
    const settings = {
      alpha: options.alpha ?? COMPARE_DEFAULTS.alpha,
      confidence: options.confidence ?? COMPARE_DEFAULTS.confidence,
      seed: options.seed ?? COMPARE_DEFAULTS.seed,
      resamples: options.resamples ?? COMPARE_DEFAULTS.resamples,
    };
    checkSettings(settings);
    const metrics = analyzeMetrics(pairing.metrics, {
      ...settings,
      higherIsBetter: (metric) =>
        higherIsBetter(metric.name, metric.kind, {
          ...(options.lowerIsBetter !== undefined ? { lowerIsBetter: options.lowerIsBetter } : {}),
          ...(options.higherIsBetter !== undefined ? { higherIsBetter: options.higherIsBetter } : {}),
        }),
    });
    const pairwise =
      options.pairwise !== undefined
        ? await runPairwise(pairing, options.pairwise, { env, cwd, seed: settings.seed, options })
        : undefined;
    const comparison: Comparison = {
      schema: COMPARISON_SCHEMA,
      created_at: new Date().toISOString(),
      a: a.side,
      b: b.side,
      ...settings,
      paired_rows: pairing.pairs.length,
      only_in_a: pairing.onlyInA,
      only_in_b: pairing.onlyInB,
      dataset_override: pairing.datasetOverride,
      warnings: pairing.warnings,
      metrics,
      regressions: findRegressions(pairing, metrics),
      ...(pairwise !== undefined ? { pairwise } : {}),
      rows: comparisonRows(
        pairing,
        metrics.map((m) => m.name),
      ),
    };
    // Written before logging, so a failed MLflow write still leaves the comparison on disk.
    if (options.outDir !== undefined) await writeComparison(options.outDir, comparison);
    if (options.mlflow !== undefined && client !== undefined) {
      const linked = (side: LoadedSide) =>
        side.side.run_id !== undefined && side.trackingUri === client.trackingUri
          ? side.side.run_id
          : undefined;
      const linkedA = linked(a);
      const linkedB = linked(b);
      const sideExperimentId =
        linkedB !== undefined
          ? b.side.experiment_id
          : linkedA !== undefined
            ? a.side.experiment_id
            : undefined;
      comparison.mlflow = await logComparisonRun(client, comparison, {
        ...(options.mlflow.experiment !== undefined ? { experiment: options.mlflow.experiment } : {}),
        linkedRunIds: {
          ...(linkedA !== undefined ? { a: linkedA } : {}),
          ...(linkedB !== undefined ? { b: linkedB } : {}),
        },
        ...(sideExperimentId !== undefined ? { sideExperimentId } : {}),
      });
      if (options.outDir !== undefined) await writeComparison(options.outDir, comparison);
    }
    return comparison;
  } finally {
    await client?.close();
  }
}

type SideSpec = { kind: 'folder'; path: string } | { kind: 'mlflow'; runId: string };

/** A folder that exists is a results folder; else 32 hex digits are an MLflow run id. */
export function sideSpec(spec: string, name: 'A' | 'B', cwd: string): SideSpec {
  const folder = path.resolve(cwd, spec);
  if (existsSync(folder) && statSync(folder).isDirectory()) return { kind: 'folder', path: folder };
  if (RUN_ID_PATTERN.test(spec)) return { kind: 'mlflow', runId: spec };
  throw new ConfigError(
    `${name} "${spec}" is neither a results folder (judgeflow run --out DIR) nor an MLflow run id (32 hex digits)`,
    { field: name },
  );
}

/**
 * The default `--out` of `judgeflow compare A B`: `<a>-vs-<b>` beside B when B is a folder, else under
 * ./judgeflow-compare/.
 */
export function defaultCompareOutDir(a: string, b: string, cwd: string): string {
  const name = (spec: string) => path.basename(path.resolve(cwd, spec)).replace(/[^A-Za-z0-9._-]+/g, '_');
  const folder = `${name(a)}-vs-${name(b)}`;
  const bPath = path.resolve(cwd, b);
  if (existsSync(bPath) && statSync(bPath).isDirectory()) return path.join(path.dirname(bPath), folder);
  return path.join(cwd, 'judgeflow-compare', folder);
}

export async function writeComparison(outDir: string, comparison: Comparison): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, 'comparison.json');
  await writeFile(file, `${JSON.stringify(comparison, null, 2)}\n`);
  return file;
}

/** Two sides with one label (two runs named alike) are told apart by run id or parent folder. */
function distinctLabels(a: LoadedSide, b: LoadedSide): void {
  if (a.side.label !== b.side.label) return;
  for (const side of [a, b]) {
    const suffix =
      side.side.source === 'mlflow'
        ? (side.side.run_id ?? '').slice(0, 8)
        : path.basename(path.dirname(side.side.path ?? ''));
    side.side.label = `${side.side.label} (${suffix})`;
  }
}

function checkSettings(settings: {
  alpha: number;
  confidence: number;
  seed: number;
  resamples: number;
}): void {
  if (!(settings.alpha > 0 && settings.alpha < 1))
    throw new ConfigError(`--alpha must be between 0 and 1 (got ${settings.alpha})`, { field: 'alpha' });
  if (!(settings.confidence > 0 && settings.confidence < 1))
    throw new ConfigError(`--confidence must be between 0 and 1 (got ${settings.confidence})`, {
      field: 'confidence',
    });
  if (!Number.isInteger(settings.resamples) || settings.resamples < 1)
    throw new ConfigError(`--resamples must be a positive integer (got ${settings.resamples})`, {
      field: 'resamples',
    });
  if (!Number.isInteger(settings.seed))
    throw new ConfigError(`--seed must be an integer (got ${settings.seed})`, { field: 'seed' });
}

/** The pairwise judge over every paired row with outputs on both sides. */
async function runPairwise(
  pairing: Pairing,
  pairwise: NonNullable<CompareOptions['pairwise']>,
  context: { env: Env; cwd: string; seed: number; options: CompareOptions },
): Promise<PairwiseSummary> {
  const pairs = pairing.pairs.map((pair) => ({
    rowId: pair.id,
    inputs: pair.a.inputs,
    ...(pair.a.expectations !== undefined ? { expectations: pair.a.expectations } : {}),
    outputA: pair.a.outputs,
    outputB: pair.b.outputs,
  }));
  const common = {
    seed: context.seed,
    ...(pairwise.concurrency !== undefined ? { concurrency: pairwise.concurrency } : {}),
    ...(pairwise.criteria !== undefined ? { criteria: pairwise.criteria } : {}),
    ...(context.options.signal !== undefined ? { signal: context.options.signal } : {}),
  };
  if (isJudgeClient(pairwise.judge)) return judgePairs(pairs, { ...common, judge: pairwise.judge });
  const runtime = new HttpRuntime();
  const judges = createJudgeResolver(
    { model: pairwise.judge },
    {
      env: context.env,
      runtime,
      baseDir: context.cwd,
      ...(pairwise.concurrency !== undefined ? { defaultConcurrency: pairwise.concurrency } : {}),
    },
  );
  try {
    const judge = judges.resolve(pairwise.judge, { field: '--judge' });
    await probeEndpoints(
      runtime,
      context.options.signal !== undefined ? { signal: context.options.signal } : {},
    );
    context.options.log?.(`pairwise: judging ${pairs.length} pairs in both orders with ${judge.modelUri}`);
    return await judgePairs(pairs, { ...common, judge });
  } finally {
    await judges.close();
    await runtime.close();
  }
}

function isJudgeClient(judge: ModelRef | JudgeClient): judge is JudgeClient {
  return typeof judge === 'object' && 'complete' in judge && typeof judge.complete === 'function';
}
