import { createHash } from 'node:crypto';
import { canonicalJson } from './json.js';

/** sha256 of the canonical JSON of a row's inputs, hex. Repeated inputs get `#2`, `#3`, ... (see RowIdAssigner). */
export function rowIdFromInputs(inputs: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(inputs)).digest('hex');
}

/**
 * Assigns row ids in file order: the explicit `id`, else the inputs hash with `#n` for repeats.
 * Duplicate detection needs every id seen; to keep the validation pass small for million-row files,
 * the table holds a 16-byte binary key per row (the first 128 bits of a sha256), not the id itself.
 */
export class RowIdAssigner {
  private readonly explicit = new Set<string>();
  private readonly derivedCounts = new Map<string, number>();

  /** Returns the id, or the duplicate explicit id (the caller turns it into a DatasetError with the location). */
  assign(
    explicitId: string | undefined,
    inputs: Record<string, unknown>,
  ): { id: string } | { duplicate: string } {
    if (explicitId !== undefined) {
      const key = createHash('sha256').update(explicitId).digest().toString('latin1', 0, 16);
      if (this.explicit.has(key)) return { duplicate: explicitId };
      this.explicit.add(key);
      return { id: explicitId };
    }
    const digest = createHash('sha256').update(canonicalJson(inputs)).digest();
    const key = digest.toString('latin1', 0, 16);
    const seen = this.derivedCounts.get(key) ?? 0;
    this.derivedCounts.set(key, seen + 1);
    const base = digest.toString('hex');
    return { id: seen === 0 ? base : `${base}#${seen + 1}` };
  }
}
