import path from 'node:path';
import { DatasetError } from '../../core/errors.js';
import type { RawRow } from '../../datasets/dataset-source.js';
import { readCsv } from '../../datasets/read-csv.js';
import { readJsonl } from '../../datasets/read-jsonl.js';
import type { RunTraces } from './run-traces.js';
import { traceForRow } from './run-traces.js';
import type { HumanLabel, LabelProblem } from './write.js';

/** The fields of one line of a labels file (CSV columns or JSONL keys). */
export const LABEL_FIELDS = [
  'trace_id',
  'row_id',
  'name',
  'value',
  'reviewer',
  'rationale',
  'expected',
] as const;
export type LabelField = (typeof LABEL_FIELDS)[number];

/** One line of a labels file, read but not yet checked against a run. */
export interface LabelLine {
  line: number;
  /** How the line names its trace: a trace id, or a judgeflow row id of the run. */
  target: { traceId: string } | { rowId: string };
  name: string;
  value: boolean | number | string;
  reviewer: string;
  rationale?: string;
  expected?: unknown;
}

/** A problem with one line: `file:line: field: what was expected`. */
export interface LineProblem {
  file: string;
  line: number;
  field: string;
  expected: string;
}

export function formatLineProblem(problem: LineProblem): string {
  return `${problem.file}:${problem.line}: ${problem.field}: ${problem.expected}`;
}

export interface ReadLabelsOptions {
  /** The reviewer of lines that name none (`--reviewer`). */
  reviewer?: string;
  /** The criterion of lines that name none (`--name`), e.g. for an export with one column per criterion. */
  name?: string;
  /** Column (or key) → label field, for exports whose columns are named otherwise (`--map annotator=reviewer`). */
  map?: Readonly<Record<string, LabelField>>;
  /** The format; default from the extension (`.csv`; `.jsonl`/`.ndjson`/anything else JSONL). */
  format?: 'csv' | 'jsonl';
}

/** `--map column=field` (repeatable) as a map; an unknown field is an error naming the accepted ones. */
export function parseFieldMap(entries: readonly string[]): Record<string, LabelField> {
  const out: Record<string, LabelField> = {};
  for (const entry of entries) {
    const at = entry.lastIndexOf('=');
    const column = entry.slice(0, at).trim();
    const field = entry.slice(at + 1).trim();
    if (at <= 0 || !(LABEL_FIELDS as readonly string[]).includes(field)) {
      throw new DatasetError({
        file: '--map',
        message: `'${entry}' is not column=field`,
        expected: `column=field with field one of ${LABEL_FIELDS.join(', ')}`,
      });
    }
    out[column] = field as LabelField;
  }
  return out;
}

function cellText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * Reads every line of a labels file, collecting each line's problems (a missing field, a value of the
 * wrong type) instead of stopping at the first, so one pass reports them all.
 */
