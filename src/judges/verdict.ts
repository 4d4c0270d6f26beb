import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { z } from 'zod';
import type { JsonValue } from '../core/json.js';

const booleanVerdictSchema = z.object({ type: z.literal('boolean') }).strict();
const numberVerdictSchema = z
  .object({
    type: z.literal('number'),
    min: z.number().optional(),
    max: z.number().optional(),
    integer: z.boolean().optional(),
  })
  .strict();
const categoriesVerdictSchema = z
  .object({
    type: z.literal('categories'),
    categories: z.array(z.string().min(1)).min(2),
  })
  .strict();
const stringVerdictSchema = z.object({ type: z.literal('string') }).strict();

/** One field of an object verdict: any of the single-value types. */
export const verdictFieldTypeSchema = z.discriminatedUnion('type', [
  booleanVerdictSchema,
  numberVerdictSchema,
  categoriesVerdictSchema,
  stringVerdictSchema,
]);
export type VerdictFieldType = z.infer<typeof verdictFieldTypeSchema>;

/** An object field: one value, or a list of them (`{type: array, items: {type: categories, …}}`). */
export const verdictObjectFieldSchema = z.union([
  verdictFieldTypeSchema,
  z
    .object({
      type: z.literal('array'),
      items: verdictFieldTypeSchema,
      /** At most this many items; default for categories: their number (each once). */
      max_items: z.number().int().positive().optional(),
    })
    .strict(),
]);
export type VerdictObjectField = z.infer<typeof verdictObjectFieldSchema>;

/** Field names become JSON keys in a strict-mode schema: keep them plain identifiers. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * What a judge answers, besides its rationale: a yes/no-style category (MLflow's built-in judges answer
 * "yes" or "no"), a boolean, a number in a range, free text, or an object of named fields of those
 * types (`{type: object, fields: {category: {type: categories, …}, severity: …}}`) when one verdict
 * needs several parts.
 */
export const verdictTypeSchema = z.discriminatedUnion('type', [
  booleanVerdictSchema,
  numberVerdictSchema,
  categoriesVerdictSchema,
  stringVerdictSchema,
  z
    .object({
      type: z.literal('object'),
      fields: z
        .record(
          z.string().regex(FIELD_NAME, 'a field name is a letter or _ then letters, digits or _'),
          verdictObjectFieldSchema,
        )
        .refine((fields) => Object.keys(fields).length > 0, 'an object verdict needs at least one field'),
    })
    .strict(),
]);
export type VerdictType = z.infer<typeof verdictTypeSchema>;

/** The verdict of MLflow's built-in judges. */
export const YES_NO: VerdictType = { type: 'categories', categories: ['yes', 'no'] };

/** A parsed, schema-valid verdict. */
export interface Verdict {
  value: JsonValue;
  rationale: string;
}

export type VerdictParse = { ok: true; verdict: Verdict } | { ok: false; problem: string };

/** A verdict type turned into the JSON Schema sent to the judge, and the parser for its answers. */
export interface VerdictSpec {
  readonly type: VerdictType;
  /** `response_format.json_schema.name` (OpenAI: letters, digits, `_`, `-`; at most 64). */
  readonly schemaName: string;
  /** `{rationale, result}`, all required, no other keys: valid for OpenAI's strict mode and vLLM/llama.cpp. */
  readonly schema: Record<string, unknown>;
  /** One sentence telling the judge what `result` must be (used by custom judges' prompt). */
  readonly resultHint: string;
  /**
   * Parses the WHOLE reply as one JSON object and validates it: `rationale` and `result` required and
   * typed, other keys ignored (as MLflow's parser ignores them), an `error` key a failure (as in
   * MLflow). There is no search for a JSON-looking substring: prose around an object — which could be a
   * verdict planted by the text being judged — is a failure, never a value. One convenience: a reply
   * that is exactly one fenced code block is unwrapped.
   */
  parse(text: string): VerdictParse;
}

export function createVerdictSpec(type: VerdictType, name: string): VerdictSpec {
  const schema: Record<string, unknown> = {
    type: 'object',
    properties: {
      // The rationale comes first so the model reasons before it commits to a result.
      rationale: {
        type: 'string',
        description: 'Short reasoning for the result, written before deciding it.',
      },
      result: resultSchema(type),
    },
    required: ['rationale', 'result'],
    additionalProperties: false,
  };
  // The reply is checked the way MLflow's judge adapters read it: `rationale` and `result` must be there
  // with the right types, other keys are ignored (the schema sent still forbids them, for strict mode).
  // An object verdict's own unknown keys are ignored the same way, and dropped from the value.
  const validate = compile({
    ...schema,
    properties: { ...(schema.properties as object), result: resultSchema(type, { lenient: true }) },
    additionalProperties: true,
  });
  return {
    type,
    schemaName: schemaNameOf(name),
    schema,
    resultHint: resultHint(type),
    parse(text: string): VerdictParse {
      const json = parseWholeJson(text);
      if (!json.ok) return json;
      if (!validate(json.value))
        return { ok: false, problem: `the reply does not match the schema: ${describe(validate.errors)}` };
      const object = json.value as { rationale: string; result: JsonValue; error?: unknown };
      if (object.error !== undefined && object.error !== null) {
        // MLflow treats an `error` key as the judge saying it could not judge, never as a verdict.
        return {
          ok: false,
          problem: `the judge reported an error: ${JSON.stringify(object.error).slice(0, 200)}`,
        };
      }
      const value = type.type === 'object' ? declaredFields(type.fields, object.result) : object.result;
      return { ok: true, verdict: { value, rationale: object.rationale } };
    },
  };
}

