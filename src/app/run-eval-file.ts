import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Env } from '../config/env.js';
import { type LoadedEvalFile, loadEvalFile } from '../config/load.js';
import type { EvalFile } from '../config/schema.js';
import { secretValues } from '../config/secrets.js';
import { errorMessage, InterruptedError, JudgeflowError } from '../core/errors.js';
import type { RunEvent } from '../core/events.js';
import type { Executor } from '../core/executor.js';
import { Redactor } from '../core/redact.js';
import { datasetInfo, readDataset } from '../datasets/index.js';
import { createLocalExecutor } from '../executors/local.js';
import type { RayClusterInfo } from '../executors/ray/index.js';
import { defaultJudgeModel } from '../judges/index.js';
import { type MetricsOptions, serveRunMetrics } from '../observability/run-metrics-server.js';
import { type EvaluationOutcome, runEvaluation } from '../runner/run-evaluation.js';
import { probeEndpoints } from '../runtime/index.js';
import type { MlflowClient } from '../sinks/mlflow/index.js';
import type { Comparison } from './compare/index.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import {
  checkModelsUnderTest,
  modelNames,
  type PairwiseEntry,
  pairwiseEntries,
} from './models-under-test.js';
import { configParams } from './params.js';
import { type Preflight, preflight } from './preflight.js';
import { applyOverrides, type ExecutorChoice, type RunOverrides, resolveOutDir } from './run-options.js';
import { runSinks } from './sinks.js';

export { applyOverrides, type ExecutorChoice, type RunOverrides, resolveOutDir } from './run-options.js';

export interface RunRequest {
  evalPath: string;
  overrides: RunOverrides;
  /** `wait: false` (`--no-wait`): end once scoring is done, with the MLflow backlog spooled on disk. */
  mlflow: { enabled: boolean; trackingUri?: string; wait?: boolean };
  executor: ExecutorChoice;
  env: Env;
  /** Working directory for the default output folder. */
  cwd: string;
  /** Stop dispatching (first Ctrl-C). */
  signal?: AbortSignal;
  /** Cancel rows in flight (first Ctrl-C too: a hung call must not hold the run). */
  abortRows?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  /**
   * The raw environment, for what reads variables itself (the comparison after a `models:` file's runs:
   * MLflow auth, the pairwise judge's key); default process.env.
   */
  processEnv?: Readonly<Record<string, string | undefined>>;
  /** Where a Ray run's cluster is (its dashboard), once connected. */
  onRayCluster?: (cluster: RayClusterInfo) => void;
  log: (line: string) => void;
  /**
   * The redactor the caller prints through (the CLI's stdout/stderr). The run teaches it the secrets
   * its eval file names (`api_key_env`), so what the caller prints later is scrubbed of them too.
   * Default: a new one knowing the environment's secrets.
   */
  redactor?: Redactor;
  /** Serve Prometheus `/metrics` for the run (`--metrics-port`; also `JUDGEFLOW_METRICS_PORT`). */
  metrics?: MetricsOptions;
}

export interface RunResponse {
  outcome: EvaluationOutcome;
  exitCode: number;
}

/** One model's run of a file with `models:`. */
export interface ModelRunResponse extends RunResponse {
  /** The model's name (its `models:` key). */
  model: string;
}

/** What a run of a file with `models:` adds: each model's run, and what groups them. */
export interface ModelsRunResponse extends RunResponse {
  /** Tag `judgeflow.comparison_group` on every model's MLflow run. */
  comparisonGroup: string;
  /** The output folder holding one subfolder per model. */
  outDir: string;
  models: ModelRunResponse[];
  /** The file's `pairwise` scorer entries, kept for the comparison (never run per model). */
  pairwise: PairwiseEntry[];
  /**
   * The first model against each other one (`compareRuns`), once every run finished; empty when the
   * runs were interrupted or a comparison failed (then `comparisonError` says why).
   */
  comparisons: Comparison[];
  comparisonError?: string;
}

/**
 * `judgeflow run eval.yaml`: pre-flight (every check `validate` makes, no call made) → the executor
 * gets ready (a Ray cluster reached, its workers started) → execute → aggregate → emit (files, MLflow).
 * Anything that fails before the first row leaves nothing behind: no output folder, no MLflow run.
 *
 * A file with `models:` runs once per model (see `runModels`); the answer is then a `ModelsRunResponse`
 * whose `outcome` is the first model's and whose exit code is the worst of the runs.
 */
