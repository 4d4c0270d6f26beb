import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Env, readSecret } from '../../config/env.js';
import { ConfigError, MissingComponentError } from '../../core/errors.js';
import { packageRoot } from '../../core/paths.js';
import { requirePythonEnv } from '../../setup/python-env.js';
import { resolveOutDir } from '../run-options.js';
import { LOGLIKELIHOOD_OUTPUT_TYPES, listServedModels, probeLogprobs } from './endpoint.js';
import { BenchTaskError } from './errors.js';
import type { TaskMetric } from './metric-names.js';
import { type BenchRequest, publicUrl } from './options.js';
import { planShards, type Shard } from './plan-shards.js';
import {
  commonRequest,
  type DescribeAnswer,
  describeAnswerSchema,
  type LmEvalResults,
  lmEvalResultsSchema,
  mergeAnswerSchema,
  rayEventSchema,
  shardAnswerSchema,
  shardRequest,
} from './protocol.js';
import { pythonChildEnv, runPythonJson } from './python-cli.js';
import { type RecordBenchResult, recordBench } from './record-run.js';

export interface BenchContext {
  env: Env;
  cwd: string;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** The lmeval venv's python; default the one `judgeflow setup` installs (tests pass a fake). */
  lmevalPython?: string;
  /** Starts the embedded model's server for `--local` (tests may pass their own). */
  serveLocal?: (
    env: Env,
    log: (line: string) => void,
  ) => Promise<{ baseUrl: string; close(): Promise<void> }>;
}

export interface BenchResult {
  outDir: string;
  model: string;
  baseUrl: string;
  lmEvalVersion: string;
  tasks: DescribeAnswer['tasks'];
  shards: Shard[];
  results: LmEvalResults;
  metrics: TaskMetric[];
  recorded: RecordBenchResult;
  /** Seconds per phase: start (server, describe, probes), run (shards), merge, record. */
  seconds: { start: number; run: number; merge: number; record: number; total: number };
}

/** judgeflow's own offline tasks, always on lm-eval's include path. */
export function builtinTasksDir(): string {
  return path.join(packageRoot(), 'data', 'lm-eval-tasks');
}

/**
 * `judgeflow bench`: start → shards → merge → record.
 * - start: the model server (the embedded one for `--local`), GET /models, `describe` (tasks exist,
 *   their documents), a logprobs probe when a task scores log-likelihoods;
 * - shards: one per task locally, document ranges over Ray; each runs lm-eval's own code;
 * - merge: lm-eval's aggregation over all shards (the same code whether there was one shard or many);
 * - record: files under the output folder and the MLflow run (see `recordBench`).
 * Anything that fails before the shards run leaves nothing behind.
 */
