import { pythonJsonDumps } from './python-json.js';

/**
 * The dataset schema MLflow shows for an evaluation's run input: `{"mlflow_colspec": [...]}` inferred
 * the way `mlflow.data.from_pandas()` infers it for the evaluation DataFrame (`mlflow/types/utils.py`
 * `_infer_schema`): one column each for inputs, outputs (when the dataset has them), expectations and
 * tags; objects become `object` with sorted, required-when-always-present properties; ints `long`,
 * other numbers `double`. Built incrementally from the rows, in memory bounded by the schema's size.
 */

type SchemaType =
  | { kind: 'scalar'; name: 'string' | 'long' | 'double' | 'boolean' }
  | { kind: 'object'; properties: Map<string, { type: SchemaType; required: boolean }> }
  | { kind: 'array'; items: SchemaType | undefined }
  | { kind: 'any' };

class IncompatibleTypes extends Error {}

const anyType: SchemaType = { kind: 'any' };

function infer(value: unknown): SchemaType {
  if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value)))
    return anyType;
  if (Array.isArray(value)) {
    if (value.length === 0) return anyType;
    let items: SchemaType | undefined;
    for (const item of value) {
      const type = infer(item);
      items = items === undefined ? type : mergeItems(items, type);
    }
    return { kind: 'array', items };
  }
  switch (typeof value) {
    case 'string':
      return { kind: 'scalar', name: 'string' };
    case 'boolean':
      return { kind: 'scalar', name: 'boolean' };
    case 'number':
      return { kind: 'scalar', name: Number.isInteger(value) ? 'long' : 'double' };
    case 'object': {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) return anyType;
      const properties = new Map<string, { type: SchemaType; required: boolean }>();
      for (const [key, v] of entries) {
        const type = infer(v);
        properties.set(key, { type, required: type.kind !== 'any' });
      }
      return { kind: 'object', properties };
    }
    default:
      return { kind: 'scalar', name: 'string' };
  }
}

/** Array items: scalars must agree (Any is compatible with everything), containers merge. */
function mergeItems(a: SchemaType, b: SchemaType): SchemaType {
  if (a.kind === 'scalar') {
    if (b.kind === 'any' || (b.kind === 'scalar' && b.name === a.name)) return a;
    throw new IncompatibleTypes();
  }
  return merge(a, b);
}

function merge(a: SchemaType, b: SchemaType): SchemaType {
  if (a.kind === 'any') {
    if (b.kind === 'any' || b.kind === 'scalar' || b.kind === 'array') return b;
    return optionalAll(b);
  }
  if (b.kind === 'any') return a.kind === 'object' ? optionalAll(a) : a;
  if (a.kind === 'scalar') {
    if (b.kind === 'scalar' && b.name === a.name) return a;
    throw new IncompatibleTypes();
  }
  if (a.kind === 'array') {
    if (b.kind !== 'array') throw new IncompatibleTypes();
    if (a.items === undefined) return b;
    if (b.items === undefined) return a;
    return { kind: 'array', items: mergeItems(a.items, b.items) };
  }
  if (b.kind !== 'object') throw new IncompatibleTypes();
  const properties = new Map<string, { type: SchemaType; required: boolean }>();
  for (const [key, left] of a.properties) {
    const right = b.properties.get(key);
    if (right === undefined) properties.set(key, { type: left.type, required: false });
    else
      properties.set(key, {
        type: merge(left.type, right.type),
        required: left.required && right.required && right.type.kind !== 'any',
      });
  }
  for (const [key, right] of b.properties) {
    if (!a.properties.has(key)) properties.set(key, { type: right.type, required: false });
  }
  return { kind: 'object', properties };
}

function optionalAll(type: SchemaType): SchemaType {
  if (type.kind !== 'object') return type;
  const properties = new Map<string, { type: SchemaType; required: boolean }>();
  for (const [key, prop] of type.properties) properties.set(key, { type: prop.type, required: false });
  return { kind: 'object', properties };
}

function toJson(type: SchemaType): Record<string, unknown> {
  switch (type.kind) {
    case 'scalar':
      return { type: type.name };
    case 'any':
      return { type: 'any' };
    case 'array':
      return { type: 'array', items: type.items === undefined ? { type: 'any' } : toJson(type.items) };
    case 'object': {
      const properties: Record<string, unknown> = {};
      for (const key of [...type.properties.keys()].sort()) {
        const prop = type.properties.get(key) as { type: SchemaType; required: boolean };
        properties[key] = { ...toJson(prop.type), required: prop.required };
      }
      return { type: 'object', properties };
    }
  }
}

export type SchemaColumn = 'inputs' | 'outputs' | 'expectations' | 'tags';

interface ColumnState {
  type: SchemaType | undefined;
  required: boolean;
  broken: boolean;
}

/** Accumulates the colspec schema and the profile (`num_rows`, `num_elements`) over rows. */
export class ColspecSchemaBuilder {
  readonly #columns: Map<SchemaColumn, ColumnState>;
  #rows = 0;

  /** `columns`: the dataset's columns, in order (Python's DataFrame has no `outputs` when a model predicts). */
  constructor(columns: readonly SchemaColumn[]) {
    this.#columns = new Map(
      columns.map((name) => [name, { type: undefined, required: true, broken: false }]),
    );
  }

  add(row: Partial<Record<SchemaColumn, unknown>>): void {
    this.#rows++;
    for (const [name, state] of this.#columns) {
      if (state.broken) continue;
      const value = row[name];
      if (value === null || value === undefined) state.required = false;
      try {
        const type = infer(value);
        state.type = state.type === undefined ? type : mergeItems(state.type, type);
      } catch (error) {
        if (!(error instanceof IncompatibleTypes)) throw error;
        state.broken = true;
      }
    }
  }

  /** The `schema` JSON of the run input, or undefined when Python could not infer one either. */
  schemaJson(): string | undefined {
    const colspec: Record<string, unknown>[] = [];
    for (const [name, state] of this.#columns) {
      if (state.broken) return undefined;
      colspec.push({ ...toJson(state.type ?? anyType), name, required: state.required });
    }
    if (colspec.length === 0) return undefined;
    return pythonJsonDumps({ mlflow_colspec: colspec });
  }

  /** The `profile` JSON: rows and cells (rows × columns), as `PandasDataset.profile`. */
  profileJson(rows: number = this.#rows): string {
    return pythonJsonDumps({ num_rows: rows, num_elements: rows * this.#columns.size });
  }
}