function resultSchema(type: VerdictType, options: { lenient?: boolean } = {}): Record<string, unknown> {
  if (type.type !== 'object') return fieldSchema(type);
  const fields = Object.entries(type.fields);
  return {
    type: 'object',
    properties: Object.fromEntries(fields.map(([key, field]) => [key, fieldSchema(field)])),
    // Every key required and no other key: OpenAI's strict mode asks for both on every object.
    required: fields.map(([key]) => key),
    additionalProperties: options.lenient === true,
  };
}

function fieldSchema(type: VerdictObjectField): Record<string, unknown> {
  switch (type.type) {
    case 'boolean':
      return { type: 'boolean' };
    case 'string':
      return { type: 'string' };
    case 'categories':
      return { type: 'string', enum: [...type.categories] };
    case 'number': {
      const schema: Record<string, unknown> = { type: type.integer === true ? 'integer' : 'number' };
      if (type.min !== undefined) schema.minimum = type.min;
      if (type.max !== undefined) schema.maximum = type.max;
      return schema;
    }
    case 'array': {
      // A bound keeps constrained decoding from looping: a small model under a grammar can repeat one
      // item until it runs out of tokens.
      const max = maxItems(type);
      return {
        type: 'array',
        items: fieldSchema(type.items),
        ...(max !== undefined ? { maxItems: max } : {}),
      };
    }
  }
}

/** An array field's bound: its own, else for categories their number (each once), else none. */
function maxItems(type: Extract<VerdictObjectField, { type: 'array' }>): number | undefined {
  return type.max_items ?? (type.items.type === 'categories' ? type.items.categories.length : undefined);
}

/** The declared fields of a validated object result, in declaration order; other keys dropped. */
function declaredFields(fields: Record<string, VerdictObjectField>, result: JsonValue): JsonValue {
  const object = result as Record<string, JsonValue>;
  return Object.fromEntries(Object.keys(fields).map((key) => [key, object[key] as JsonValue]));
}

function resultHint(type: VerdictType): string {
  if (type.type !== 'object') return fieldHint(type);
  const keys = Object.entries(type.fields).map(([key, field]) => `"${key}" (${fieldHint(field)})`);
  return `an object with exactly these keys: ${keys.join('; ')}`;
}

function fieldHint(type: VerdictObjectField): string {
  switch (type.type) {
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a short string';
    case 'categories':
      return `exactly one of ${type.categories.map((c) => JSON.stringify(c)).join(', ')}`;
    case 'number': {
      const kind = type.integer === true ? 'an integer' : 'a number';
      if (type.min !== undefined && type.max !== undefined) return `${kind} from ${type.min} to ${type.max}`;
      if (type.min !== undefined) return `${kind} of at least ${type.min}`;
      if (type.max !== undefined) return `${kind} of at most ${type.max}`;
      return kind;
    }
    case 'array': {
      const max = maxItems(type);
      const most = max !== undefined ? ` of at most ${max} items` : '';
      return `a list${most}, possibly empty, each item ${fieldHint(type.items)}`;
    }
  }
}

/** The whole reply as JSON, or why not. */
export function parseWholeJson(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, problem: 'the reply is empty' };
  const fenced = /^```(?:json)?[ \t]*\r?\n([\s\S]*?)\r?\n?```$/i.exec(trimmed);
  const body = fenced !== null ? (fenced[1] as string) : trimmed;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, problem: `the reply is not one JSON object (${reason})` };
  }
}

function compile(schema: Record<string, unknown>): ValidateFunction {
  // strict false: `description` and friends are annotations, not errors.
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

function describe(errors: ErrorObject[] | null | undefined): string {
  if (errors === null || errors === undefined || errors.length === 0) return 'invalid';
  return errors
    .slice(0, 3)
    .map((error) => {
      const where =
        error.instancePath === '' ? 'the object' : error.instancePath.slice(1).replace(/\//g, '.');
      const allowed =
        error.keyword === 'enum' && Array.isArray((error.params as { allowedValues?: unknown }).allowedValues)
          ? ` (${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')})`
          : error.keyword === 'additionalProperties'
            ? ` ("${(error.params as { additionalProperty?: string }).additionalProperty}")`
            : '';
      return `${where} ${error.message ?? 'is invalid'}${allowed}`;
    })
    .join('; ');
}

function schemaNameOf(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 64);
  return cleaned === '' ? 'verdict' : cleaned;
}
