import { z } from 'zod';
import { evalFileSchema } from '../config/schema.js';
import { allScorerDefinitions } from '../scorers/index.js';

/**
 * The eval file's JSON Schema, generated from the zod schema. Scorer entries get one branch per
 * scorer type with that scorer's own options, so editors complete and check them.
 */
export function evalFileJsonSchema(): Record<string, unknown> {
  const base = z.toJSONSchema(evalFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  const branches: unknown[] = [];
  const names: string[] = [];
  for (const definition of allScorerDefinitions()) {
    names.push(definition.type, ...(definition.aliases ?? []));
    const options = z.toJSONSchema(definition.options, { io: 'input', unrepresentable: 'any' }) as {
      properties?: Record<string, unknown>;
      required?: string[];
    };
    branches.push({
      type: 'object',
      description: definition.description,
      properties: {
        type: { enum: [definition.type, ...(definition.aliases ?? [])] },
        name: { type: 'string', description: 'Feedback name (defaults to the scorer name)' },
        aggregations: {
          type: 'array',
          items: { enum: ['mean', 'min', 'max', 'median', 'variance', 'p90'] },
        },
        ...(options.properties ?? {}),
      },
      required: ['type', ...(options.required ?? [])],
      additionalProperties: false,
    });
  }
  const properties = base.properties as Record<string, Record<string, unknown>>;
  properties.scorers = {
    type: 'array',
    minItems: 1,
    description: 'Scorers: a built-in name, or {type, ...options}',
    items: { anyOf: [{ enum: names }, ...branches] },
  };
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'judgeflow eval file', ...base };
}
