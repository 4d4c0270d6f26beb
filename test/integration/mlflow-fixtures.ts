import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunStartInfo } from '../../src/core/events.js';
import type { Feedback } from '../../src/core/feedback.js';
import type { RowResult, RunSummary } from '../../src/core/result.js';
import { type Span, SpanRecorder } from '../../src/core/span.js';
import { emptyUsage } from '../../src/core/usage.js';

/**
 * Row results for the MLflow sink tests, built directly (no runner): the rows of
 * `test/python/reference_data.jsonl` scored by TypeScript twins of the code scorers in
 * `test/python/reference_evaluate.py`. Keep the two in step.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
export const referenceDataPath = path.resolve(here, '../python/reference_data.jsonl');

export interface ReferenceRow {
  id: string;
  inputs: Record<string, unknown>;
  outputs: string;
  expectations: Record<string, unknown>;
  tags: Record<string, string>;
}

export function referenceRows(): ReferenceRow[] {
  return readFileSync(referenceDataPath, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ReferenceRow);
}

const code = (id: string) => ({ type: 'CODE' as const, id });

/** The twins of the Python reference scorers. */
export function referenceFeedbacks(row: ReferenceRow): Feedback[] {
  const exact = row.outputs === row.expectations.expected_response;
  const score = String(row.inputs.question).includes('?') ? 1.0 : 0.5;
  return [
    { name: 'exact_match', value: exact, source: code('exact_match') },
    { name: 'answer_length', value: row.outputs.length, source: code('answer_length') },
    { name: 'verdict', value: exact ? 'yes' : 'no', source: code('verdict') },
    {
      name: 'judged',
      value: score,
      rationale: `question mark present: ${score === 1.0 ? 'True' : 'False'}`,
      source: code('judged'),
    },
    {
      name: 'always_fails',
      value: null,
      error: { code: 'SCORER_ERROR', message: 'boom', stack: 'Traceback: ValueError: boom' },
      source: code('always_fails'),
    },
  ];
}

/** A row result as the per-row pipeline makes it for a row with recorded outputs. */
export function rowResult(
  row: {
    id: string;
    inputs: Record<string, unknown>;
    outputs: unknown;
    expectations?: Record<string, unknown>;
    tags?: Record<string, string>;
  },
  index: number,
  feedbacks: Feedback[],
  options: { error?: { code: string; message: string }; children?: boolean } = {},
): RowResult {
  const recorder = new SpanRecorder();
  const root = recorder.start(null, {
    name: options.children === true ? 'predict' : 'root_span',
    spanType: 'CHAIN',
    inputs: row.inputs,
  });
  if (options.children === true) {
    const llm = root.startChild({
      name: 'model',
      spanType: 'CHAT_MODEL',
      inputs: { messages: [{ role: 'user', content: JSON.stringify(row.inputs) }] },
      attributes: {
        'mlflow.llm.model': 'test-model',
        'mlflow.chat.tokenUsage': { input_tokens: 11, output_tokens: 5, total_tokens: 16 },
      },
    });
    llm.end({ outputs: { choices: [{ message: { role: 'assistant', content: String(row.outputs) } }] } });
    const judge = root.startChild({
      name: 'judge:correctness',
      spanType: 'LLM',
      inputs: { prompt: 'judge this' },
      attributes: {
        'mlflow.llm.model': 'judge-model',
        'mlflow.chat.tokenUsage': { input_tokens: 20, output_tokens: 4, total_tokens: 24 },
      },
    });
    judge.end({ outputs: { verdict: 'yes' } });
  }
  if (options.error !== undefined) root.end({ error: options.error.message });
  else root.end({ outputs: row.outputs });
  const result: RowResult = {
    id: row.id,
    index,
    inputs: row.inputs,
    outputs: options.error !== undefined ? null : row.outputs,
    expectations: row.expectations ?? {},
    tags: row.tags ?? {},
    feedbacks: options.error !== undefined ? [] : feedbacks,
    trace: { spans: recorder.spans },
    usage: emptyUsage(),
    durationMs: 5,
  };
  if (options.error !== undefined) result.error = options.error;
  return result;
}

/** MLflow's aggregation: mean over values cast to numbers (bool → 1/0, yes/no → 1/0), errors skipped. */
export function meanMetrics(results: readonly RowResult[]): Record<string, number> {
  const values = new Map<string, number[]>();
  for (const result of results) {
    for (const feedback of result.feedbacks) {
      if (feedback.error !== undefined) continue;
      const v = feedback.value;
      const n =
        typeof v === 'number'
          ? v
          : typeof v === 'boolean'
            ? Number(v)
            : v === 'yes'
              ? 1
              : v === 'no'
                ? 0
                : undefined;
      if (n === undefined) continue;
      values.set(feedback.name, [...(values.get(feedback.name) ?? []), n]);
    }
  }
  return Object.fromEntries(
    [...values].map(([name, list]) => [`${name}/mean`, list.reduce((a, b) => a + b, 0) / list.length]),
  );
}

export function summaryFor(
  results: readonly RowResult[],
  status: RunSummary['status'] = 'FINISHED',
): RunSummary {
  return {
    rows: results.length,
    failed_rows: results.filter((r) => r.error !== undefined).length,
    error_feedbacks: results.flatMap((r) => r.feedbacks).filter((f) => f.error !== undefined).length,
    metrics: meanMetrics(results),
    counts: {},
    usage: {
      model: { input_tokens: 0, output_tokens: 0, total_tokens: 0, calls: 0, retries: 0, cost_usd: 0 },
      judge: {
        input_tokens: 0,
        output_tokens: 0,
        total_tokens: 0,
        calls: 0,
        retries: 0,
        repairs: 0,
        cost_usd: 0,
      },
      cost_usd: 0,
    },
    started_at: new Date().toISOString(),
    duration_s: 1,
    status,
    dataset: { name: 'dataset', digest: 'abc', rows: results.length },
  };
}

/** A run's start info with a fresh output folder (holding a results.jsonl, as the files sink leaves it). */
export async function startInfo(options: {
  experiment: string;
  rows: readonly RowResult[];
  datasetName?: string;
  runName?: string;
}): Promise<RunStartInfo> {
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-out-'));
  await writeFile(
    path.join(outDir, 'results.jsonl'),
    options.rows.map((r) => JSON.stringify({ id: r.id })).join('\n'),
  );
  return {
    runName: options.runName ?? 'sink-test',
    experiment: options.experiment,
    startedAt: new Date(),
    totalRows: options.rows.length,
    params: { concurrency: '4', 'judge.api_key': 'sk-should-never-appear', 'model.name': 'test-model' },
    dataset: {
      name: options.datasetName ?? 'dataset',
      digest: 'abc123def',
      sourceType: 'code',
      source: {},
      rows: options.rows.length,
      schema: {
        inputs: ['question'],
        outputs: 'string',
        expectations: ['expected_response'],
        tags: ['topic'],
      },
    },
    outDir,
    evalFile: { path: '/tmp/eval.yaml', text: 'experiment: x\n' },
  };
}

export type { Span };
