import type { RecordInput } from '../core/record.js';

/** The JSON type of the recorded outputs; `mixed` when rows disagree. */
export type OutputsKind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'mixed';

/**
 * Which fields a dataset's rows use, for MLflow's dataset schema and for the `validate` command:
 * e.g. `{inputs: ['question'], outputs: 'string', expectations: ['expected_response'], tags: []}`.
 */
export interface DatasetSchemaSummary {
  /** Input keys seen in any row, sorted. */
  inputs: string[];
  /** Type of the outputs; absent when no row has outputs. */
  outputs?: OutputsKind;
  /** Expectation keys seen in any row, sorted. */
  expectations: string[];
  /** Tag keys seen in any row, sorted. */
  tags: string[];
  /** Present (true) when a key list reached `maxSchemaKeys` and further keys were not recorded. */
  truncated?: true;
}

/** Per list; keeps the summary small even when every row has keys of its own. */
export const maxSchemaKeys = 1000;

/** Accumulates a DatasetSchemaSummary over the rows of one pass, in memory bounded by maxSchemaKeys. */
export class SchemaSummaryBuilder {
  private readonly inputs = new Set<string>();
  private readonly expectations = new Set<string>();
  private readonly tags = new Set<string>();
  private outputs: OutputsKind | undefined;
  private truncated = false;

  add(record: RecordInput): void {
    this.addKeys(this.inputs, record.inputs);
    if (record.expectations) this.addKeys(this.expectations, record.expectations);
    if (record.tags) this.addKeys(this.tags, record.tags);
    if (record.outputs !== undefined) {
      const kind = outputsKind(record.outputs);
      this.outputs = this.outputs === undefined || this.outputs === kind ? kind : 'mixed';
    }
  }

  summary(): DatasetSchemaSummary {
    const summary: DatasetSchemaSummary = {
      inputs: [...this.inputs].sort(),
      expectations: [...this.expectations].sort(),
      tags: [...this.tags].sort(),
    };
    if (this.outputs !== undefined) summary.outputs = this.outputs;
    if (this.truncated) summary.truncated = true;
    return summary;
  }

  private addKeys(target: Set<string>, values: Record<string, unknown>): void {
    for (const key in values) {
      if (target.has(key)) continue;
      if (target.size >= maxSchemaKeys) {
        this.truncated = true;
        return;
      }
      target.add(key);
    }
  }
}

function outputsKind(value: unknown): Exclude<OutputsKind, 'mixed'> {
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
    case 'bigint':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'object';
  }
}