export async function runEvalFile(request: RunRequest): Promise<RunResponse | ModelsRunResponse> {
  // MLflow and Ray code is loaded only by runs that use them (a files-only local run starts faster).
  const mlflow = request.mlflow.enabled ? await import('../sinks/mlflow/index.js') : undefined;
  let connection: { uri: string; client: MlflowClient } | undefined;
  const mlflowClient = async (): Promise<{ uri: string; client: MlflowClient } | undefined> => {
    if (mlflow === undefined) return undefined;
    if (connection === undefined) {
      // only undefined with noMlflow, which this call never passes
      const tracking = await mlflow.resolveTrackingUri({
        env: request.env,
        home: request.env.home,
        ...(request.mlflow.trackingUri !== undefined ? { flag: request.mlflow.trackingUri } : {}),
        log: request.log,
      });
      if (tracking === undefined) return undefined;
      connection = {
        uri: tracking.uri,
        client: new mlflow.MlflowClient({ trackingUri: tracking.uri, env: request.env }),
      };
    }
    return connection;
  };
  try {
    const file = await loadEvalFile(path.resolve(request.cwd, request.evalPath));
    if (file.config.models !== undefined) return await runModels(request, file, mlflowClient);
    return await runOne(request, mlflowClient, {});
  } finally {
    await connection?.client.close();
  }
}

type Connect = () => Promise<{ uri: string; client: MlflowClient } | undefined>;

/** What a model's run of a `models:` file sets beyond the file. */
interface OneRunOptions {
  model?: string;
  /** More MLflow run tags. */
  tags?: Record<string, string>;
}

async function runOne(request: RunRequest, connect: Connect, options: OneRunOptions): Promise<RunResponse> {
  const checked = await preflight({
    evalPath: request.evalPath,
    overrides: request.overrides,
    executor: request.executor,
    env: request.env,
    cwd: request.cwd,
    mlflow: async () => (await connect())?.client,
    purpose: 'run',
    ...(options.model !== undefined ? { model: options.model } : {}),
  });
  try {
    const redactor = (request.redactor ?? new Redactor()).addSecrets(
      secretValues(request.env, { config: checked.config }),
    );
    for (const notice of checked.notices) request.log(`judgeflow: note: ${notice}`);
    return await execute({ ...request, redactor }, checked, await connect(), options.tags ?? {});
  } finally {
    await checked.close();
  }
}

/**
 * A file with `models:`: every model is checked first (a mistake in the last model leaves no run of
 * the first behind), then each is evaluated on the same rows (the same limit, sample and seed) in a
 * run of its own: output folder `<out>/<model>/`, MLflow run `<run_name>-<model>` in the same
 * experiment, tagged `judgeflow.model=<model>` and `judgeflow.comparison_group=<uuid>` (shared). The
 * runs go one after another; an interrupt stops before the next model.
 */
async function runModels(
  request: RunRequest,
  file: LoadedEvalFile,
  connect: Connect,
): Promise<ModelsRunResponse> {
  const config = applyOverrides(file.config, request.overrides);
  checkModelsUnderTest(file, config);
  const names = modelNames(config);
  const { out: _out, ...checkOverrides } = request.overrides;
  for (const model of names) {
    const checked = await preflight({
      evalPath: request.evalPath,
      overrides: checkOverrides,
      executor: request.executor,
      env: request.env,
      cwd: request.cwd,
      mlflow: async () => (await connect())?.client,
      purpose: 'validate',
      model,
    });
    await checked.close();
  }
  const outDir = resolveOutDir(request.cwd, request.overrides.out);
  const baseName =
    config.run_name ??
    `${path.basename(file.path, path.extname(file.path))}-${new Date().toISOString().slice(0, 19)}`;
  const comparisonGroup = randomUUID();
  const runs: ModelRunResponse[] = [];
  for (const model of names) {
    if (request.signal?.aborted) break;
    request.log(`judgeflow: model ${model} (${runs.length + 1} of ${names.length})`);
    const response = await runOne(
      {
        ...request,
        overrides: { ...request.overrides, out: path.join(outDir, model), runName: `${baseName}-${model}` },
      },
      connect,
      { model, tags: { [COMPARISON_GROUP_TAG]: comparisonGroup, [MODEL_TAG]: model } },
    );
    runs.push({ ...response, model });
  }
  const first = runs[0] as ModelRunResponse;
  const interrupted = runs.length < names.length || request.signal?.aborted === true;
  let exitCode = Math.max(interrupted ? EXIT.interrupted : EXIT.ok, ...runs.map((run) => run.exitCode));
  const pairwise = pairwiseEntries(config);
  const comparisons: Comparison[] = [];
  let comparisonError: string | undefined;
  if (!interrupted && runs.length > 1) {
    const tracking = await connect();
    try {
      for (const other of runs.slice(1)) {
        comparisons.push(
          await compareModelRuns(first, other, {
            config,
            file,
            outDir,
            env: request.env,
            processEnv: request.processEnv ?? process.env,
            tracking: tracking?.uri,
            pairwise: pairwise[0],
            ...(request.signal !== undefined ? { signal: request.signal } : {}),
            log: request.log,
          }),
        );
      }
    } catch (error) {
      comparisonError = errorMessage(error);
      exitCode = Math.max(exitCode, error instanceof JudgeflowError ? error.exitCode : EXIT.internalError);
    }
  }
  return {
    outcome: first.outcome,
    exitCode,
    comparisonGroup,
    outDir,
    models: runs,
    pairwise,
    comparisons,
    ...(comparisonError !== undefined ? { comparisonError } : {}),
  };
}

