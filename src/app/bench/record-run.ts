import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { readEnv } from '../../config/env.js';
import type { Feedback } from '../../core/feedback.js';
import type { RecordInput } from '../../core/record.js';
import type { Sink } from '../../core/sink.js';
import { digestLength } from '../../datasets/scan-dataset.js';
import { scorer } from '../../scorers/scorer.js';
import { type EvaluateResult, evaluateWith } from '../evaluate.js';
import { type TaskMetric, taskMetrics } from './metric-names.js';
import type { BenchRequest } from './options.js';
import type { LmEvalResults } from './protocol.js';
import { buildTaskRecords, parseSamplesJsonl } from './records.js';

export interface RecordBenchOptions {
  request: BenchRequest;
  /** lm-eval's merged results dict (results.json). */
  results: LmEvalResults;
  /** The merged results.json and samples files (task → path). */
  resultsFile: string;
  samplesFiles: Readonly<Record<string, string>>;
  /** Leaf tasks in order, with their output type and the digest of their documents. */
  tasks: ReadonlyArray<{ name: string; outputType: string; digest?: string }>;
  model: string;
  /** The server's base URL without credentials. */
  baseUrl: string;
  shards: number;
  lmEvalVersion: string;
  outDir: string;
  /** MLflow tracking URI; undefined: files only. */
  trackingUri?: string;
  env: Readonly<Record<string, string | undefined>>;
  log: (line: string) => void;
  signal?: AbortSignal;
}

export interface RecordBenchResult {
  evaluation: EvaluateResult;
  metrics: TaskMetric[];
  /** Where lm-eval's own files were put: `<out>/lm_eval/`. */
  lmEvalDir: string;
  notes: string[];
}

/**
 * Records a finished benchmark like every other judgeflow run, through `evaluateWith()`: one record
 * per document with the model's recorded outputs (no model call), one code scorer that hands back
 * lm-eval's per-sample metric values — so traces, assessments, the results table and the dataset
 * input are laid out as for `judgeflow run`. lm-eval's task metrics reach the run's metrics through a
 * derived sink (summary.json holds them too); params and lm-eval's files are added to the run after.
 */
export async function recordBench(options: RecordBenchOptions): Promise<RecordBenchResult> {
  const records: RecordInput[] = [];
  const feedbacks = new Map<string, Feedback[]>();
  const feedbackNames: string[] = [];
  const notes: string[] = [];
  for (const task of options.tasks) {
    const file = options.samplesFiles[task.name];
    if (file === undefined) continue;
    const config = options.results.configs?.[task.name];
    const delimiter = typeof config?.target_delimiter === 'string' ? config.target_delimiter : undefined;
    const built = buildTaskRecords({
      task: task.name,
      outputType: task.outputType,
      ...(delimiter !== undefined ? { targetDelimiter: delimiter } : {}),
      samples: parseSamplesJsonl(await readFile(file, 'utf8'), file),
    });
    records.push(...built.records);
    for (const [id, list] of built.feedbacks) feedbacks.set(id, list);
    feedbackNames.push(...built.feedbackNames);
    notes.push(...built.notes);
  }
  const metrics = taskMetrics(options.results.results);
  const metricValues = Object.fromEntries(metrics.map((metric) => [metric.name, metric.value]));
  const lmEval = scorer(
    ({ inputs }) => feedbacks.get(`${String(inputs.task)}/${String(inputs.doc_id)}`) ?? [],
    { name: 'lm_eval', feedbackNames },
  );
  const taskMetricsSink: Sink = {
    name: 'lm_eval task metrics',
    start: async () => undefined,
    write: () => undefined,
    finish: async (summary) => ({ summaryPatch: { metrics: { ...summary.metrics, ...metricValues } } }),
  };
  const taskNames = options.tasks.map((task) => task.name);
  const runName = `${options.request.runName ?? 'bench'}-${options.model}`;
  // lm-eval's files reach the output folder whatever happens to the recording: they cost model time
  const recording = evaluateWith(
    {
      data: {
        kind: 'records',
        records,
        name: `bench:${taskNames.join(',')}`,
        source: 'lm-eval samples',
      },
      scorers: [lmEval],
      loggedModel: { name: options.model, config: { api: options.request.api, base_url: options.baseUrl } },
      concurrency: options.request.concurrency,
      outDir: options.outDir,
      experiment: options.request.experiment,
      runName,
      mlflow: options.trackingUri !== undefined ? { trackingUri: options.trackingUri } : false,
      allowNoValues: true,
      env: { ...options.env },
      log: options.log,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    },
    {
      derivedSinks: [taskMetricsSink],
      mlflowTags: {
        'judgeflow.kind': 'benchmark',
        'judgeflow.model': options.model,
        'judgeflow.bench.tasks': taskNames.join(','),
      },
      dataset: {
        digest: benchDigest(options.tasks),
        sourceType: 'lm_eval',
        source: {
          tasks: Object.fromEntries(options.tasks.map((task) => [task.name, task.digest ?? null])),
          limit: options.request.limit ?? null,
        },
      },
    },
  );
  let evaluation: EvaluateResult;
  try {
    evaluation = await recording;
  } finally {
    await copyLmEvalFiles(options).catch((error: unknown) =>
      options.log(`judgeflow: could not copy lm-eval's files into ${options.outDir}: ${String(error)}`),
    );
  }
  const lmEvalDir = path.join(options.outDir, 'lm_eval');
  if (evaluation.mlflow !== undefined && options.trackingUri !== undefined) {
    await addToMlflowRun(options, evaluation.mlflow.run_id, lmEvalDir);
  }
  return { evaluation, metrics, lmEvalDir, notes };
}