export async function runBench(request: BenchRequest, context: BenchContext): Promise<BenchResult> {
  const started = Date.now();
  const { env, log } = context;
  const outDir = resolveOutDir(
    context.cwd,
    request.out ?? path.join('judgeflow-runs', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  );
  const python = context.lmevalPython ?? env.lmevalPython ?? (await requirePythonEnv(env.home, 'lmeval'));
  const rayPython =
    request.executor === 'ray' ? (env.rayPython ?? (await requirePythonEnv(env.home, 'ray'))) : undefined;
  const apiKey = readSecret(env, request.apiKeyEnv);
  const childEnv = pythonChildEnv(env);
  const work = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-bench-'));
  let server: { baseUrl: string; close(): Promise<void> } | undefined;
  try {
    const common = commonRequest(request, builtinTasksDir());
    const requestFile = path.join(work, 'request.json');
    await writeFile(requestFile, JSON.stringify(common));
    const pythonLog = (line: string) => {
      if (env.debug) log(`lm-eval: ${line}`);
    };
    const run = (args: string[], onLine?: (line: string) => void) =>
      runPythonJson({
        python,
        args: ['-m', 'judgeflow_lmeval', ...args],
        env: childEnv,
        cwd: work,
        onLog: pythonLog,
        ...(onLine !== undefined ? { onLine } : {}),
        ...(context.signal !== undefined ? { signal: context.signal } : {}),
      });

    // start: tasks first (cheap, no model), then the server
    const described = describeAnswerSchema.parse(await run(['describe', '--request', requestFile]));
    const loglikelihoodTasks = described.tasks
      .filter((task) => LOGLIKELIHOOD_OUTPUT_TYPES.has(task.output_type))
      .map((task) => task.name);
    if (request.api === 'chat' && loglikelihoodTasks.length > 0)
      throw new BenchTaskError({
        code: 'no_logprobs',
        message: `${loglikelihoodTasks.join(', ')} score log-likelihoods, which chat completions cannot give: run them with --api completions against a server with prompt logprobs (vLLM, judgeflow serve-judge)`,
        tasks: loglikelihoodTasks,
      });
    const taskNames = described.tasks.map((task) => task.name);
    if (request.endpoint.kind === 'local') {
      const serve = context.serveLocal ?? serveEmbeddedModel;
      server = await serve(env, log);
    }
    const baseUrl =
      request.endpoint.kind === 'remote' ? request.endpoint.baseUrl : (server as { baseUrl: string }).baseUrl;
    const shownUrl = publicUrl(baseUrl);
    const check = { baseUrl, tasks: taskNames, ...(apiKey !== undefined ? { apiKey } : {}) };
    const served = await listServedModels(check);
    const model = request.model ?? served[0];
    if (model === undefined)
      throw new ConfigError(`the server at ${shownUrl} lists no model: name one with --model`, {
        field: 'model',
      });
    if (loglikelihoodTasks.length > 0 && request.api === 'completions')
      await probeLogprobs({
        ...check,
        tasks: loglikelihoodTasks,
        model,
        ...(request.tokenizer !== undefined ? { localTokenizer: true } : {}),
      });

    // MLflow is reached (the local server started) before the model works, not after
    let trackingUri: string | undefined;
    if (request.mlflow) {
      const { resolveTrackingUri } = await import('../../sinks/mlflow/server.js');
      const target = await resolveTrackingUri({
        env,
        home: env.home,
        ...(request.trackingUri !== undefined ? { flag: request.trackingUri } : {}),
        log,
      });
      trackingUri = target?.uri;
    }
    const shards = planShards({
      tasks: described.tasks.map((task) => ({ name: task.name, docs: task.num_docs })),
      workers: request.executor === 'ray' ? request.workers : 1,
      ...(request.executor === 'ray' && request.shardSize !== undefined
        ? { shardSize: request.shardSize }
        : {}),
      ...(request.executor === 'local' ? { shardSize: Number.MAX_SAFE_INTEGER } : {}),
    });
    const startSeconds = (Date.now() - started) / 1000;
    const docs = described.tasks.reduce((sum, task) => sum + task.num_docs, 0);
    log(
      `judgeflow: ${taskNames.length} task(s), ${docs} documents, ${shards.length} shard(s) on ${request.executor === 'ray' ? `Ray (${request.workers} workers)` : 'this machine'}; model ${model} at ${shownUrl}`,
    );

    // shards
    const runStarted = Date.now();
    const shardsDir = path.join(work, 'shards');
    await mkdir(shardsDir, { recursive: true });
    const shardFile = path.join(work, 'shards.json');
    await writeFile(
      shardFile,
      JSON.stringify(shardRequest(common, request, { baseUrl, name: model }, shards)),
    );
    if (request.executor === 'local') {
      const answer = shardAnswerSchema.parse(
        await run(['shard', '--request', shardFile, '--out', shardsDir]),
      );
      for (const shard of answer.shards)
        log(
          `judgeflow: shard ${shard.id} done${shard.seconds !== undefined ? ` in ${shard.seconds.toFixed(1)}s` : ''}`,
        );
    } else {
      let done = 0;
      await runPythonJson({
        python: rayPython as string,
        args: [
          '-m',
          'judgeflow_ray.bench',
          '--address',
          request.rayAddress ?? env.rayAddress ?? '',
          '--workers',
          String(request.workers),
          '--lmeval-python',
          python,
          '--python-path',
          path.join(packageRoot(), 'python'),
          '--request',
          shardFile,
          '--out',
          shardsDir,
        ],
        env: childEnv,
        cwd: work,
        onLog: pythonLog,
        onLine: (line) => {
          let event: ReturnType<typeof rayEventSchema.safeParse>;
          try {
            event = rayEventSchema.safeParse(JSON.parse(line));
          } catch {
            return;
          }
          if (event.success && event.data.event === 'shard') {
            done++;
            const node = event.data.node !== undefined ? ` on ${String(event.data.node)}` : '';
            const seconds = event.data.seconds !== undefined ? ` in ${event.data.seconds.toFixed(1)}s` : '';
            log(`judgeflow: shard ${event.data.id ?? '?'} done${node}${seconds} (${done}/${shards.length})`);
          }
        },
        ...(context.signal !== undefined ? { signal: context.signal } : {}),
      });
    }
    const runSeconds = (Date.now() - runStarted) / 1000;
    // the model is not needed any more: free its memory before the recording
    await server?.close();
    server = undefined;

    // merge: the shard request names every shard (a missing output is missing documents) and the model
    // (lm-eval's `config.model_args` in results.json)
    const mergeStarted = Date.now();
    const mergedDir = path.join(work, 'merged');
    const merged = mergeAnswerSchema.parse(
      await run(['merge', '--request', shardFile, '--shards', shardsDir, '--out', mergedDir]),
    );
    const resultsFile = path.join(mergedDir, 'results.json');
    const results = existsSync(resultsFile)
      ? lmEvalResultsSchema.parse(JSON.parse(await readFile(resultsFile, 'utf8')))
      : merged.results;
    const mergeSeconds = (Date.now() - mergeStarted) / 1000;

    // record
    const recordStarted = Date.now();
    const lmEvalVersion = results.lm_eval_version ?? described.lm_eval_version;
    const recorded = await recordBench({
      request,
      results,
      resultsFile,
      samplesFiles: merged.samples_files,
      tasks: described.tasks.map((task) => ({
        name: task.name,
        outputType: task.output_type,
        ...(task.dataset?.digest !== undefined ? { digest: task.dataset.digest } : {}),
      })),
      model,
      baseUrl: shownUrl,
      shards: shards.length,
      lmEvalVersion,
      outDir,
      ...(trackingUri !== undefined ? { trackingUri } : {}),
      env: env.raw,
      log,
      ...(context.signal !== undefined ? { signal: context.signal } : {}),
    });
    const recordSeconds = (Date.now() - recordStarted) / 1000;
    return {
      outDir,
      model,
      baseUrl: shownUrl,
      lmEvalVersion,
      tasks: described.tasks,
      shards,
      results,
      metrics: recorded.metrics,
      recorded,
      seconds: {
        start: startSeconds,
        run: runSeconds,
        merge: mergeSeconds,
        record: recordSeconds,
        total: (Date.now() - started) / 1000,
      },
    };
  } finally {
    await server?.close();
    if (!env.debug) await rm(work, { recursive: true, force: true });
    else log(`judgeflow: --debug: the benchmark's work folder is kept: ${work}`);
  }
}

/** `--local`: judgeflow's embedded model behind serve-judge on a free loopback port, for this run. */
async function serveEmbeddedModel(
  env: Env,
  log: (line: string) => void,
): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const { defaultLocalJudgePath } = await import('../../providers/local.js');
  const modelPath = defaultLocalJudgePath(env);
  if (!existsSync(modelPath))
    throw new MissingComponentError(`the embedded model ${modelPath} does not exist`, {
      installCommand: 'judgeflow setup',
    });
  const { serveJudge } = await import('../../judges/serve-judge.js');
  const server = await serveJudge({
    modelPath,
    port: 0,
    log: (line) => (env.debug ? log(`serve-judge: ${line}`) : undefined),
  });
  try {
    await server.ready;
  } catch (error) {
    await server.close();
    throw error;
  }
  log(`judgeflow: serving the embedded model ${path.basename(modelPath)} at ${server.baseUrl} for this run`);
  return server;
}
