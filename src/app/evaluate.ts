import path from 'node:path';
import { readEnv } from '../config/env.js';
import type { JudgeConfig, ModelConfig, ScorerEntry } from '../config/schema.js';
import { redactorFor } from '../config/secrets.js';
import { ConfigError } from '../core/errors.js';
import type { RunEvent } from '../core/events.js';
import type { Executor } from '../core/executor.js';
import type { PredictFn } from '../core/predict.js';
import type { RecordInput } from '../core/record.js';
import type { RunSummary } from '../core/result.js';
import type { Scorer } from '../core/scorer.js';
import type { Sink } from '../core/sink.js';
import { type DatasetSource, datasetInfo, readDataset, scanDataset } from '../datasets/index.js';
import { createLocalExecutor } from '../executors/local.js';
import type { RayClusterInfo } from '../executors/ray/index.js';
import { defaultJudgeModel } from '../judges/index.js';
import { fromFunction } from '../models/index.js';
import { type MetricsOptions, serveRunMetrics } from '../observability/run-metrics-server.js';
import { buildPipeline, type PipelinePlan } from '../runner/build.js';
import { type Gate, parseGate } from '../runner/gates.js';
import { runEvaluation } from '../runner/run-evaluation.js';
import { HttpRuntime, probeEndpoints } from '../runtime/index.js';
import { MlflowClient } from '../sinks/mlflow/client.js';
import type { MlflowRunSection } from '../sinks/mlflow/summary-section.js';
import { parseTracePolicy } from '../sinks/mlflow/trace-policy.js';
import { modelUnderTestName } from './models-under-test.js';
import { resolveOutDir } from './run-eval-file.js';
import { checkUserSinks, runSinks } from './sinks.js';

export interface EvaluateOptions {
  /** Records (`{inputs, outputs?, expectations?, tags?, id?}`), a dataset file path, or a dataset source. */
  data: readonly RecordInput[] | string | DatasetSource;
  /** The model under test as a function; omit when records carry outputs. */
  predictFn?: PredictFn;
  /** Or the model under test as configuration (`{provider: 'openai-compatible', ...}`). */
  model?: ModelConfig;
  /**
   * The model under test as an MLflow LoggedModel, found by name and a hash of `config` (else created):
   * it links the run's dataset input, every trace and the run's metrics, as
   * `mlflow.genai.evaluate(model_id=…)` records them. Default with `model`: the name `judgeflow run`
   * gives it (its `name`, else derived from provider and model) and the config itself; with
   * `predictFn`: none unless given — name your function's version here (`config`: whatever
   * distinguishes one version from another, e.g. `{system_prompt, temperature}`).
   */
  loggedModel?: { name: string; config?: Record<string, unknown> };
  /** Scorer objects (`exactMatch()`, `Correctness()`, `scorer(fn)`) or eval-file entries (`'exact_match'`). */
  scorers: ReadonlyArray<Scorer | ScorerEntry>;
  /** Default judge for LLM scorers. */
  judge?: JudgeConfig;
  /** Rows in flight (default 16). */
  concurrency?: number;
  /** Output folder (default `./judgeflow-runs/<timestamp>`). */
  outDir?: string;
  experiment?: string;
  runName?: string;
  /**
   * MLflow logging: `true` or `{trackingUri}` logs the run; `false` writes files only. Default: log
   * when `MLFLOW_TRACKING_URI` is set, else files only (the library never starts servers by itself).
   * `traces`: which rows get a trace — `all` (default), `failed`, `sample:<fraction>` (every row is
   * in the run's results table either way). `batchWriter: 'off'` writes through the REST path even
   * to a server with judgeflow's batch writer.
   */
  mlflow?: boolean | { trackingUri?: string; traces?: string; batchWriter?: 'auto' | 'off' };
  /**
   * Your own sinks (`Sink`: `name`, `start`, `write`, `finish`, optional `progress`), added after the
   * built-in ones — results.jsonl, then MLflow when the run logs there — not replacing them: the
   * built-in files are the run's record (`result.summary`, `judgeflow mlflow sync` and the MLflow
   * artifacts read them), and MLflow is turned off with `mlflow: false`. Each sink gets every row's
   * result and, in `finish`, the summary with the `mlflow` section when there is one. A sink that
   * fails is treated as a built-in one is: `start` throwing ends the run before any row, `write`
   * throwing is a warning, `finish` throwing rejects `evaluate()` after every other sink finished and
   * summary.json was written.
   */
  sinks?: readonly Sink[];
  limit?: number;
  sample?: number;
  seed?: number;
  /** Quality gates, e.g. `['exact_match/mean=0.8']`; the result says whether they passed. */
  failUnder?: string[];
  /**
   * Scorers that may end without a single value (every feedback an error) while `gatesPassed` stays
   * true: `true` for all, or their names. By default such a scorer fails the gates.
   */
  allowNoValues?: boolean | string[];
  /** Stops dispatching new rows (rows in flight finish). */
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  /** Environment to read (API keys, MLflow settings); default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Where module paths (model, scorers) resolve; shipped to Ray workers. Default: the working directory. */
  baseDir?: string;
  /**
   * Run the rows on a Ray cluster: `address` (default `RAY_ADDRESS`, else this machine's cluster, else a
   * local head started for this run and stopped after it), `workers` (2) × `workerConcurrency` (16) rows
   * in flight. Code travels by name: scorers must be eval-file entries and the model a `model` config
   * (a `module` provider for your own code), not closures.
   */
  ray?: { address?: string; workers?: number; workerConcurrency?: number; python?: string };
  /** Where diagnostics go (the Ray cluster's dashboard, ...); default stderr. */
  log?: (line: string) => void;
  /**
   * Serve Prometheus `/metrics` for the run: `port` (0 picks a free one; default
   * `JUDGEFLOW_METRICS_PORT`, else no server), `host` (127.0.0.1), `lingerSeconds` after the run.
   */
  metrics?: MetricsOptions;
}