/**
 * The dataset digest of a benchmark: over the tasks' names and the digests of their documents (what
 * `describe` reports) — the same for any model, so `judgeflow compare` pairs two models' runs.
 */
export function benchDigest(tasks: ReadonlyArray<{ name: string; digest?: string }>): string {
  const hash = createHash('sha256');
  for (const task of [...tasks].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
    hash.update(`${task.name}\t${task.digest ?? ''}\n`);
  return hash.digest('hex').slice(0, digestLength);
}

/** lm-eval's results.json, samples and task configs (as YAML) under `<out>/lm_eval/`. */
async function copyLmEvalFiles(options: RecordBenchOptions): Promise<string> {
  const dir = path.join(options.outDir, 'lm_eval');
  await mkdir(path.join(dir, 'configs'), { recursive: true });
  await copyFile(options.resultsFile, path.join(dir, 'results.json'));
  for (const [task, file] of Object.entries(options.samplesFiles))
    await copyFile(file, path.join(dir, `samples_${safeName(task)}.jsonl`));
  for (const [task, config] of Object.entries(options.results.configs ?? {}))
    await writeFile(path.join(dir, 'configs', `${safeName(task)}.yaml`), stringify(config));
  return dir;
}

function safeName(task: string): string {
  return task.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** The benchmark's params and lm-eval's files, added to the run evaluateWith() logged. */
async function addToMlflowRun(options: RecordBenchOptions, runId: string, lmEvalDir: string): Promise<void> {
  const { MlflowClient } = await import('../../sinks/mlflow/client.js');
  const { request } = options;
  const client = new MlflowClient({
    trackingUri: options.trackingUri as string,
    env: readEnv({ ...options.env }),
  });
  try {
    const params: Record<string, string> = {
      lm_eval_version: options.lmEvalVersion,
      model: options.model,
      api: request.api,
      base_url: options.baseUrl,
      num_fewshot: request.numFewshot !== undefined ? String(request.numFewshot) : 'task default',
      limit: request.limit !== undefined ? String(request.limit) : 'none',
      seed: String(request.seed),
      batch_size: String(request.batchSize),
      concurrency: String(request.concurrency),
      bootstrap_iters: String(request.bootstrapIters),
      shards: String(options.shards),
      executor: request.executor,
      ...(request.executor === 'ray' ? { workers: String(request.workers) } : {}),
      apply_chat_template: String(request.applyChatTemplate),
      add_bos_token: String(request.addBosToken),
      ...(request.tokenizer !== undefined ? { tokenizer: request.tokenizer } : {}),
    };
    for (const [task, version] of Object.entries(options.results.versions ?? {}))
      params[`task_version.${task}`] = String(version);
    for (const [task, shots] of Object.entries(options.results['n-shot'] ?? {}))
      params[`n_shot.${task}`] = String(shots);
    await client.logBatch({
      runId,
      params: Object.entries(params).map(([key, value]) => ({ key, value })),
    });
    const run = await client.getRun(runId);
    const artifactUri = run.info.artifact_uri;
    if (artifactUri === undefined) return;
    const upload = async (relative: string) => {
      await client.uploadArtifact({
        artifactUri,
        path: `lm_eval/${relative}`,
        body: await readFile(path.join(lmEvalDir, relative)),
        contentType: relative.endsWith('.json') ? 'application/json' : 'text/plain',
      });
    };
    await upload('results.json');
    for (const task of Object.keys(options.samplesFiles)) await upload(`samples_${safeName(task)}.jsonl`);
    for (const task of Object.keys(options.results.configs ?? {}))
      await upload(`configs/${safeName(task)}.yaml`);
  } finally {
    await client.close();
  }
}
