import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RowResult } from '../core/result.js';
import { emptyUsage } from '../core/usage.js';
import { Aggregator } from '../runner/aggregate.js';

/**
 * The metrics (`<name>/mean`, MLflow's default aggregation) of the rows in a results.jsonl — for a
 * run whose process died before it could aggregate them (`judgeflow mlflow sync` completes it). A
 * cut-off last line is skipped; the first result of a row id counts.
 */
export async function metricsFromResultsFile(file: string): Promise<Record<string, number>> {
  const aggregator = new Aggregator();
  const seen = new Set<string>();
  const lines = createInterface({
    input: createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const text of lines) {
    if (text.trim() === '') continue;
    let row: RowResult;
    try {
      row = JSON.parse(text) as RowResult;
    } catch {
      continue;
    }
    if (typeof row.id !== 'string' || seen.has(row.id)) continue;
    seen.add(row.id);
    row.feedbacks ??= [];
    row.usage ??= emptyUsage();
    aggregator.add(row);
  }
  return aggregator.metrics();
}
