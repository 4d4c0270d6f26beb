import { DatasetError } from '../core/errors.js';
import { isPlainObject } from '../core/json.js';
import { type RowLocation, rowWhere } from '../core/record.js';

/** Columns read as the recorded outputs of a flat row, in the order a user is most likely to use them. */
export const outputColumns: readonly string[] = ['outputs', 'output', 'response'];

/** Columns that are expectations although they do not start with `expected_`. */
const namedExpectationColumns: ReadonlySet<string> = new Set(['guidelines']);

/** A row in the structured shape, before its field types are checked. */
export interface StructuredCandidate {
  id?: unknown;
  inputs: Record<string, unknown>;
  outputs?: unknown;
  expectations?: Record<string, unknown>;
  tags?: Record<string, unknown>;
}

/**
 * Maps a flat row (one without an `inputs` key: a CSV record or a plain JSON object) onto the record
 * fields. See src/datasets/README.md, "Flat rows":
 * - `id` → id; `outputs`, `output` or `response` → outputs (at most one of them);
 * - `expected_*` (`expected_response`, `expected_facts`, ...), `guidelines`, `expectations.<k>` → expectations;
 *   an `expectations` column holding an object is merged into them;
 * - `tags.<k>` → tags; a `tags` column holding an object is merged into them;
 * - `inputs.<k>` → inputs.k; every other column → inputs.
 * A null (or, in CSV, an empty cell) in a non-input column means "absent"; inputs keep nulls.
 */
export function flatRowToStructured(
  row: Record<string, unknown>,
  location: RowLocation,
): StructuredCandidate {
  const inputs = new TargetObject('inputs', location);
  const expectations = new TargetObject('expectations', location);
  const tags = new TargetObject('tags', location);
  const candidate: StructuredCandidate = { inputs: inputs.values };
  let outputColumn: string | undefined;

  for (const [column, value] of Object.entries(row)) {
    if (value === undefined) continue;
    if (column === 'id') {
      if (value !== null) candidate.id = value;
    } else if (outputColumns.includes(column)) {
      if (value === null) continue;
      if (outputColumn !== undefined) {
        throw new DatasetError({
          ...rowWhere(location),
          field: column,
          message: `both "${outputColumn}" and "${column}" hold outputs`,
          expected: `one outputs column (${outputColumns.join(', ')})`,
        });
      }
      outputColumn = column;
      candidate.outputs = value;
    } else if (column === 'expectations' || column === 'tags') {
      if (value === null) continue;
      if (!isPlainObject(value)) {
        throw new DatasetError({
          ...rowWhere(location),
          field: column,
          message: 'is not an object',
          expected: `an object (in CSV, a JSON object cell), or "${column}.<key>" columns`,
        });
      }
      const target = column === 'tags' ? tags : expectations;
      for (const [key, inner] of Object.entries(value)) target.put(key, inner, column);
    } else if (column.startsWith('expectations.')) {
      if (value !== null) expectations.put(keyAfterPrefix(column, location), value, column);
    } else if (column.startsWith('expected_') || namedExpectationColumns.has(column)) {
      if (value !== null) expectations.put(column, value, column);
    } else if (column.startsWith('tags.')) {
      if (value !== null) tags.put(keyAfterPrefix(column, location), value, column);
    } else if (column.startsWith('inputs.')) {
      inputs.put(keyAfterPrefix(column, location), value, column);
    } else {
      inputs.put(column, value, column);
    }
  }
  if (Object.keys(expectations.values).length > 0) candidate.expectations = expectations.values;
  if (Object.keys(tags.values).length > 0) candidate.tags = tags.values;
  return candidate;
}

/** One of inputs/expectations/tags being filled from columns; two columns setting one key is an error. */
class TargetObject {
  readonly values: Record<string, unknown> = {};
  private readonly setBy = new Map<string, string>();

  constructor(
    private readonly name: string,
    private readonly location: RowLocation,
  ) {}

  put(key: string, value: unknown, column: string): void {
    const earlier = this.setBy.get(key);
    if (earlier !== undefined) {
      throw new DatasetError({
        ...rowWhere(this.location),
        field: column,
        message: `sets ${this.name}.${key}, which column "${earlier}" already set`,
        expected: 'one column per key',
      });
    }
    this.setBy.set(key, column);
    this.values[key] = value;
  }
}

function keyAfterPrefix(column: string, location: RowLocation): string {
  const key = column.slice(column.indexOf('.') + 1);
  if (key === '') {
    throw new DatasetError({
      ...rowWhere(location),
      field: column,
      message: 'names no key',
      expected: `a key after "${column}", e.g. "${column}question"`,
    });
  }
  return key;
}
