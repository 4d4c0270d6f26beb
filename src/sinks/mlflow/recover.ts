import { createReadStream, existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigError } from '../../core/errors.js';
import type { RowResult } from '../../core/result.js';
import type { MlflowClient } from './client.js';
import { ColspecSchemaBuilder, type SchemaColumn } from './dataset-schema.js';
import { mlflowLimits } from './limits.js';
import { pythonJsonDumps } from './python-json.js';
import { RESULTS_TABLE_ARTIFACT, writeResultsTable } from './results-table.js';
import type { RunWriter } from './run-writer.js';
import type { SpoolState } from './spool.js';
import { missingAssessments } from './trace-job.js';
import { defaultTracePolicy, isTraced, parseTracePolicy } from './trace-policy.js';
import type { TraceInfo } from './wire.js';

/** Metrics of the rows a dead run finished, computed by the caller (the runner's aggregation). */
export type MetricsFromResults = (resultsFile: string) => Promise<Record<string, number>>;

/**
 * The spool of a run whose process died (SIGKILL, a crash, the machine going down): its state has no
 * `finish`, and the process that wrote it is gone. A spool whose writer still runs is refused — two
 * writers must never work on one run.
 */
export function diedWhileWriting(state: SpoolState): boolean {
  if (state.finish !== undefined || state.writer === undefined) return false;
  if (state.writer.host === os.hostname() && processAlive(state.writer.pid)) {
    throw new ConfigError(
      `the run writing this folder is still going (pid ${state.writer.pid}); wait for it to end, or stop it first`,
      { field: 'out_dir' },
    );
  }
  return true;
}

export interface RecoveryReport {
  /** Rows of results.jsonl written now (they were lost with the process's in-memory queue). */
  rowsWritten: number;
  /** Rows of results.jsonl already complete in MLflow. */
  rowsPresent: number;
}

/**
 * Completes a run whose process died: every row in results.jsonl (everything it finished scoring)
 * that MLflow lacks, or holds only in part, is written — found by one trace search per 100 traces,
 * then check-then-write — and the run's end is prepared as KILLED, with the metrics of those rows,
 * the dataset input, results.jsonl and the results table. The caller delivers `state.finish`.
 */
export async function recoverDeadRun(options: {
  outDir: string;
  writer: RunWriter;
  client: MlflowClient;
  metrics: MetricsFromResults;
  log: (line: string) => void;
}): Promise<RecoveryReport> {
  const { writer, outDir } = options;
  const state = writer.state;
  const context = writer.context();
  const policy = state.traces !== undefined ? parseTracePolicy(state.traces) : defaultTracePolicy;
  const resultsFile = path.join(outDir, 'results.jsonl');
  const report: RecoveryReport = { rowsWritten: 0, rowsPresent: 0 };

  const stored = new Map<string, TraceInfo>();
  for await (const info of options.client.searchAllTraces({
    experimentIds: [context.experimentId],
    filter: `attributes.run_id = '${context.runId}'`,
    maxResults: 100,
  })) {
    stored.set(info.trace_id, info);
  }

  const dataset = state.start.dataset;
  const schema = new ColspecSchemaBuilder((dataset?.columns ?? ['inputs']) as SchemaColumn[]);
  const names = new Set<string>();
  const rows: RowResult[] = [];
  const seen = new Set<string>();
  let count = 0;
  const flush = async (): Promise<void> => {
    if (rows.length === 0) return;
    const batch = rows.splice(0, rows.length);
    await writer.writeRows(
      batch.map((row) => writer.jobFor(row)),
      { verify: true },
    );
    report.rowsWritten += batch.length;
  };
  if (existsSync(resultsFile)) {
    for await (const result of readResults(resultsFile)) {
      if (seen.has(result.id)) continue;
      seen.add(result.id);
      count++;
      schema.add({
        inputs: result.inputs,
        outputs: result.outputs,
        expectations: result.expectations,
        tags: result.tags,
      });
      for (const feedback of result.feedbacks) names.add(feedback.name);
      if (!isTraced(policy, result)) continue;
      const job = writer.jobFor(result);
      const info = stored.get(job.traceId);
      if (
        info !== undefined &&
        info.tags?.['mlflow.trace.spansLocation'] === 'TRACKING_STORE' &&
        missingAssessments(job.assessments, info.assessments ?? []).length === 0
      ) {
        report.rowsPresent++;
        continue;
      }
      rows.push(result);
      if (rows.length >= mlflowLimits.traceLinks) await flush();
    }
  }
  await flush();

  const table = await writeResultsTable({
    outDir,
    runId: context.runId,
    policy,
    feedbackNames: [...names],
  });
  const endTime = existsSync(resultsFile) ? Math.floor(statSync(resultsFile).mtimeMs) : Date.now();
  const metrics = existsSync(resultsFile) ? await options.metrics(resultsFile) : {};
  const schemaJson = schema.schemaJson();
  state.finish = {
    status: 'KILLED',
    end_time: endTime,
    metrics: Object.entries(metrics)
      .filter(([, value]) => Number.isFinite(value))
      .map(([key, value]) => ({ key, value, timestamp: endTime, step: 0 })),
    ...(dataset !== undefined
      ? {
          dataset: {
            name: dataset.name,
            digest: dataset.digest,
            source_type: dataset.source_type,
            source: dataset.source,
            ...(schemaJson !== undefined ? { schema: schemaJson } : {}),
            profile: schema.profileJson(count) ?? pythonJsonDumps({ num_rows: count }),
          },
        }
      : {}),
    artifacts: [
      ...(existsSync(resultsFile) ? [{ path: 'results.jsonl', file: 'results.jsonl' }] : []),
      ...(table !== undefined
        ? [{ path: RESULTS_TABLE_ARTIFACT, file: RESULTS_TABLE_ARTIFACT, table: true }]
        : []),
    ],
  };
  options.log(
    `the run's process died; completed it from results.jsonl: ${report.rowsWritten} row(s) written, ${report.rowsPresent} already in MLflow; the run ends KILLED`,
  );
  return report;
}

async function* readResults(file: string): AsyncGenerator<RowResult> {
  const lines = createInterface({
    input: createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    let parsed: RowResult;
    try {
      parsed = JSON.parse(text) as RowResult;
    } catch {
      // The last line of a killed process can be cut short: it never reached any other writer.
      continue;
    }
    if (typeof parsed.id !== 'string') {
      throw new ConfigError(`${file}:${line}: not a judgeflow result line (no "id")`, {
        field: 'results.jsonl',
      });
    }
    parsed.feedbacks ??= [];
    parsed.expectations ??= {};
    parsed.tags ??= {};
    parsed.trace ??= { spans: [] };
    yield parsed;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
