import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, errorMessage } from '../../core/errors.js';
import { isPlainObject } from '../../core/json.js';
import type { Scorer } from '../../core/scorer.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { parseJsonOutputs } from './json-valid.js';
import { codeScorer, isFeedback, outputKeyOption, parseFactoryOptions, selectOutputs } from './support.js';

/** How many validation errors the rationale lists. */
const SHOWN_ERRORS = 3;

export const jsonSchemaOptionsSchema = z
  .object({
    schema: z.record(z.string(), z.unknown()).optional().describe('An inline JSON Schema'),
    schema_path: z
      .string()
      .min(1)
      .optional()
      .describe('A JSON (or YAML) file holding the JSON Schema, relative to the eval file'),
    output_key: outputKeyOption,
  })
  .strict()
  .superRefine((options, context) => {
    if ((options.schema === undefined) === (options.schema_path === undefined)) {
      context.addIssue({
        code: 'custom',
        path: options.schema === undefined ? ['schema'] : ['schema_path'],
        message: 'give exactly one of schema (inline) or schema_path (a file)',
      });
    }
  });
export type JsonSchemaOptions = z.input<typeof jsonSchemaOptionsSchema> & CommonScorerOptions;

/**
 * True when the outputs (parsed when a string) validate against a JSON Schema. The schema is compiled
 * once, here; `schema_path` resolves against `baseDir` (default: the current directory).
 */
export function jsonSchema(options: JsonSchemaOptions, where: { baseDir?: string } = {}): Scorer {
  const { own, common } = parseFactoryOptions(jsonSchemaDefinition, options);
  return buildJsonSchema(own, common, where.baseDir ?? process.cwd());
}

export const jsonSchemaDefinition: ScorerDefinition<typeof jsonSchemaOptionsSchema> = {
  type: 'json_schema',
  kind: 'code',
  description: 'outputs validate against a JSON Schema (ajv; bool); the rationale lists the first errors',
  needs: ['outputs'],
  options: jsonSchemaOptionsSchema,
  create: (options, common, context) => buildJsonSchema(options, common, context.baseDir),
};

function buildJsonSchema(
  options: z.infer<typeof jsonSchemaOptionsSchema>,
  common: CommonScorerOptions,
  baseDir: string,
): Scorer {
  const validate = compileSchema(options, baseDir);
  return codeScorer(jsonSchemaDefinition.type, common, ({ outputs }, feedback) => {
    const selected = selectOutputs(outputs, options.output_key, feedback);
    if (isFeedback(selected)) return selected;
    const parsed = parseJsonOutputs(selected.value);
    if (!parsed.ok) return feedback.value(false, { rationale: parsed.reason });
    if (validate(parsed.value)) return feedback.value(true, { rationale: 'outputs match the schema' });
    const errors = validate.errors ?? [];
    return feedback.value(false, {
      rationale: describeErrors(errors),
      metadata: { error_count: String(errors.length) },
    });
  });
}

function compileSchema(options: z.infer<typeof jsonSchemaOptionsSchema>, baseDir: string): ValidateFunction {
  const field = options.schema_path !== undefined ? 'schema_path' : 'schema';
  const schema = options.schema ?? loadSchemaFile(path.resolve(baseDir, options.schema_path ?? ''));
  // strict false: real-world schemas carry keywords ajv does not know (examples, x-*); allErrors so the
  // rationale can say everything that is wrong. `format` is not checked (no format plugin installed).
  const settings = { strict: false, allErrors: true, validateFormats: false, logger: false } as const;
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
  try {
    const ajv = dialect.includes('2020-12')
      ? new Ajv2020(settings)
      : dialect.includes('2019-09')
        ? new Ajv2019(settings)
        : new Ajv(settings);
    return ajv.compile(schema);
  } catch (caught) {
    throw new ConfigError(`json_schema.${field}: invalid JSON Schema: ${errorMessage(caught)}`, {
      field,
      cause: caught,
    });
  }
}

function loadSchemaFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (caught) {
    throw new ConfigError(`json_schema.schema_path: cannot read ${file}: ${errorMessage(caught)}`, {
      file,
      field: 'schema_path',
      cause: caught,
    });
  }
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (caught) {
    throw new ConfigError(
      `json_schema.schema_path: ${file} is not valid JSON/YAML: ${errorMessage(caught)}`,
      {
        file,
        field: 'schema_path',
        cause: caught,
      },
    );
  }
  if (!isPlainObject(parsed)) {
    throw new ConfigError(`json_schema.schema_path: ${file} must hold a JSON Schema object`, {
      file,
      field: 'schema_path',
    });
  }
  return parsed;
}

function describeErrors(errors: readonly ErrorObject[]): string {
  if (errors.length === 0) return 'outputs do not match the schema';
  const shown = errors.slice(0, SHOWN_ERRORS).map((error) => {
    const extra = error.params.additionalProperty;
    const detail = typeof extra === 'string' ? ` (${JSON.stringify(extra)})` : '';
    return `${error.instancePath || '/'} ${error.message ?? 'is invalid'}${detail}`;
  });
  const more = errors.length > SHOWN_ERRORS ? ` (+${errors.length - SHOWN_ERRORS} more)` : '';
  return `outputs do not match the schema: ${shown.join('; ')}${more}`;
}