export async function readLabelsFile(
  file: string,
  options: ReadLabelsOptions = {},
): Promise<{ lines: LabelLine[]; problems: LineProblem[] }> {
  const format = options.format ?? (path.extname(file).toLowerCase() === '.csv' ? 'csv' : 'jsonl');
  const rows: AsyncIterable<RawRow> = format === 'csv' ? readCsv(file) : readJsonl(file);
  const lines: LabelLine[] = [];
  const problems: LineProblem[] = [];
  for await (const row of rows) {
    const line = row.location.line ?? 0;
    const problem = (field: string, expected: string) => problems.push({ file, line, field, expected });
    if (row.raw === null || typeof row.raw !== 'object' || Array.isArray(row.raw)) {
      problem('line', 'a JSON object with trace_id or row_id, name, value, reviewer');
      continue;
    }
    const fields: Record<string, unknown> = {};
    const entries = Object.entries(row.raw as Record<string, unknown>);
    // a mapped column wins over a column that happens to carry the field's own name
    for (const [key, value] of entries) if (options.map?.[key] === undefined) fields[key] = value;
    for (const [key, value] of entries) {
      const field = options.map?.[key];
      if (field !== undefined) fields[field] = value;
    }
    const traceId = cellText(fields.trace_id);
    const rowId = cellText(fields.row_id);
    const name = cellText(fields.name) ?? options.name;
    const reviewer = cellText(fields.reviewer) ?? options.reviewer;
    const rawValue = fields.value;
    const before = problems.length;
    if (traceId === undefined && rowId === undefined) problem('trace_id', 'a trace id (tr-…) or a row_id');
    if (name === undefined) problem('name', 'the criterion (the judge feedback name), or --name');
    if (reviewer === undefined) problem('reviewer', 'a reviewer id, or --reviewer');
    let value: boolean | number | string | undefined;
    if (typeof rawValue === 'boolean' || typeof rawValue === 'number') value = rawValue;
    else if (typeof rawValue === 'string' && rawValue.trim() !== '') value = rawValue.trim();
    if (value === undefined) {
      problem(
        'value',
        rawValue === undefined || rawValue === '' || rawValue === null
          ? 'a value'
          : 'a boolean, a number or text',
      );
    }
    const rationale = fields.rationale;
    if (rationale !== undefined && rationale !== null && typeof rationale !== 'string') {
      problem('rationale', 'text');
    }
    if (problems.length > before) continue;
    const label: LabelLine = {
      line,
      target:
        traceId !== undefined
          ? { traceId: /^[0-9a-f]{32}$/.test(traceId) ? `tr-${traceId}` : traceId }
          : { rowId: rowId as string },
      name: name as string,
      value: value as boolean | number | string,
      reviewer: reviewer as string,
    };
    if (typeof rationale === 'string' && rationale.trim() !== '') label.rationale = rationale;
    if (fields.expected !== undefined && fields.expected !== null && fields.expected !== '') {
      label.expected = fields.expected;
    }
    lines.push(label);
  }
  return { lines, problems };
}

/**
 * Turns read lines into labels of a run: each row id becomes the trace of that row. Lines whose
 * row id or trace the run does not hold come back as problems; `lineOf` maps a label's index back
 * to its line for the problems `checkLabels` reports.
 */
export function resolveLabelLines(
  run: RunTraces,
  file: string,
  lines: readonly LabelLine[],
  options: { expectationName?: string } = {},
): { labels: HumanLabel[]; lineOf: number[]; problems: LineProblem[] } {
  const labels: HumanLabel[] = [];
  const lineOf: number[] = [];
  const problems: LineProblem[] = [];
  for (const line of lines) {
    let traceId: string;
    if ('rowId' in line.target) {
      const found = traceForRow(run, line.target.rowId);
      if (found === undefined) {
        problems.push({
          file,
          line: line.line,
          field: 'row_id',
          expected: `a row of run ${run.runId}, got '${line.target.rowId}'`,
        });
        continue;
      }
      traceId = found;
    } else traceId = line.target.traceId;
    const label: HumanLabel = { traceId, name: line.name, value: line.value, reviewer: line.reviewer };
    if (line.rationale !== undefined) label.rationale = line.rationale;
    if (line.expected !== undefined) {
      label.expectation = { name: options.expectationName ?? 'expected_response', value: line.expected };
    }
    labels.push(label);
    lineOf.push(line.line);
  }
  return { labels, lineOf, problems };
}

/** `checkLabels` problems (by label index) as problems of the file's lines. */
export function labelProblemsOnLines(
  file: string,
  lineOf: readonly number[],
  problems: readonly LabelProblem[],
): LineProblem[] {
  return problems.map((p) => ({
    file,
    line: lineOf[p.index] ?? 0,
    field: p.field,
    expected:
      p.duplicateOf !== undefined
        ? `${p.expected} (line ${lineOf[p.duplicateOf] ?? '?'} gives this one already)`
        : p.expected,
  }));
}
