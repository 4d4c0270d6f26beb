import path from 'node:path';
import type { Env } from '../config/env.js';
import type { LoadedEvalFile } from '../config/load.js';
import { secretValues } from '../config/secrets.js';
import { InterruptedError } from '../core/errors.js';
import type { RunEvent } from '../core/events.js';
import type { Executor } from '../core/executor.js';
import { Redactor } from '../core/redact.js';
import { datasetInfo, readDataset } from '../datasets/index.js';
import { createLocalExecutor } from '../executors/local.js';
import type { RayClusterInfo } from '../executors/ray/index.js';
import { type EvaluationOutcome, runEvaluation } from '../runner/run-evaluation.js';
import { probeEndpoints } from '../runtime/index.js';
import type { MlflowClient } from '../sinks/mlflow/index.js';
import { exitCodeFor } from './exit-codes.js';
import { configParams } from './params.js';
import { type Preflight, preflight } from './preflight.js';
import type { ExecutorChoice, RunOverrides } from './run-options.js';
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
  /** Where a Ray run's cluster is (its dashboard), once connected. */
  onRayCluster?: (cluster: RayClusterInfo) => void;
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

/**
 * `judgeflow run eval.yaml`: pre-flight (every check `validate` makes, no call made) → the executor
 * gets ready (a Ray cluster reached, its workers started) → execute → aggregate → emit (files, MLflow).
 * Anything that fails before the first row leaves nothing behind: no output folder, no MLflow run.
 */
export async function runEvalFile(request: RunRequest): Promise<RunResponse> {
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
    const checked = await preflight({
      evalPath: request.evalPath,
      overrides: request.overrides,
      executor: request.executor,
      env: request.env,
      cwd: request.cwd,
      mlflow: async () => (await mlflowClient())?.client,
      purpose: 'run',
    });
    try {
      const redactor = (request.redactor ?? new Redactor()).addSecrets(
        secretValues(request.env, { config: checked.config }),
      );
      for (const notice of checked.notices) request.log(`judgeflow: note: ${notice}`);
      return await execute({ ...request, redactor }, checked, await mlflowClient());
    } finally {
      await checked.close();
    }
  } finally {
    await connection?.client.close();
  }
}

async function execute(
  request: RunRequest & { redactor: Redactor },
  checked: Preflight,
  connection: { uri: string; client: MlflowClient } | undefined,
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
          },
        }
      : {},
  );
  // Under Ray the file's `concurrency` does not apply (reported by the pre-flight): it is not a param.
  const paramsConfig = ray !== undefined ? { ...config, concurrency: undefined } : config;
  try {
    const outcome = await runEvaluation({
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
  }
}

export type { LoadedEvalFile };
