import type { RowResult } from '../../core/result.js';
import type { PairInput } from './judge-pairs.js';

/** The parts of a row result pairing needs (a results.jsonl row or a RowResult). */
export type PairableRow = Pick<RowResult, 'id' | 'inputs' | 'outputs' | 'expectations'> & {
  error?: RowResult['error'] | undefined;
};

export interface PairedRows {
  /** Rows both sides answered, in A's order. */
  pairs: PairInput[];
  /** Row ids only A has. */
  onlyInA: string[];
  /** Row ids only B has. */
  onlyInB: string[];
  /** Row ids on both sides where a model call failed on at least one side: nothing to compare. */
  failed: string[];
}

/**
 * Two models' results on the same dataset as pairs for `judgePairs`, matched by row id. The inputs and
 * expectations are A's (the same row of the same dataset); an empty expectations object counts as none,
 * so the judge gets the reference-free prompt.
 */
export function pairRows(a: Iterable<PairableRow>, b: Iterable<PairableRow>): PairedRows {
  const byId = new Map<string, PairableRow>();
  for (const row of b) byId.set(row.id, row);
  const result: PairedRows = { pairs: [], onlyInA: [], onlyInB: [], failed: [] };
  const seen = new Set<string>();
  for (const row of a) {
    seen.add(row.id);
    const other = byId.get(row.id);
    if (other === undefined) {
      result.onlyInA.push(row.id);
      continue;
    }
    if (row.error !== undefined || other.error !== undefined) {
      result.failed.push(row.id);
      continue;
    }
    const pair: PairInput = {
      rowId: row.id,
      inputs: row.inputs,
      outputA: row.outputs,
      outputB: other.outputs,
    };
    if (Object.keys(row.expectations).length > 0) pair.expectations = row.expectations;
    result.pairs.push(pair);
  }
  for (const id of byId.keys()) if (!seen.has(id)) result.onlyInB.push(id);
  return result;
}
