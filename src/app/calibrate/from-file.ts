import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { DatasetError } from '../../core/errors.js';
import type { TraceInfo } from '../../sinks/mlflow/wire.js';
import { sampleValues } from './from-mlflow.js';
import { labelOf } from './labels.js';
import type { CalibrationInput, HumanLabelRecord, JudgeVerdictRecord, PairOrder } from './types.js';

/**
 * One line of a labels file (JSONL, or CSV with a header). `row_id` (or `trace_id`) names the item,
 * `name` the criterion (the judge's feedback name), `value` the label, `reviewer` who gave it. `source`
 * says whose it is: HUMAN (default) or, in a `--dataset` file that carries the judges' verdicts too,
 * LLM_JUDGE / CODE (then `reviewer` is the judge's id); judge lines may carry `prompt_name`,
 * `prompt_version` and `samples` (a JSON list of the sample values).
 */
const lineSchema = z.looseObject({
  row_id: z.union([z.string(), z.number()]).optional(),
  trace_id: z.string().optional(),
  name: z.string().min(1),
  value: z.union([z.string(), z.number(), z.boolean()]),
  reviewer: z.string().min(1),
  source: z
    .string()
    .transform((s) => s.trim().toUpperCase())
    .pipe(z.enum(['HUMAN', 'LLM_JUDGE', 'CODE']))
    .optional(),
  prompt_name: z.string().optional(),
  prompt_version: z.union([z.string(), z.number()]).optional(),
  samples: z.union([z.string(), z.array(z.unknown())]).optional(),
});

export interface LabelLine {
  line: number;
  itemId: string;
  source: 'HUMAN' | 'LLM_JUDGE' | 'CODE';
  human?: HumanLabelRecord;
  judge?: JudgeVerdictRecord;
}

/** Reads and checks every line; the first bad one is a DatasetError with its line number. */
export async function readLabelsFile(file: string): Promise<LabelLine[]> {
  const text = await readFile(file, 'utf8');
  const raw = /\.csv$/i.test(file) ? csvLines(file, text) : jsonLines(file, text);
  return raw.map(({ line, record }) => labelLine(file, line, record));
}

function jsonLines(file: string, text: string): Array<{ line: number; record: unknown }> {
  const out: Array<{ line: number; record: unknown }> = [];
  text.split(/\r?\n/).forEach((content, i) => {
    if (content.trim() === '') return;
    try {
      out.push({ line: i + 1, record: JSON.parse(content) });
    } catch (error) {
      throw new DatasetError({ file, line: i + 1, message: 'not valid JSON', cause: error });
    }
  });
  return out;
}

function csvLines(file: string, text: string): Array<{ line: number; record: unknown }> {
  try {
    const rows = parse(text, {
      columns: true,
      skip_empty_lines: true,
      info: true,
      bom: true,
      trim: true,
    }) as Array<{
      record: Record<string, string>;
      info: { lines: number };
    }>;
    return rows.map(({ record, info }) => {
      // empty CSV cells are absent fields
      const cleaned: Record<string, string> = {};
      for (const [key, value] of Object.entries(record)) if (value !== '') cleaned[key] = value;
      return { line: info.lines, record: cleaned };
    });
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new DatasetError({
      file,
      ...(line !== undefined ? { line } : {}),
      message: `not valid CSV: ${(error as Error).message}`,
      cause: error,
    });
  }
}

