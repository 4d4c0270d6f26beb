import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Env } from '../config/env.js';
import { type LoadedEvalFile, loadEvalFile } from '../config/load.js';
import type { EvalFile } from '../config/schema.js';
import { secretValues } from '../config/secrets.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import type { RunEvent, Sink } from '../core/events.js';
import type { Executor } from '../core/executor.js';
import { Redactor } from '../core/redact.js';
import type { Scorer } from '../core/scorer.js';
import { type DatasetSource, datasetInfo, readDataset, scanDataset } from '../datasets/index.js';
import { createLocalExecutor } from '../executors/local.js';
import { createJudgeResolver, defaultJudgeModel } from '../judges/index.js';
import { buildPipeline, buildScorers, type PipelinePlan } from '../runner/build.js';
import { type Gate, parseGate } from '../runner/gates.js';
import type { RowPipeline } from '../runner/pipeline.js';
import { type EvaluationOutcome, runEvaluation } from '../runner/run-evaluation.js';
import { HttpRuntime, probeEndpoints } from '../runtime/index.js';
import { scorerRegistry } from '../scorers/index.js';
import type { MlflowClient } from '../sinks/mlflow/index.js';
import { defaultTracePolicy, parseTracePolicy, type TracePolicy } from '../sinks/mlflow/trace-policy.js';
import { datasetSourceFromConfig } from './dataset-source.js';
import { exitCodeFor } from './exit-codes.js';
import { configParams } from './params.js';

export interface RunOverrides {
  out?: string;
  concurrency?: number;
  limit?: number;
  sample?: number;
  seed?: number;
  failUnder?: string[];
  maxErrors?: number;
  maxCost?: number;
  maxTokens?: number;
  experiment?: string;
  runName?: string;
  /** Overrides `judge.model` (an MLflow-style URI). */
  judgeModel?: string;
  /** Overrides `mlflow.traces` (`all`, `failed`, `sample:<fraction>`). */
  mlflowTraces?: string;
}

export type ExecutorChoice =
  | { kind: 'local' }
  | { kind: 'ray'; address?: string; workers: number; workerConcurrency: number; python?: string };

export interface RunRequest {
  evalPath: string;
  overrides: RunOverrides;
  /** `wait: false` (`--no-wait`): end once scoring is done, with the MLflow backlog spooled on disk. */
  mlflow: { enabled: boolean; trackingUri?: string; wait?: boolean };
  executor: ExecutorChoice;
  env: Env;
  /** Working directory for the default output folder. */
  cwd: string;
  signal?: AbortSignal;
  abortRows?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  log: (line: string) => void;
  /**
   * The redactor the caller prints through (the CLI's stdout/stderr). The run teaches it the secrets
   * its eval file names (`api_key_env`), so what the caller prints later is scrubbed of them too.
   * Default: a new one knowing the environment's secrets.
   */
  redactor?: Redactor;
}

export interface RunResponse {
  outcome: EvaluationOutcome;
  exitCode: number;
}

/** Applies command-line overrides to the eval file's values. */
export function applyOverrides(config: EvalFile, overrides: RunOverrides): EvalFile {
  const merged: EvalFile = { ...config };
  if (overrides.concurrency !== undefined) merged.concurrency = overrides.concurrency;
  if (overrides.limit !== undefined) merged.limit = overrides.limit;
  if (overrides.sample !== undefined) merged.sample = overrides.sample;
  if (overrides.seed !== undefined) merged.seed = overrides.seed;
  if (overrides.maxErrors !== undefined) merged.max_errors = overrides.maxErrors;
  if (overrides.maxCost !== undefined) merged.max_cost = overrides.maxCost;
  if (overrides.maxTokens !== undefined) merged.max_tokens = overrides.maxTokens;
  if (overrides.experiment !== undefined) merged.experiment = overrides.experiment;
  if (overrides.runName !== undefined) merged.run_name = overrides.runName;
  if (overrides.judgeModel !== undefined)
    merged.judge = { ...(merged.judge ?? {}), model: overrides.judgeModel };
  if (overrides.mlflowTraces !== undefined)
    merged.mlflow = { ...(merged.mlflow ?? {}), traces: overrides.mlflowTraces };
  return merged;
}

/**
 * `./judgeflow-runs/<timestamp>`; an existing non-empty folder is refused so runs never mix, and a path
 * that is a file (or cannot be read as a folder) is a ConfigError naming `--out`, not a crash.
 */
