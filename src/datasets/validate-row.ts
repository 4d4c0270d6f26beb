import { z } from 'zod';
import { DatasetError } from '../core/errors.js';
import { isPlainObject } from '../core/json.js';
import { type RecordInput, type RowLocation, rowWhere } from '../core/record.js';
import { flatRowToStructured, type StructuredCandidate } from './flat-row.js';

const structuredFields = ['id', 'inputs', 'outputs', 'expectations', 'tags'] as const;

/**
 * A structured row. The `error` strings are what the DatasetError reports as expected.
 * Tag values must be strings; numbers and booleans are converted (`3` → `"3"`), as MLflow tags are strings.
 * null stands for "absent" in id, outputs, expectations and tags (what a DataFrame export writes).
 */
const idExpected = 'a non-empty string or a number';
const structuredRowSchema = z.strictObject({
  id: z
    .union([z.string().min(1, { error: idExpected }), z.number().finite()], { error: idExpected })
    .nullish(),
  inputs: z
    .record(z.string(), z.unknown(), { error: 'an object' })
    .refine((inputs) => Object.keys(inputs).length > 0, { error: 'a non-empty object' }),
  outputs: z.unknown().optional(),
  expectations: z.record(z.string(), z.unknown(), { error: 'an object' }).nullish(),
  tags: z
    .record(
      z.string(),
      z.union([z.string(), z.number().finite(), z.boolean()], {
        error: 'a string (numbers and booleans are converted)',
      }),
      { error: 'an object of strings' },
    )
    .nullish(),
});

/**
 * Validates one raw row into a record (id still optional: ids are assigned in file order by the scan).
 * A row with an `inputs` key is structured (only id, inputs, outputs, expectations, tags allowed);
 * a row without one is flat and its columns are mapped (see flatRowToStructured).
 * Throws a DatasetError naming the location, the field and what was expected.
 */
export function validateRow(raw: unknown, location: RowLocation): RecordInput {
  if (!isPlainObject(raw)) {
    throw new DatasetError({
      ...rowWhere(location),
      message: `the row is ${describeValue(raw)}`,
      expected: 'an object with "inputs" (or flat columns)',
    });
  }
  const flat = raw.inputs === undefined;
  const candidate: StructuredCandidate | Record<string, unknown> = flat
    ? flatRowToStructured(raw, location)
    : raw;
  const parsed = structuredRowSchema.safeParse(candidate);
  if (!parsed.success) {
    throw issueError(parsed.error.issues[0], candidate, location, flat, parsed.error);
  }
  const row = parsed.data;
  const record: RecordInput = { inputs: row.inputs };
  if (row.id !== undefined && row.id !== null)
    record.id = typeof row.id === 'number' ? String(row.id) : row.id;
  if (row.outputs !== undefined && row.outputs !== null) record.outputs = row.outputs;
  if (row.expectations && Object.keys(row.expectations).length > 0) record.expectations = row.expectations;
  if (row.tags && Object.keys(row.tags).length > 0) {
    const tags: Record<string, string> = {};
    for (const [key, value] of Object.entries(row.tags)) tags[key] = String(value);
    record.tags = tags;
  }
  return record;
}

function issueError(
  issue: z.core.$ZodIssue | undefined,
  candidate: unknown,
  location: RowLocation,
  flat: boolean,
  cause: unknown,
): DatasetError {
  const where = { ...rowWhere(location), cause };
  if (issue === undefined) return new DatasetError({ ...where, message: 'invalid row' });
  if (issue.code === 'unrecognized_keys') {
    return new DatasetError({
      ...where,
      field: issue.keys[0] ?? '',
      message: 'unknown field in a row with "inputs"',
      expected: `only ${structuredFields.join(', ')}; or leave out "inputs" to use flat columns`,
    });
  }
  const field = issue.path.map(String).join('.');
  if (flat && field === 'inputs') {
    return new DatasetError({
      ...where,
      field: 'inputs',
      message: 'the row has no input columns (every column is an id, outputs, expectation or tag)',
      expected: 'at least one input column',
    });
  }
  return new DatasetError({
    ...where,
    field,
    message: `got ${describeValue(valueAt(candidate, issue.path))}`,
    expected: issue.message,
  });
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** A short description of a value for error messages: its kind, and a string's beginning. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    const excerpt = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return value === '' ? 'an empty string' : `a string (${JSON.stringify(excerpt)})`;
  }
  if (typeof value === 'object') return Object.keys(value).length === 0 ? 'an empty object' : 'an object';
  return `a ${typeof value} (${String(value)})`;
}