function labelLine(file: string, line: number, record: unknown): LabelLine {
  const parsed = lineSchema.safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DatasetError({
      file,
      line,
      ...(issue?.path[0] !== undefined ? { field: String(issue.path[0]) } : {}),
      message: issue?.message ?? 'not a label',
      expected: 'row_id (or trace_id), name, value, reviewer; optional source HUMAN | LLM_JUDGE | CODE',
    });
  }
  const data = parsed.data;
  const itemId = data.trace_id ?? (data.row_id !== undefined ? String(data.row_id) : undefined);
  if (itemId === undefined)
    throw new DatasetError({ file, line, field: 'row_id', message: 'no row_id or trace_id' });
  const value = labelOf(data.value);
  if (value === undefined) throw new DatasetError({ file, line, field: 'value', message: 'empty value' });
  const source = data.source ?? 'HUMAN';
  if (source === 'HUMAN')
    return { line, itemId, source, human: { itemId, name: data.name, value, reviewer: data.reviewer } };
  const samples =
    data.samples === undefined
      ? undefined
      : sampleValues(typeof data.samples === 'string' ? data.samples : JSON.stringify(data.samples));
  if (data.samples !== undefined && samples === undefined)
    throw new DatasetError({ file, line, field: 'samples', message: 'not a JSON list of values' });
  return {
    line,
    itemId,
    source,
    judge: {
      itemId,
      name: data.name,
      judge: data.reviewer,
      sourceType: source,
      value,
      ...(data.prompt_name !== undefined && data.prompt_version !== undefined
        ? { prompt: { name: data.prompt_name, version: String(data.prompt_version) } }
        : {}),
      ...(samples !== undefined ? { samples } : {}),
    },
  };
}

/** A `--dataset` file: human labels and judge verdicts, all from the file. */
export function inputFromLines(lines: readonly LabelLine[]): CalibrationInput {
  return {
    humans: lines.flatMap((l) => (l.human !== undefined ? [l.human] : [])),
    judges: lines.flatMap((l) => (l.judge !== undefined ? [l.judge] : [])),
    overridden: {},
  };
}

/**
 * `--labels FILE` against a run: every line must be a HUMAN label on an item of the run — its
 * `row_id` a trace id, the trace's row id (`mlflow.eval.requestId`) or its client request id. Every
 * line is checked before anything is used; the first one naming no trace of the run is reported with
 * its line number.
 */
export function humanLabelsForRun(
  file: string,
  lines: readonly LabelLine[],
  traces: readonly TraceInfo[],
): HumanLabelRecord[] {
  const byId = new Map<string, string>();
  for (const trace of traces) {
    byId.set(trace.trace_id, trace.trace_id);
    const rowId = trace.tags?.['mlflow.eval.requestId'];
    if (rowId !== undefined && !byId.has(rowId)) byId.set(rowId, trace.trace_id);
    if (trace.client_request_id !== undefined && !byId.has(trace.client_request_id))
      byId.set(trace.client_request_id, trace.trace_id);
  }
  return lines.map((line) => {
    if (line.human === undefined)
      throw new DatasetError({
        file,
        line: line.line,
        field: 'source',
        message: `a --labels file holds human labels only (found ${line.source}); put judge verdicts in a --dataset file`,
      });
    const traceId = byId.get(line.itemId);
    if (traceId === undefined)
      throw new DatasetError({
        file,
        line: line.line,
        field: 'row_id',
        message: `"${line.itemId}" is no trace or row of the run`,
      });
    return { ...line.human, itemId: traceId };
  });
}

const pairOrder = z.enum(['A', 'B', 'tie', 'error']);
const comparisonSchema = z.looseObject({
  pairwise: z.looseObject({
    judge: z.string(),
    rows: z.array(z.looseObject({ ab: pairOrder, ba: pairOrder })),
  }),
});

/** The pairwise verdicts of a comparison.json (`judgeflow compare --pairwise`). */
export async function readPairwise(
  file: string,
): Promise<{ judge: string; rows: Array<{ ab: PairOrder; ba: PairOrder }> }> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new DatasetError({ file, message: 'not a JSON file', cause: error });
  }
  const parsed = comparisonSchema.safeParse(json);
  if (!parsed.success)
    throw new DatasetError({
      file,
      field: 'pairwise',
      message: 'no pairwise rows (write it with judgeflow compare --pairwise)',
    });
  return {
    judge: parsed.data.pairwise.judge,
    rows: parsed.data.pairwise.rows.map((r) => ({ ab: r.ab, ba: r.ba })),
  };
}