export function resolveOutDir(cwd: string, out: string | undefined, now = new Date()): string {
  const dir =
    out !== undefined
      ? path.resolve(cwd, out)
      : path.join(cwd, 'judgeflow-runs', now.toISOString().replace(/[:.]/g, '-'));
  if (!existsSync(dir)) return dir;
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) {
      throw new ConfigError(`--out ${dir} is a file, not a folder; choose another --out`, { field: 'out' });
    }
    entries = readdirSync(dir);
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    throw new ConfigError(`--out ${dir} cannot be used as the output folder: ${errorMessage(cause)}`, {
      field: 'out',
      cause,
    });
  }
  if (entries.length > 0) {
    throw new ConfigError(`output folder ${dir} already exists and is not empty; choose another --out`, {
      field: 'out',
    });
  }
  return dir;
}

/**
 * `judgeflow run eval.yaml`: plan (load + validate config, one validation pass over the dataset) →
 * execute (local pool or Ray) → aggregate → emit (files, MLflow). Invalid input throws before
 * anything is written.
 */
export async function runEvalFile(request: RunRequest): Promise<RunResponse> {
  const loaded = await loadEvalFile(request.evalPath);
  const config = applyOverrides(loaded.config, request.overrides);
  const redactor = (request.redactor ?? new Redactor()).addSecrets(secretValues(request.env, { config }));
  const gates = [
    ...Object.entries(config.fail_under ?? {}).map(([metric, threshold]) =>
      parseGate(`${metric}=${threshold}`),
    ),
    ...(request.overrides.failUnder ?? []).map(parseGate),
  ];
  const registry = scorerRegistry();
  for (const [i, entry] of config.scorers.entries()) {
    registry.parse(entry, { file: loaded.path, field: `scorers[${i}]` });
  }
  const tracePolicy =
    config.mlflow?.traces !== undefined
      ? parseTracePolicy(config.mlflow.traces, {
          field: request.overrides.mlflowTraces !== undefined ? '--mlflow-traces' : 'mlflow.traces',
          file: loaded.path,
        })
      : defaultTracePolicy;

  // MLflow first (it may provide the dataset or the prompt), but nothing is written to it yet.
  // MLflow and Ray code is loaded only by runs that use it (a files-only local run starts faster).
  const mlflow = request.mlflow.enabled ? await import('../sinks/mlflow/index.js') : undefined;
  const tracking = mlflow
    ? await mlflow.resolveTrackingUri({
        env: request.env,
        home: request.env.home,
        ...(request.mlflow.trackingUri !== undefined ? { flag: request.mlflow.trackingUri } : {}),
        log: request.log,
      })
    : undefined;
  const client =
    mlflow !== undefined && tracking !== undefined
      ? new mlflow.MlflowClient({ trackingUri: tracking.uri, env: request.env })
      : undefined;
  try {
    return await planAndRun({ ...request, redactor }, loaded, config, gates, tracking, client, tracePolicy);
  } finally {
    await client?.close();
  }
}

