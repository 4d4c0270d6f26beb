import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { sideSpec } from '../../app/compare/compare-runs.js';
import {
  COMPARE_DEFAULTS,
  type Comparison,
  compareRuns,
  DEFAULT_COMPARE_EXPERIMENT,
  DEFAULT_SHOWN_REGRESSIONS,
  defaultCompareOutDir,
  formatComparison,
  LOWER_IS_BETTER,
} from '../../app/compare/index.js';
import { EXIT, exitCodesHelp } from '../../app/exit-codes.js';
import { readEnv } from '../../config/env.js';
import { ConfigError } from '../../core/errors.js';
import { defaultJudgeModel } from '../../judges/create-judge-resolver.js';
import { parseJudgeModelRef } from '../../judges/model-ref.js';
import { reportError } from '../report-error.js';
import { type CommandIo, processIo, scrubbedIo } from './run.js';
import { integer, nonNegativeInt, positiveInt } from './run-options.js';

export interface CompareCliOptions {
  metrics?: string[];
  lowerIsBetter?: string[];
  higherIsBetter?: string[];
  allowDifferentDatasets?: boolean;
  alpha?: number;
  confidence?: number;
  seed?: number;
  resamples?: number;
  showRegressions?: number;
  /** `--fail-if-worse` alone: true (every metric); with names: those metrics. */
  failIfWorse?: boolean | string[];
  json?: boolean;
  out?: string;
  mlflow: boolean;
  trackingUri?: string;
  experiment?: string;
  pairwise?: boolean;
  judge?: string;
  concurrency?: number;
  criteria?: string;
}

/**
 * `judgeflow compare A B` as a plain function: compares B (the candidate) with A (the baseline), prints
 * the table (or the JSON), writes comparison.json and logs a comparison run to MLflow. Exit 0; 1 when
 * `--fail-if-worse` finds B significantly worse; 2 for invalid input (different datasets, a metric on one
 * side, an unknown run); 5 when MLflow cannot be reached.
 */
export async function compareCommand(
  a: string,
  b: string,
  options: CompareCliOptions,
  commandIo: CommandIo,
): Promise<number> {
  const io = scrubbedIo(commandIo);
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const stop = new AbortController();
  const removeInterrupt = io.onInterrupt?.(() => {
    log('\ninterrupted');
    stop.abort();
  });
  try {
    const env = readEnv(io.env, io.cwd);
    if (options.judge !== undefined && options.pairwise !== true)
      throw new ConfigError('--judge names the pairwise judge: give --pairwise too', { field: 'judge' });
    const failNames = Array.isArray(options.failIfWorse) ? options.failIfWorse : [];
    if (options.metrics !== undefined) {
      const missing = failNames.filter((name) => !options.metrics?.includes(name));
      if (missing.length > 0)
        throw new ConfigError(`--fail-if-worse names ${missing.join(', ')}, which --metrics leaves out`, {
          field: 'failIfWorse',
        });
    }
    // A run-id side is read from MLflow even with --no-mlflow (which only stops the comparison run).
    const needsServer =
      options.mlflow ||
      [a, b].some((spec, i) => sideSpec(spec, i === 0 ? 'A' : 'B', io.cwd).kind === 'mlflow');
    let trackingUri: string | undefined;
    if (needsServer) {
      const { resolveTrackingUri } = await import('../../sinks/mlflow/server.js');
      const target = await resolveTrackingUri({
        env,
        home: env.home,
        ...(options.trackingUri !== undefined ? { flag: options.trackingUri } : {}),
        log,
      });
      trackingUri = target?.uri;
    }
    const outDir = path.resolve(io.cwd, options.out ?? defaultCompareOutDir(a, b, io.cwd));
    const judge =
      options.pairwise === true ? (options.judge ?? defaultJudgeModel(undefined, env)) : undefined;
    if (judge !== undefined) parseJudgeModelRef(judge, { baseDir: io.cwd, field: '--judge' });
    const comparison = await compareRuns({
      a,
      b,
      cwd: io.cwd,
      env: io.env,
      ...(trackingUri !== undefined ? { trackingUri } : {}),
      ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
      ...(options.lowerIsBetter !== undefined ? { lowerIsBetter: options.lowerIsBetter } : {}),
      ...(options.higherIsBetter !== undefined ? { higherIsBetter: options.higherIsBetter } : {}),
      allowDifferentDatasets: options.allowDifferentDatasets === true,
      ...(options.alpha !== undefined ? { alpha: options.alpha } : {}),
      ...(options.confidence !== undefined ? { confidence: options.confidence } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.resamples !== undefined ? { resamples: options.resamples } : {}),
      ...(options.mlflow
        ? { mlflow: options.experiment !== undefined ? { experiment: options.experiment } : {} }
        : {}),
      outDir,
      ...(judge !== undefined
        ? {
            pairwise: {
              judge,
              ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
              ...(options.criteria !== undefined ? { criteria: options.criteria } : {}),
            },
          }
        : {}),
      signal: stop.signal,
      log,
    });
    if (options.json === true) io.stdout.write(`${JSON.stringify(comparison, null, 2)}\n`);
    else {
      io.stdout.write(
        `${formatComparison(comparison, { shownRegressions: options.showRegressions ?? DEFAULT_SHOWN_REGRESSIONS })}\n`,
      );
      io.stdout.write(`\ncomparison: ${path.join(outDir, 'comparison.json')}\n`);
      if (comparison.mlflow?.url !== undefined) io.stdout.write(`MLflow run: ${comparison.mlflow.url}\n`);
    }
    if (options.failIfWorse !== undefined && options.failIfWorse !== false) {
      const reasons = worseReasons(comparison, failNames);
      if (reasons.length > 0) {
        for (const reason of reasons) log(`judgeflow: --fail-if-worse: ${reason}`);
        return EXIT.gateFailed;
      }
    }
    return EXIT.ok;
  } catch (error) {
    return reportError(error, io.stderr, { env: io.env, redactor: io.redactor });
  } finally {
    removeInterrupt?.();
  }
}

