import { createHash } from 'node:crypto';
import { canonicalJson } from './json.js';

/** sha256 of the canonical JSON of a row's inputs, hex. Repeated inputs get `#2`, `#3`, ... (see RowIdAssigner). */
export function rowIdFromInputs(inputs: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(inputs)).digest('hex');
}

/**
 * Assigns row ids in file order: the explicit `id`, else the inputs hash with `#n` for repeats.
 * Keeps one entry per id seen (needed to detect duplicates), so memory grows with the number of rows:
 * about 100 bytes a row, 100 MB for a million.
 */
export class RowIdAssigner {
  private readonly explicit = new Set<string>();
  private readonly derivedCounts = new Map<string, number>();

  /** Returns the id, or throws a message (the caller wraps it into a DatasetError with the location). */
  assign(
    explicitId: string | undefined,
    inputs: Record<string, unknown>,
  ): { id: string } | { duplicate: string } {
    if (explicitId !== undefined) {
      if (this.explicit.has(explicitId)) return { duplicate: explicitId };
      this.explicit.add(explicitId);
      return { id: explicitId };
    }
    const base = rowIdFromInputs(inputs);
    const seen = this.derivedCounts.get(base) ?? 0;
    this.derivedCounts.set(base, seen + 1);
    return { id: seen === 0 ? base : `${base}#${seen + 1}` };
  }
}

/** Derives a 128-bit MLflow trace id (32 hex) from the run id and the row id. */
export function traceIdFor(runId: string, rowId: string): string {
  return createHash('sha256').update(`${runId}\u0000${rowId}`).digest('hex').slice(0, 32);
}

/** Derives the root span id (16 hex) of a row's trace from the run id and row id. */
export function rootSpanIdFor(runId: string, rowId: string): string {
  return createHash('sha256').update(`root\u0000${runId}\u0000${rowId}`).digest('hex').slice(0, 16);
}
