import path from 'node:path';
import type { Env } from '../config/env.js';
import { type LoadedEvalFile, loadEvalFile, locate } from '../config/load.js';
import type { EvalFile } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import type { ModelUnderTest } from '../core/model.js';
import type { Scorer } from '../core/scorer.js';
import { type DatasetScan, type DatasetSource, scanDataset } from '../datasets/index.js';
import { createJudgeResolver, defaultJudgeModel, localModelFactory } from '../judges/index.js';
import { createModel, modelKeyVariable } from '../models/index.js';
import type { PipelinePlan } from '../runner/build.js';
import { type Gate, parseGate } from '../runner/gates.js';
import type { RowPipeline } from '../runner/pipeline.js';
import { HttpRuntime } from '../runtime/index.js';
import { scorerRegistry } from '../scorers/index.js';
import type { MlflowClient } from '../sinks/mlflow/index.js';
import { defaultTracePolicy, parseTracePolicy, type TracePolicy } from '../sinks/mlflow/trace-policy.js';
import { datasetSourceFromConfig } from './dataset-source.js';
import { checkModelsUnderTest, modelNames, modelUnderTestName, selectModel } from './models-under-test.js';
import {
  checkAllowNoValues,
  checkGates,
  checkJudgeReferences,
  checkModel,
  checkModelPrompt,
  checkRowsAgainstConfig,
  checkScorerNames,
  type ParsedScorerEntry,
  promptInputs,
  relocated,
} from './preflight-checks.js';
import { applyOverrides, type ExecutorChoice, type RunOverrides, resolveOutDir } from './run-options.js';

export interface PreflightRequest {
  evalPath: string;
  overrides: RunOverrides;
  executor: ExecutorChoice;
  env: Env;
  /** Working directory: the eval path and the default output folder resolve against it. */
  cwd: string;
  /**
   * The MLflow client when the run logs to MLflow. Asked for only after every static check passed, and
   * only when the file needs MLflow to be checked (`prompts:/...`, `dataset: {mlflow: ...}`).
   */
  mlflow?: () => Promise<MlflowClient | undefined>;
  /** `run` keeps the pipeline it built (local executor) and claims the output folder; `validate` does neither. */
  purpose: 'run' | 'validate';
  /**
   * Which model of the file's `models:` this pre-flight is for (the file is then checked as if that
   * model were its `model:`); required for a file with `models:`, refused for one without.
   */
  model?: string;
}

/** Everything a run needs, checked: the only way from an eval file to a run. */
export interface Preflight {
  loaded: LoadedEvalFile;
  /**
   * The eval file with the overrides applied (and a `prompts:/` prompt resolved to its text); for a
   * file with `models:`, as a single-model file for the requested model.
   */
  config: EvalFile;
  /** The model under test's name (its MLflow LoggedModel name); undefined without a model. */
  modelName: string | undefined;
  gates: Gate[];
  source: DatasetSource;
  scan: DatasetScan;
  /** What every worker builds its pipeline from. */
  plan: PipelinePlan;
  /** The output folder, absent or empty; undefined for `validate` without `--out`. */
  outDir: string | undefined;
  /** Params found while resolving the file (the prompt registry version). */
  extraParams: Record<string, string>;
  /**
   * Run tags found while resolving the file: MLflow's `mlflow.linkedPrompts` (the registry prompt
   * versions the run used, as `mlflow.genai` links prompts to runs); empty when it used none.
   */
  runTags: Record<string, string>;
  /** Environment variables holding the API keys the model and the judges need (Ray workers check them). */
  keyVariables: string[];
  /** The scorers, built: their names and aggregations make the metrics. */
  scorers: Scorer[];
  /** The per-row pipeline of a local run; undefined otherwise. Closed with `close()`. */
  pipeline: RowPipeline | undefined;
  /** What the user should know but is not an error: settings that do not apply under the executor. */
  notices: string[];
  /** Which rows get an MLflow trace (`mlflow.traces`, `--mlflow-traces`). */
  tracePolicy: TracePolicy;
  /**
   * The HTTP runtime holding every model and judge endpoint of the kept pipeline (probed before the
   * first row); undefined when no pipeline is kept.
   */
  runtime: HttpRuntime | undefined;
  close(): Promise<void>;
}

/**
 * The pre-flight shared by `validate` and `run`: everything `run` would reject is rejected here, before
 * any model or judge call, before the output folder or an MLflow run exists, with exit 2 and the file
 * and line of the mistake. In order: the file and its schema; gates, scorer options and judge
 * references; the model's settings and keys; settings that do not apply under the executor; MLflow
 * pieces the file names; one streaming pass over the dataset (every row, with the prompt's inputs); the
 * scorers and the model, built but never called; scorer names, gates and `allow_no_values` against
 * what the scorers produce; the output folder.
 */