async function planAndRun(
  request: RunRequest & { redactor: Redactor },
  loaded: LoadedEvalFile,
  config: EvalFile,
  gates: Gate[],
  tracking: { uri: string } | undefined,
  client: MlflowClient | undefined,
  tracePolicy: TracePolicy,
): Promise<RunResponse> {
  const extraParams: Record<string, string> = {};
  if (
    config.model !== undefined &&
    'prompt' in config.model &&
    config.model.prompt?.startsWith('prompts:/')
  ) {
    if (client === undefined) {
      throw new ConfigError(
        `model.prompt ${config.model.prompt} needs MLflow's prompt registry; remove --no-mlflow`,
        {
          file: loaded.path,
          field: 'model.prompt',
        },
      );
    }
    const { loadPromptTemplate } = await import('../sinks/mlflow/index.js');
    const prompt = await loadPromptTemplate({ client, uri: config.model.prompt });
    extraParams['prompt.uri'] = config.model.prompt;
    extraParams['prompt.version'] = `${prompt.name}/${prompt.version}`;
    config.model = { ...config.model, prompt: prompt.template };
  }

  const source: DatasetSource = await datasetSourceFromConfig(config.dataset, {
    baseDir: loaded.baseDir,
    file: loaded.path,
    env: request.env,
    ...(client !== undefined
      ? {
          mlflowRows: async (name: string) =>
            (await import('../sinks/mlflow/index.js')).mlflowDatasetSource({ client, name }),
        }
      : {}),
  });
  const selection = {
    ...(config.limit !== undefined ? { limit: config.limit } : {}),
    ...(config.sample !== undefined ? { sample: { size: config.sample, seed: config.seed ?? 0 } } : {}),
  };
  const scan = await scanDataset(source, selection);
  if (config.model === undefined && scan.rowsWithoutOutputs > 0) {
    throw new ConfigError(
      `${scan.rowsWithoutOutputs} of ${scan.rows} rows have no outputs and the eval file configures no model under test`,
      { file: loaded.path, field: 'model' },
    );
  }
  const outDir = resolveOutDir(request.cwd, request.overrides.out);
  const concurrency = config.concurrency ?? 16;
  const plan: PipelinePlan = {
    baseDir: loaded.baseDir,
    file: loaded.path,
    scorers: config.scorers,
    concurrency: request.executor.kind === 'ray' ? request.executor.workerConcurrency : concurrency,
    // a model no row needs (every row carries outputs) is neither built nor probed
    ...(config.model !== undefined && scan.rowsWithoutOutputs > 0 ? { model: config.model } : {}),
    ...(config.judge !== undefined ? { judge: config.judge } : {}),
  };
  if (request.executor.kind === 'ray') {
    // Resolve the default judge here, on the driver: a worker whose environment lacks OPENAI_API_KEY
    // must not silently pick a different judge than the one the run reports.
    plan.judge = { ...(plan.judge ?? {}), model: defaultJudgeModel(plan.judge, request.env) };
  }
  const runName =
    config.run_name ??
    `${path.basename(loaded.path, path.extname(loaded.path))}-${new Date().toISOString().slice(0, 19)}`;
  const experiment = config.experiment ?? 'judgeflow';

  let pipeline: RowPipeline | undefined;
  let executor: Executor;
  // Every model and judge endpoint the run calls is made while building; they are probed before row 1.
  const runtime = new HttpRuntime();
  const scorersForAggregation: Array<Pick<Scorer, 'name' | 'aggregations'>> = [];
  if (request.executor.kind === 'ray') {
    const { createRayExecutor } = await import('../executors/ray/index.js');
    executor = createRayExecutor({
      plan,
      env: request.env,
      home: request.env.home,
      runName,
      workers: request.executor.workers,
      workerConcurrency: request.executor.workerConcurrency,
      ...(request.executor.address !== undefined ? { address: request.executor.address } : {}),
      ...(request.executor.python !== undefined ? { python: request.executor.python } : {}),
      log: request.log,
    });
    // The driver needs the scorers' names and aggregations (metrics are computed here); judge clients
    // are lazy, so building the scorers makes no model call.
    const judges = createJudgeResolver(plan.judge, { env: request.env, runtime });
    scorersForAggregation.push(...(await buildScorers(plan, { env: request.env, judges })));
    await judges.close();
  } else {
    pipeline = await buildPipeline(plan, { env: request.env, runtime });
    scorersForAggregation.push(...pipeline.scorers);
    executor = createLocalExecutor({ pipeline, concurrency });
  }

  const sinks: Sink[] = [];
  if (client !== undefined && tracking !== undefined) {
    const { createMlflowSink } = await import('../sinks/mlflow/index.js');
    sinks.push(
      createMlflowSink({
        client,
        trackingUri: tracking.uri,
        env: request.env,
        traces: tracePolicy,
        log: request.log,
      }),
    );
  }
  try {
    // An unreachable model or judge server ends the run before anything is written (exit 5).
    await probeEndpoints(runtime, {
      ...(request.signal !== undefined ? { signal: request.signal } : {}),
    });
    const outcome = await runEvaluation({
      rows: readDataset(source, { scan }),
      dataset: { ...datasetInfo(scan), rows: scan.selectedRows },
      executor,
      scorers: scorersForAggregation,
      sinks,
      outDir,
      runName,
      experiment,
      redactor: request.redactor,
      params: configParams(
        config,
        {
          ...extraParams,
          executor: request.executor.kind,
          concurrency,
          ...(request.executor.kind === 'ray'
            ? {
                'ray.workers': request.executor.workers,
                'ray.worker_concurrency': request.executor.workerConcurrency,
              }
            : {}),
        },
        request.redactor,
      ),
      evalFile: { path: loaded.path, text: loaded.text },
      gates,
      ...(config.max_errors !== undefined ? { maxErrors: config.max_errors } : {}),
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
    await pipeline?.close();
    await runtime.close();
  }
}

export type { LoadedEvalFile };
