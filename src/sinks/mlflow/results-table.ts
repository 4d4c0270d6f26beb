import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { pythonJsonDumps } from './python-json.js';
import { traceIdFor } from './trace-ids.js';
import { isTraced, type PolicyRow, type TracePolicy } from './trace-policy.js';

/** The run artifact that holds every row's result, and the run tag that makes it a table. */
export const RESULTS_TABLE_ARTIFACT = 'eval_results_table.json';
export const LOGGED_ARTIFACTS_TAG = 'mlflow.loggedArtifacts';

/**
 * The `mlflow.loggedArtifacts` tag value `mlflow.log_table` leaves after logging these tables (Python's
 * text); by default the results table alone.
 */
export function loggedArtifactsTag(tables: readonly string[] = [RESULTS_TABLE_ARTIFACT]): string {
  return pythonJsonDumps(tables.map((table) => ({ path: table, type: 'table' })));
}

/** The fixed columns, then `<feedback>/value`, `<feedback>/rationale`, `<feedback>/error` per name. */
const BASE_COLUMNS = [
  'request_id',
  'trace_id',
  'inputs',
  'outputs',
  'expectations',
  'tags',
  'error',
  'duration_ms',
] as const;

interface ResultLine extends PolicyRow {
  inputs?: unknown;
  outputs?: unknown;
  expectations?: unknown;
  tags?: unknown;
  duration_ms?: number;
  feedbacks: Array<{
    name: string;
    value?: unknown;
    rationale?: string;
    error?: { code?: string; message?: string };
  }>;
}

/**
 * Writes `<outDir>/eval_results_table.json` from `<outDir>/results.jsonl`: every row's result in the
 * layout `mlflow.log_table` writes (pandas' `orient="split"` JSON: `{"columns": [...], "data":
 * [[...], ...]}`), so `mlflow.load_table(RESULTS_TABLE_ARTIFACT, run_ids=[...])` and the UI's artifact
 * view read it. `trace_id` is the row's trace when the policy gave it one, else null. Streams both
 * files: memory stays flat in the number of rows. Returns the file's path, or undefined when there
 * are no results.
 */
export async function writeResultsTable(options: {
  outDir: string;
  runId: string;
  policy: TracePolicy;
  /** Feedback names, in the order their columns should appear. */
  feedbackNames: readonly string[];
}): Promise<string | undefined> {
  const source = path.join(options.outDir, 'results.jsonl');
  if (!existsSync(source)) return undefined;
  const target = path.join(options.outDir, RESULTS_TABLE_ARTIFACT);
  const columns: string[] = [...BASE_COLUMNS];
  for (const name of options.feedbackNames)
    columns.push(`${name}/value`, `${name}/rationale`, `${name}/error`);
  const out = createWriteStream(target);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', resolve));
  };
  await write(`{"columns":${JSON.stringify(columns)},"data":[`);
  const lines = createInterface({
    input: createReadStream(source, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let first = true;
  for await (const text of lines) {
    if (text.trim() === '') continue;
    const row = JSON.parse(text) as ResultLine;
    row.feedbacks ??= [];
    await write(`${first ? '' : ','}${JSON.stringify(tableRow(row, options))}`);
    first = false;
  }
  out.end(']}\n');
  await finished(out);
  return target;
}

function tableRow(
  row: ResultLine,
  options: { runId: string; policy: TracePolicy; feedbackNames: readonly string[] },
): unknown[] {
  const traced = isTraced(options.policy, row);
  const cells: unknown[] = [
    row.id,
    traced ? `tr-${traceIdFor(options.runId, row.id)}` : null,
    row.inputs ?? null,
    row.outputs ?? null,
    row.expectations ?? null,
    row.tags ?? null,
    row.error ?? null,
    row.duration_ms ?? null,
  ];
  for (const name of options.feedbackNames) {
    // A scorer may return several feedbacks of one name: then the cells hold lists.
    const mine = row.feedbacks.filter((feedback) => feedback.name === name);
    const pick = <T>(get: (f: ResultLine['feedbacks'][number]) => T): T | T[] | null =>
      mine.length === 0
        ? null
        : mine.length === 1
          ? get(mine[0] as ResultLine['feedbacks'][number])
          : mine.map(get);
    cells.push(
      pick((f) => (f.error !== undefined ? null : (f.value ?? null))),
      pick((f) => f.rationale ?? null),
      pick((f) => (f.error !== undefined ? `${f.error.code ?? 'ERROR'}: ${f.error.message ?? ''}` : null)),
    );
  }
  return cells;
}