export async function preflight(request: PreflightRequest): Promise<Preflight> {
  const file = await loadEvalFile(path.resolve(request.cwd, request.evalPath));
  const fileConfig = applyOverrides(file.config, request.overrides);
  checkModelsUnderTest(file, fileConfig);
  const { loaded, config } = forModel(file, fileConfig, request.model);
  const ray = request.executor.kind === 'ray';
  const notices: string[] = [];
  const gates = [
    ...Object.entries(config.fail_under ?? {}).map(([metric, threshold]) =>
      parseGate(`${metric}=${threshold}`),
    ),
    ...(request.overrides.failUnder ?? []).map(parseGate),
  ];

  const tracePolicy =
    config.mlflow?.traces !== undefined
      ? parseTracePolicy(config.mlflow.traces, {
          field: request.overrides.mlflowTraces !== undefined ? '--mlflow-traces' : 'mlflow.traces',
          file: loaded.path,
        })
      : defaultTracePolicy;

  const registry = scorerRegistry();
  const entries: ParsedScorerEntry[] = config.scorers.map((entry, index) => {
    const parsed = registry.parse(entry, {
      file: loaded.path,
      field: `scorers[${index}]`,
      lineOf: (inner) => loaded.lineOf(['scorers', index, ...inner]),
    });
    return { index, kind: parsed.definition.kind, type: parsed.definition.type, options: parsed.options };
  });
  // A Ray driver never calls a model or a judge: the workers check the key variables at their handshake.
  checkJudgeReferences({ loaded, config, entries, env: request.env, checkKeys: !ray });
  checkModel({ loaded, config, env: request.env, checkKeys: !ray });
  if (ray) checkRayExecutorSettings(loaded, config, request, notices);

  const extraParams: Record<string, string> = {};
  const linked: LinkedPrompt[] = [];
  const needsMlflow =
    'mlflow' in config.dataset ||
    (config.model !== undefined &&
      'prompt' in config.model &&
      config.model.prompt?.startsWith('prompts:/')) ||
    judgePromptReferences(config).length > 0;
  const client = needsMlflow ? await request.mlflow?.() : undefined;
  if ('mlflow' in config.dataset && client === undefined) {
    throw new ConfigError(
      `${locate(loaded, ['dataset', 'mlflow'])}: dataset.mlflow "${config.dataset.mlflow}" is an MLflow dataset, which this command cannot reach (remove --no-mlflow, or set MLFLOW_TRACKING_URI)`,
      { file: loaded.path, field: 'dataset.mlflow' },
    );
  }
  await resolvePrompt(loaded, config, client, extraParams, linked);
  await resolveJudgePrompts(loaded, config, client, extraParams, linked);
  const source = await datasetSourceFromConfig(config.dataset, {
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
  const scan = await scanDataset(source, {
    ...(config.limit !== undefined ? { limit: config.limit } : {}),
    ...(config.sample !== undefined ? { sample: { size: config.sample, seed: config.seed ?? 0 } } : {}),
    requiredInputs: promptInputs(
      config.model !== undefined && 'prompt' in config.model ? config.model.prompt : undefined,
    ),
  });
  checkRowsAgainstConfig({ loaded, config, scan, entries });

  const plan: PipelinePlan = {
    baseDir: loaded.baseDir,
    file: loaded.path,
    scorers: config.scorers,
    concurrency:
      request.executor.kind === 'ray' ? request.executor.workerConcurrency : (config.concurrency ?? 16),
    // a model no row needs (every row carries outputs) is neither built nor probed
    ...(config.model !== undefined && scan.rowsWithoutOutputs > 0 ? { model: config.model } : {}),
    ...(config.judge !== undefined ? { judge: config.judge } : {}),
  };
  if (ray) {
    // The driver pins the default judge: a worker whose environment lacks OPENAI_API_KEY must not
    // silently pick a different judge than the one the run reports.
    plan.judge = { ...(plan.judge ?? {}), model: defaultJudgeModel(plan.judge, request.env) };
  }

  const built = await buildChecked({ loaded, plan, request, keep: request.purpose === 'run' && !ray });
  try {
    checkScorerNames(loaded, built.scorers);
    checkGates({
      loaded,
      config,
      scorers: built.scorers,
      gates,
      cliGates: request.overrides.failUnder ?? [],
    });
    checkAllowNoValues(loaded, config, built.scorers);
    const outDir =
      request.purpose === 'run' || request.overrides.out !== undefined
        ? resolveOutDir(request.cwd, request.overrides.out)
        : undefined;
    const modelKey = modelKeyVariable(config.model);
    return {
      loaded,
      config,
      modelName: config.model !== undefined ? modelUnderTestName(config.model, request.model) : undefined,
      gates,
      source,
      scan,
      plan,
      outDir,
      extraParams,
      runTags: linked.length > 0 ? { [LINKED_PROMPTS_TAG]: JSON.stringify(linked) } : {},
      keyVariables: [
        ...new Set([...(modelKey !== undefined ? [modelKey] : []), ...built.keyVariables]),
      ].sort(),
      scorers: built.scorers,
      pipeline: built.pipeline,
      notices,
      tracePolicy,
      runtime: built.runtime,
      close: built.close,
    };
  } catch (error) {
    await built.close();
    throw error;
  }
}

/** The file as checked: itself, or for a `models:` file the single-model file of the requested model. */
function forModel(
  loaded: LoadedEvalFile,
  config: EvalFile,
  model: string | undefined,
): { loaded: LoadedEvalFile; config: EvalFile } {
  if (model !== undefined) {
    if (config.models === undefined) {
      throw new ConfigError(`${loaded.path}: has no models: section, so no model "${model}" to run`, {
        file: loaded.path,
        field: 'models',
      });
    }
    return selectModel(loaded, config, model);
  }
  if (config.models !== undefined) {
    throw new ConfigError(
      `${locate(loaded, ['models'])}: this file names several models under test (${modelNames(config).join(', ')}); run it with \`judgeflow run\`, which evaluates each in its own run`,
      { file: loaded.path, field: 'models' },
    );
  }
  return { loaded, config };
}

/**
 * Under Ray, rows in flight are workers × worker concurrency: the file's `concurrency` does not apply
 * (reported, and not recorded as if it did), and `--concurrency` on the command line is a mistake.
 */
function checkRayExecutorSettings(
  loaded: LoadedEvalFile,
  config: EvalFile,
  request: PreflightRequest,
  notices: string[],
): void {
  if (request.executor.kind !== 'ray') return;
  const { workers, workerConcurrency } = request.executor;
  const inFlight = `rows in flight are --workers × --worker-concurrency = ${workers} × ${workerConcurrency}`;
  if (request.overrides.concurrency !== undefined) {
    throw new ConfigError(
      `--concurrency does not apply under --executor ray (${inFlight}); use those instead`,
      {
        field: 'concurrency',
      },
    );
  }
  if (loaded.config.concurrency !== undefined) {
    notices.push(
      `${locate(loaded, ['concurrency'])}: concurrency: ${config.concurrency} does not apply under --executor ray (${inFlight}); it is ignored and not logged as a param`,
    );
  }
}

/** `model.prompt: prompts:/name@alias` → the template text, its version recorded as params. */
async function resolvePrompt(
  loaded: LoadedEvalFile,
  config: EvalFile,
  client: MlflowClient | undefined,
  extraParams: Record<string, string>,
  linked: LinkedPrompt[],
): Promise<void> {
  const model = config.model;
  if (model === undefined || !('prompt' in model) || !model.prompt?.startsWith('prompts:/')) return;
  if (client === undefined) {
    throw new ConfigError(
      `${locate(loaded, ['model', 'prompt'])}: model.prompt ${model.prompt} lives in MLflow's prompt registry, which this command cannot reach (remove --no-mlflow, or set MLFLOW_TRACKING_URI)`,
      { file: loaded.path, field: 'model.prompt' },
    );
  }
  const { loadPromptTemplate } = await import('../sinks/mlflow/index.js');
  const prompt = await loadPromptTemplate({ client, uri: model.prompt });
  extraParams['prompt.uri'] = model.prompt;
  extraParams['prompt.version'] = `${prompt.name}/${prompt.version}`;
  linkPrompt(linked, prompt);
  config.model = { ...model, prompt: prompt.template };
  checkModelPrompt(loaded, prompt.template);
}

/** MLflow's run (and trace) tag listing the prompt versions used: `[{"name": …, "version": …}]`. */
export const LINKED_PROMPTS_TAG = 'mlflow.linkedPrompts';

interface LinkedPrompt {
  name: string;
  version: string;
}

function linkPrompt(linked: LinkedPrompt[], prompt: LinkedPrompt): void {
  if (!linked.some((p) => p.name === prompt.name && p.version === prompt.version))
    linked.push({ name: prompt.name, version: String(prompt.version) });
}

/** The scorer entries whose judge takes its prompt from the registry (`prompt: prompts:/...`). */
function judgePromptReferences(config: EvalFile): Array<{ index: number; uri: string }> {
  const found: Array<{ index: number; uri: string }> = [];
  for (const [index, entry] of config.scorers.entries()) {
    if (typeof entry !== 'object' || entry === null) continue;
    const prompt = (entry as { prompt?: unknown }).prompt;
    if (typeof prompt === 'string' && prompt.startsWith('prompts:/')) found.push({ index, uri: prompt });
  }
  return found;
}

/**
 * A judge scorer's `prompt: prompts:/name@alias` → that version's template, fetched once here so
 * every row (and every Ray worker) judges with the same version; the scorer build then checks its
 * variables against the judge's. Each is a param `prompt.<scorer>` and a linked prompt of the run.
 */
async function resolveJudgePrompts(
  loaded: LoadedEvalFile,
  config: EvalFile,
  client: MlflowClient | undefined,
  extraParams: Record<string, string>,
  linked: LinkedPrompt[],
): Promise<void> {
  const references = judgePromptReferences(config);
  if (references.length === 0) return;
  const { loadJudgePromptVersion } = await import('../sinks/mlflow/index.js');
  const scorers = [...config.scorers];
  for (const { index, uri } of references) {
    const where = locate(loaded, ['scorers', index, 'prompt']);
    if (client === undefined) {
      throw new ConfigError(
        `${where}: prompt ${uri} lives in MLflow's prompt registry, which this command cannot reach (remove --no-mlflow, or set MLFLOW_TRACKING_URI)`,
        { file: loaded.path, field: `scorers[${index}].prompt` },
      );
    }
    let resolved: Awaited<ReturnType<typeof loadJudgePromptVersion>>;
    try {
      resolved = await loadJudgePromptVersion({ client, uri });
    } catch (error) {
      throw relocated(error, where, `scorers[${index}].prompt`);
    }
    const entry = scorers[index];
    if (typeof entry !== 'object') continue;
    extraParams[`prompt.${entry.name ?? entry.type}`] = `${resolved.name}/${resolved.version}`;
    linkPrompt(linked, resolved);
    scorers[index] = { ...entry, prompt: resolved };
  }
  config.scorers = scorers;
}

interface Built {
  scorers: Scorer[];
  pipeline: RowPipeline | undefined;
  runtime: HttpRuntime | undefined;
  keyVariables: string[];
  close(): Promise<void>;
}

/**
 * Builds the scorers and the model under test exactly as a run does — module files loaded, judge
 * references resolved, clients created — without calling anything. A local run keeps them as its
 * pipeline; otherwise they are closed (a Ray driver only needs the scorers' names and aggregations).
 */
async function buildChecked(options: {
  loaded: LoadedEvalFile;
  plan: PipelinePlan;
  request: PreflightRequest;
  keep: boolean;
}): Promise<Built> {
  const { loaded, plan, request } = options;
  const ray = request.executor.kind === 'ray';
  const runtime = new HttpRuntime();
  const judges = createJudgeResolver(plan.judge, {
    env: request.env,
    runtime,
    baseDir: plan.baseDir,
    requireKeys: !ray,
    ...(plan.concurrency !== undefined ? { defaultConcurrency: plan.concurrency } : {}),
  });
  let model: ModelUnderTest | undefined;
  const close = async (): Promise<void> => {
    await model?.close();
    await judges.close();
    await runtime.close();
  };
  try {
    const registry = scorerRegistry();
    const context = { baseDir: plan.baseDir, env: request.env, judges };
    const scorers: Scorer[] = [];
    for (const [i, entry] of plan.scorers.entries()) {
      const where = { file: loaded.path, field: `scorers[${i}]` };
      try {
        scorers.push(await registry.create(entry, context, where));
      } catch (error) {
        throw relocated(error, locate(loaded, ['scorers', i]), `scorers[${i}]`);
      }
    }
    if (plan.model !== undefined && (options.keep || worthBuilding(plan, ray))) {
      try {
        model = await createModel(plan.model, {
          baseDir: plan.baseDir,
          env: request.env,
          runtime,
          localFactory: localModelFactory(judges),
          ...(plan.concurrency !== undefined ? { concurrency: plan.concurrency } : {}),
        });
      } catch (error) {
        throw relocated(error, locate(loaded, ['model']), 'model');
      }
    }
    const keyVariables = judges.keyVariables?.() ?? [];
    if (options.keep) return { scorers, pipeline: { model, scorers, close }, runtime, keyVariables, close };
    await close();
    return { scorers, pipeline: undefined, runtime: undefined, keyVariables, close: async () => undefined };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Whether building the model says more than the static checks did: a module is loaded to find its
 * export; an HTTP model is built outside Ray (its key is on this machine). A local GGUF is not loaded
 * just to be closed: its file was checked.
 */
function worthBuilding(plan: PipelinePlan, ray: boolean): boolean {
  const provider = plan.model?.provider;
  if (provider === 'module') return true;
  if (provider === 'local') return false;
  return !ray;
}