/**
 * Model A (the file's first) against model B: `compareRuns` on their MLflow runs (their result folders
 * without MLflow), `comparison.json` in `<out>/compare-<a>-vs-<b>/`, a comparison run logged beside
 * them, and the file's `pairwise` scorer (its judge, else the file's judge) judging the pairs.
 */
async function compareModelRuns(
  a: ModelRunResponse,
  b: ModelRunResponse,
  context: {
    config: EvalFile;
    file: LoadedEvalFile;
    outDir: string;
    env: Env;
    processEnv: Readonly<Record<string, string | undefined>>;
    tracking: string | undefined;
    pairwise: PairwiseEntry | undefined;
    signal?: AbortSignal;
    log: (line: string) => void;
  },
): Promise<Comparison> {
  const { compareRuns } = await import('./compare/index.js');
  const side = (run: ModelRunResponse) => run.outcome.summary.mlflow?.run_id ?? run.outcome.outDir;
  const onMlflow = context.tracking !== undefined && a.outcome.summary.mlflow !== undefined;
  const entry = context.pairwise;
  context.log(`judgeflow: comparing ${a.model} (A) with ${b.model} (B)`);
  return compareRuns({
    a: side(a),
    b: side(b),
    cwd: context.file.baseDir,
    env: context.processEnv,
    ...(onMlflow ? { trackingUri: context.tracking as string, mlflow: {} } : {}),
    outDir: path.join(context.outDir, `compare-${a.model}-vs-${b.model}`),
    ...(entry !== undefined
      ? {
          pairwise: {
            judge:
              entry.judge ??
              context.config.judge?.model ??
              defaultJudgeModel(context.config.judge, context.env),
            ...(entry.criteria !== undefined ? { criteria: entry.criteria } : {}),
          },
        }
      : {}),
    ...(context.signal !== undefined ? { signal: context.signal } : {}),
    log: context.log,
  });
}

/** MLflow run tag shared by the runs of one `models:` file. */
export const COMPARISON_GROUP_TAG = 'judgeflow.comparison_group';
/** MLflow run tag naming the model under test of a `models:` file's run. */
export const MODEL_TAG = 'judgeflow.model';