export interface EvaluateResult {
  summary: RunSummary;
  /** `summary.metrics`: `{"<name>/<agg>": value}`. */
  metrics: Record<string, number>;
  outDir: string;
  resultsPath: string;
  summaryPath: string;
  mlflow?: MlflowRunSection;
  gatesPassed: boolean;
  pendingWrites: number;
  /** The Ray cluster the rows ran on (its dashboard), when `ray` was given. */
  ray?: RayClusterInfo;
}

/**
 * What judgeflow's own commands add to a library run (`judgeflow agreement`); not part of `evaluate()`'s
 * public options.
 */
export interface EvaluateExtras {
  /**
   * Sinks that compute over the whole run, called after results.jsonl and before MLflow: the metrics
   * they patch into the summary (`SinkReport.summaryPatch`) reach the MLflow run and summary.json.
   */
  derivedSinks?: readonly Sink[];
  /** More MLflow run tags. */
  mlflowTags?: Record<string, string>;
  /** Files of the output folder (written by a derived sink) to log as table artifacts of the MLflow run. */
  mlflowTables?: readonly string[];
  /**
   * The dataset as the run input names it, instead of what the rows give: `judgeflow bench` records
   * outputs in its rows, yet two models' runs of one benchmark are runs of the same dataset, so its
   * digest covers the tasks' documents only.
   */
  dataset?: { digest?: string; sourceType?: string; source?: Record<string, unknown> };
}

