import { z } from 'zod';
import { evalFileSchema } from '../config/schema.js';
import { allScorerDefinitions } from '../scorers/index.js';
import { PAIRWISE_SCORER_TYPE, pairwiseEntrySchema } from './models-under-test.js';

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
  if (!names.includes(PAIRWISE_SCORER_TYPE)) {
    // not a per-row scorer: it compares the models of a `models:` file after their runs
    names.push(PAIRWISE_SCORER_TYPE);
    const { $schema: _, ...pairwise } = z.toJSONSchema(pairwiseEntrySchema, {
      io: 'input',
      unrepresentable: 'any',
    }) as { $schema?: string; properties: Record<string, unknown> };
    branches.push({
      description: 'Compares the outputs of two models under test (needs models: with two or more)',
      ...pairwise,
      properties: { ...pairwise.properties, type: { enum: [PAIRWISE_SCORER_TYPE] } },
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
