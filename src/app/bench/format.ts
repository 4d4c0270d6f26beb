import { splitResultKey } from './metric-names.js';
import type { LmEvalResults } from './protocol.js';

export interface BenchTableRow {
  task: string;
  metric: string;
  filter: string;
  value: number;
  stderr?: number;
  /** Documents evaluated (lm-eval's effective n-samples), when known. */
  n?: number;
}

/** One row per (task or group, metric, filter) of lm-eval's results, in lm-eval's order. */
export function benchTableRows(results: LmEvalResults): BenchTableRow[] {
  const rows: BenchTableRow[] = [];
  for (const [task, entries] of Object.entries(results.results)) {
    const n = effectiveSamples(results['n-samples']?.[task]) ?? numberOf(entries.sample_len);
    for (const [key, value] of Object.entries(entries)) {
      const split = splitResultKey(key);
      if (split === undefined || split.metric.endsWith('_stderr') || typeof value !== 'number') continue;
      const stderr = entries[`${split.metric}_stderr,${split.filter}`];
      rows.push({
        task,
        metric: split.metric,
        filter: split.filter,
        value,
        ...(typeof stderr === 'number' && Number.isFinite(stderr) ? { stderr } : {}),
        ...(n !== undefined ? { n } : {}),
      });
    }
  }
  return rows;
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function effectiveSamples(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  return numberOf((value as { effective?: unknown }).effective);
}

/** The table `judgeflow bench` prints (lm-eval's own layout, less its version column). */
export function formatBenchTable(rows: readonly BenchTableRow[]): string {
  const header = ['task', 'metric', 'filter', 'value', '± stderr', 'n'];
  const body = rows.map((row) => [
    row.task,
    row.metric,
    row.filter,
    row.value.toFixed(4),
    row.stderr !== undefined ? row.stderr.toFixed(4) : '—',
    row.n !== undefined ? String(row.n) : '',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((cells) => (cells[column] ?? '').length)),
  );
  const numeric = new Set([3, 4, 5]);
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        numeric.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n');
}
