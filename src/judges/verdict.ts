import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { z } from 'zod';
import type { JsonValue } from '../core/json.js';

/**
 * What a judge answers, besides its rationale: a yes/no-style category (MLflow's built-in judges answer
 * "yes" or "no"), a boolean, a number in a range, or free text.
 */
export const verdictTypeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('boolean') }).strict(),
  z
    .object({
      type: z.literal('number'),
      min: z.number().optional(),
      max: z.number().optional(),
      integer: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('categories'),
      categories: z.array(z.string().min(1)).min(2),
    })
    .strict(),
  z.object({ type: z.literal('string') }).strict(),
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
  const validate = compile({ ...schema, additionalProperties: true });
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
      return { ok: true, verdict: { value: object.result, rationale: object.rationale } };
    },
  };
}

function resultSchema(type: VerdictType): Record<string, unknown> {
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
  }
}

function resultHint(type: VerdictType): string {
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