async function execute(
  request: RunRequest & { redactor: Redactor },
  checked: Preflight,
  connection: { uri: string; client: MlflowClient } | undefined,
  tags: Record<string, string>,
): Promise<RunResponse> {
  const { loaded, config, scan, plan } = checked;
  const runName =
    config.run_name ??
    `${path.basename(loaded.path, path.extname(loaded.path))}-${new Date().toISOString().slice(0, 19)}`;
  const ray = request.executor.kind === 'ray' ? request.executor : undefined;

  let executor: Executor;
  if (ray !== undefined) {
    const { createRayExecutor } = await import('../executors/ray/index.js');
    executor = createRayExecutor({
      plan,
      env: request.env,
      home: request.env.home,
      runName,
      workers: ray.workers,
      workerConcurrency: ray.workerConcurrency,
      requiredEnv: checked.keyVariables,
      ...(ray.address !== undefined ? { address: ray.address } : {}),
      ...(ray.python !== undefined ? { python: ray.python } : {}),
      onConnected: (cluster) => {
        const token = cluster.authTokenPath !== undefined ? `, its token in ${cluster.authTokenPath}` : '';
        const dashboard = cluster.dashboardUrl !== '' ? `; dashboard ${cluster.dashboardUrl}${token}` : '';
        request.log(
          cluster.startedLocal
            ? `judgeflow: no Ray cluster given or running here: started a local Ray head for this run (${cluster.address}${dashboard}); it stops when the run ends`
            : `judgeflow: connected to the Ray cluster at ${cluster.address}${dashboard}`,
        );
        request.onRayCluster?.(cluster);
      },
      log: request.log,
    });
  } else {
    executor = createLocalExecutor({
      pipeline: checked.pipeline as NonNullable<Preflight['pipeline']>,
      concurrency: config.concurrency ?? 16,
    });
  }

  // The cluster is reached and every worker started before anything is written: a cluster that is not
  // there, or workers that lack the run's API keys, leave no output folder and no MLflow run behind.
  try {
    await executor.prepare?.(request.signal !== undefined ? { signal: request.signal } : {});
    if (request.signal?.aborted)
      throw new InterruptedError('interrupted before the first row: nothing was written');
    // An unreachable model or judge server ends the run before anything is written (exit 5).
    if (checked.runtime !== undefined)
      await probeEndpoints(checked.runtime, request.signal !== undefined ? { signal: request.signal } : {});
  } catch (error) {
    await executor.dispose?.();
    throw error;
  }

  const sinks = await runSinks(
    connection !== undefined
      ? {
          mlflow: {
            client: connection.client,
            trackingUri: connection.uri,
            env: request.env,
            traces: checked.tracePolicy,
            log: request.log,
            ...(Object.keys(tags).length + Object.keys(checked.runTags).length > 0
              ? { tags: { ...checked.runTags, ...tags } }
              : {}),
            // the model under test becomes a LoggedModel (none for a run on recorded outputs)
            ...(config.model !== undefined && checked.modelName !== undefined
              ? { loggedModel: { name: checked.modelName, config: { ...config.model } } }
              : {}),
          },
        }
      : {},
  );
  // Under Ray the file's `concurrency` does not apply (reported by the pre-flight): it is not a param.
  const paramsConfig = ray !== undefined ? { ...config, concurrency: undefined } : config;
  const served = await serveRunMetrics({
    run: runName,
    metrics: request.metrics,
    env: request.env,
    log: request.log,
  });
  try {
    const outcome = await runEvaluation({
      ...(served !== undefined ? { metrics: served.metrics } : {}),
      rows: readDataset(checked.source, { scan }),
      dataset: { ...datasetInfo(scan), rows: scan.selectedRows },
      executor,
      scorers: checked.scorers,
      sinks,
      outDir: checked.outDir as string,
      runName,
      experiment: config.experiment ?? 'judgeflow',
      redactor: request.redactor,
      params: configParams(
        paramsConfig,
        {
          ...checked.extraParams,
          executor: request.executor.kind,
          ...(ray !== undefined
            ? { 'ray.workers': ray.workers, 'ray.worker_concurrency': ray.workerConcurrency }
            : { concurrency: config.concurrency ?? 16 }),
        },
        request.redactor,
      ),
      evalFile: { path: loaded.path, text: loaded.text },
      gates: checked.gates,
      ...(config.max_errors !== undefined ? { maxErrors: config.max_errors } : {}),
      ...(config.allow_no_values !== undefined ? { allowNoValues: config.allow_no_values } : {}),
      budgets: {
        ...(config.max_cost !== undefined ? { maxCostUsd: config.max_cost } : {}),
        ...(config.max_tokens !== undefined ? { maxTokens: config.max_tokens } : {}),
      },
      ...(request.signal !== undefined ? { signal: request.signal } : {}),
      ...(request.abortRows !== undefined ? { abortRows: request.abortRows } : {}),
      ...(request.onEvent !== undefined ? { onEvent: request.onEvent } : {}),
      waitForWrites: request.mlflow.wait ?? true,
    });
    return { outcome, exitCode: exitCodeFor(outcome) };
  } finally {
    await executor.dispose?.();
    await served?.close();
  }
}

export type { LoadedEvalFile };