/**
 * Evaluates a dataset like `mlflow.genai.evaluate()`: every row through the model under test (unless it
 * has outputs), every scorer on every row, aggregate metrics, results in files (and MLflow).
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  return evaluateWith(options, {});
}

/** `evaluate()` with what judgeflow's own commands add (see `EvaluateExtras`). */
export async function evaluateWith(
  options: EvaluateOptions,
  extras: EvaluateExtras,
): Promise<EvaluateResult> {
  const env = readEnv(options.env ?? process.env);
  const cwd = process.cwd();
  const source: DatasetSource =
    typeof options.data === 'string'
      ? { kind: 'file', path: path.resolve(cwd, options.data) }
      : Array.isArray(options.data)
        ? { kind: 'records', records: options.data, source: '<evaluate data>' }
        : (options.data as DatasetSource);
  if (options.predictFn !== undefined && options.model !== undefined) {
    throw new ConfigError('evaluate(): give either predictFn or model, not both', { field: 'predictFn' });
  }
  const scan = await scanDataset(source, {
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.sample !== undefined ? { sample: { size: options.sample, seed: options.seed ?? 0 } } : {}),
  });
  if (options.predictFn === undefined && options.model === undefined && scan.rowsWithoutOutputs > 0) {
    throw new ConfigError(
      `${scan.rowsWithoutOutputs} of ${scan.rows} rows have no outputs and no predictFn or model was given`,
      { field: 'predictFn' },
    );
  }
  const gates: Gate[] = (options.failUnder ?? []).map(parseGate);
  const userSinks = checkUserSinks(options.sinks ?? []);
  const scorerObjects = options.scorers.filter((s): s is Scorer => typeof s === 'object' && 'score' in s);
  const scorerEntries = options.scorers.filter(
    (s): s is ScorerEntry => !(typeof s === 'object' && 'score' in s),
  );
  if (options.ray !== undefined && (scorerObjects.length > 0 || options.predictFn !== undefined)) {
    throw new ConfigError(
      'evaluate({ray}): functions cannot travel to Ray workers; name scorers as eval-file entries (e.g. {type: "module", path, export}) and the model as a config (provider: module for your own predict function)',
      { field: scorerObjects.length > 0 ? 'scorers' : 'predictFn' },
    );
  }
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const baseDir = path.resolve(cwd, options.baseDir ?? '.');
  const workers = options.ray?.workers ?? 2;
  const workerConcurrency = options.ray?.workerConcurrency ?? 16;
  const plan: PipelinePlan = {
    baseDir,
    scorers: scorerEntries,
    concurrency: options.ray !== undefined ? workerConcurrency : (options.concurrency ?? 16),
    ...(options.model !== undefined ? { model: options.model } : {}),
    ...(options.judge !== undefined ? { judge: options.judge } : {}),
  };
  if (options.ray !== undefined)
    plan.judge = { ...(plan.judge ?? {}), model: defaultJudgeModel(plan.judge, env) };
  // Every model and judge endpoint the run calls is made while building; they are probed before row 1.
  const runtime = new HttpRuntime();
  // Built here in any case: module files are loaded and judge references checked before the first row.
  const pipeline = await buildPipeline(plan, {
    env,
    runtime,
    extraScorers: scorerObjects,
    ...(options.predictFn !== undefined ? { model: fromFunction(options.predictFn) } : {}),
  });
  const runName = options.runName ?? `evaluate-${new Date().toISOString().slice(0, 19)}`;
  let cluster: RayClusterInfo | undefined;
  let executor: Executor;
  if (options.ray !== undefined) {
    const { createRayExecutor } = await import('../executors/ray/index.js');
    executor = createRayExecutor({
      plan,
      env,
      home: env.home,
      runName,
      workers,
      workerConcurrency,
      requiredEnv: pipeline.keyVariables ?? [],
      log,
      ...(options.ray.address !== undefined ? { address: options.ray.address } : {}),
      ...(options.ray.python !== undefined ? { python: options.ray.python } : {}),
      onConnected: (info) => {
        cluster = info;
        if (info.startedLocal)
          log(
            `judgeflow: started a local Ray head for this run (${info.address}); it stops when the run ends`,
          );
        if (info.dashboardUrl !== '') {
          const token = info.authTokenPath !== undefined ? ` (its token: ${info.authTokenPath})` : '';
          log(`judgeflow: Ray dashboard: ${info.dashboardUrl}${token}`);
        }
      },
    });
  } else {
    executor = createLocalExecutor({ pipeline, concurrency: options.concurrency ?? 16 });
  }
  let client: MlflowClient | undefined;
  let served: Awaited<ReturnType<typeof serveRunMetrics>>;
  try {
    const outDir = resolveOutDir(cwd, options.outDir);
    const trackingUri =
      options.mlflow === false
        ? undefined
        : typeof options.mlflow === 'object'
          ? (options.mlflow.trackingUri ?? env.mlflowTrackingUri)
          : env.mlflowTrackingUri;
    if (options.mlflow !== undefined && options.mlflow !== false && trackingUri === undefined) {
      throw new ConfigError('evaluate({mlflow}) needs MLFLOW_TRACKING_URI or {mlflow: {trackingUri}}', {
        field: 'mlflow',
      });
    }
    const traces =
      typeof options.mlflow === 'object' && options.mlflow.traces !== undefined
        ? parseTracePolicy(options.mlflow.traces, { field: 'mlflow.traces' })
        : undefined;
    // The cluster is reached and its workers started before anything is written.
    await executor.prepare?.(options.signal !== undefined ? { signal: options.signal } : {});
    // An unreachable model or judge server ends the run before anything is written (exit 5).
    if (options.ray === undefined)
      await probeEndpoints(runtime, options.signal !== undefined ? { signal: options.signal } : {});
    client = trackingUri !== undefined ? new MlflowClient({ trackingUri, env }) : undefined;
    const loggedModel =
      options.loggedModel !== undefined
        ? { name: options.loggedModel.name, config: { ...(options.loggedModel.config ?? {}) } }
        : options.model !== undefined
          ? { name: modelUnderTestName(options.model), config: { ...options.model } }
          : undefined;
    const sinks = await runSinks({
      ...(client !== undefined
        ? {
            mlflow: {
              client,
              trackingUri: trackingUri as string,
              env,
              ...(traces !== undefined ? { traces } : {}),
              ...(typeof options.mlflow === 'object' && options.mlflow.batchWriter !== undefined
                ? { batchWriter: options.mlflow.batchWriter }
                : {}),
              ...(extras.mlflowTags !== undefined ? { tags: extras.mlflowTags } : {}),
              ...(extras.mlflowTables !== undefined ? { tables: extras.mlflowTables } : {}),
              ...(loggedModel !== undefined ? { loggedModel } : {}),
            },
          }
        : {}),
      ...(extras.derivedSinks !== undefined ? { derived: extras.derivedSinks } : {}),
      extra: userSinks,
    });
    served = await serveRunMetrics({
      run: runName,
      metrics: options.metrics,
      env,
      log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
    });
    const outcome = await runEvaluation({
      ...(served !== undefined ? { metrics: served.metrics } : {}),
      rows: readDataset(source, { scan }),
      dataset: { ...datasetInfo(scan), rows: scan.selectedRows, ...extras.dataset },
      executor,
      scorers: pipeline.scorers,
      sinks,
      outDir,
      runName,
      experiment: options.experiment ?? 'judgeflow',
      redactor: redactorFor(env, {
        config: { model: options.model, judge: options.judge, scorers: scorerEntries },
      }),
      params: {
        ...(options.ray !== undefined
          ? {
              executor: 'ray',
              'ray.workers': String(workers),
              'ray.worker_concurrency': String(workerConcurrency),
            }
          : { concurrency: String(options.concurrency ?? 16) }),
        scorers: JSON.stringify(pipeline.scorers.map((s) => s.name)),
        ...(pipeline.model !== undefined ? { model: pipeline.model.name } : {}),
      },
      gates,
      ...(options.allowNoValues !== undefined ? { allowNoValues: options.allowNoValues } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
    });
    const result: EvaluateResult = {
      summary: outcome.summary,
      metrics: outcome.summary.metrics,
      outDir,
      resultsPath: path.join(outDir, 'results.jsonl'),
      summaryPath: path.join(outDir, 'summary.json'),
      gatesPassed: outcome.gatesPassed,
      pendingWrites: outcome.pendingWrites,
    };
    if (outcome.summary.mlflow !== undefined) result.mlflow = outcome.summary.mlflow;
    if (cluster !== undefined) result.ray = cluster;
    return result;
  } finally {
    await executor.dispose?.();
    await served?.close();
    await pipeline.close();
    await runtime.close();
    await client?.close();
  }
}