/**
 * Why `--fail-if-worse` fails: one line per named metric (every metric when none is named) whose verdict
 * is `worse`. A named metric that was not compared is invalid input.
 */
export function worseReasons(comparison: Comparison, names: readonly string[]): string[] {
  const compared = comparison.metrics.map((m) => m.name);
  const unknown = names.filter((name) => !compared.includes(name));
  if (unknown.length > 0)
    throw new ConfigError(
      `--fail-if-worse names ${unknown.join(', ')}, not among the metrics compared (${compared.join(', ')})`,
      { field: 'failIfWorse' },
    );
  const watched =
    names.length > 0 ? comparison.metrics.filter((m) => names.includes(m.name)) : comparison.metrics;
  return watched
    .filter((m) => m.verdict === 'worse')
    .map(
      (m) =>
        `B is significantly worse than A on ${m.name}: ${m.b.mean.toFixed(4)} vs ${m.a.mean.toFixed(4)} ` +
        `(B − A ${m.diff.toFixed(4)}, ${Math.round(comparison.confidence * 100)}% CI [${m.diff_ci[0].toFixed(4)}, ${m.diff_ci[1].toFixed(4)}], ` +
        `Holm p ${m.p_adjusted.toPrecision(3)} < alpha ${comparison.alpha}${m.higher_is_better ? '' : ', lower is better'})`,
    );
}

function nameList(value: string, previous: string[] | undefined): string[] {
  const list = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (list.length === 0) throw new InvalidArgumentError('expected metric names, e.g. exact_match,similarity');
  return [...(previous ?? []), ...list];
}

function probability(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n >= 1)
    throw new InvalidArgumentError('expected a number between 0 and 1');
  return n;
}

export function registerCompareCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('compare')
    .description(
      'compare two evaluation runs of one dataset (B against A): paired tests per metric, Holm-corrected, regressions row by row, logged to MLflow',
    )
    .argument('<a>', 'the baseline: an MLflow run id or a results folder (judgeflow run --out DIR)')
    .argument('<b>', 'the candidate: an MLflow run id or a results folder')
    .option('--metrics <names>', 'only these metrics (comma-separated feedback names)', nameList)
    .option(
      '--lower-is-better <names>',
      `metrics where lower is better (built in: ${Object.keys(LOWER_IS_BETTER).join(', ')})`,
      nameList,
    )
    .option(
      '--higher-is-better <names>',
      'metrics where higher is better despite the built-in list',
      nameList,
    )
    .option(
      '--allow-different-datasets',
      'compare runs of different datasets (rows still paired by id): a warning',
    )
    .option(
      '--alpha <p>',
      `significance level after Holm's correction (default ${COMPARE_DEFAULTS.alpha})`,
      probability,
    )
    .option(
      '--confidence <c>',
      `confidence of the bootstrap and Wilson intervals (default ${COMPARE_DEFAULTS.confidence})`,
      probability,
    )
    .option('--seed <n>', `seed of the bootstrap (default ${COMPARE_DEFAULTS.seed})`, integer)
    .option('--resamples <n>', `bootstrap resamples (default ${COMPARE_DEFAULTS.resamples})`, positiveInt)
    .option(
      '--show-regressions <n>',
      `regressions printed (default ${DEFAULT_SHOWN_REGRESSIONS}; --json and comparison.json hold all)`,
      nonNegativeInt,
    )
    .option(
      '--fail-if-worse [metrics]',
      'exit 1 when B is significantly worse on one of these metrics (comma-separated; every metric when none named)',
      (value: string, previous: string[] | boolean | undefined) =>
        nameList(value, Array.isArray(previous) ? previous : undefined),
    )
    .option('--json', 'print the comparison JSON only')
    .option(
      '--out <dir>',
      'folder for comparison.json (default <a>-vs-<b> beside B, or ./judgeflow-compare/<a>-vs-<b>)',
    )
    .option('--no-mlflow', 'do not log a comparison run (MLflow run ids are still read from the server)')
    .option('--tracking-uri <uri>', 'MLflow server (default MLFLOW_TRACKING_URI, else the local server)')
    .option(
      '--experiment <name>',
      `experiment of the comparison run (default the experiment of B's run, else ${DEFAULT_COMPARE_EXPERIMENT})`,
    )
    .option('--pairwise', "also judge A's and B's outputs side by side (both orders) with an LLM judge")
    .option(
      '--judge <model-uri>',
      'the pairwise judge: local, openai:/gpt-4.1-mini, vllm:/<model>@http://host:8000/v1',
    )
    .option('-c, --concurrency <n>', 'pairwise judge calls in flight (default 4)', positiveInt)
    .option('--criteria <text>', 'what "better" means for the pairwise judge (replaces the default criteria)')
    .addHelpText('after', exitCodesHelp())
    .action(async (a: string, b: string, options: CompareCliOptions) => {
      setExitCode(await compareCommand(a, b, options, processIo()));
    });
}
