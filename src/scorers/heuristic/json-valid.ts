import { z } from 'zod';
import { errorMessage } from '../../core/errors.js';
import type { Scorer } from '../../core/scorer.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { codeScorer, isFeedback, outputKeyOption, parseFactoryOptions, selectOutputs } from './support.js';

export const jsonValidOptionsSchema = z
  .object({
    output_key: outputKeyOption,
  })
  .strict();
export type JsonValidOptions = z.input<typeof jsonValidOptionsSchema> & CommonScorerOptions;

/**
 * True when the outputs are JSON: a string that parses, or a value that already is structured
 * (object, array, number, boolean). Empty outputs (null, "") are not JSON.
 */
export function jsonValid(options: JsonValidOptions = {}): Scorer {
  const { own, common } = parseFactoryOptions(jsonValidDefinition, options);
  return buildJsonValid(own, common);
}

export const jsonValidDefinition: ScorerDefinition<typeof jsonValidOptionsSchema> = {
  type: 'json_valid',
  kind: 'code',
  description: 'outputs are valid JSON (bool); the rationale gives the parse error',
  needs: ['outputs'],
  options: jsonValidOptionsSchema,
  create: (options, common) => buildJsonValid(options, common),
};

function buildJsonValid(
  options: z.infer<typeof jsonValidOptionsSchema>,
  common: CommonScorerOptions,
): Scorer {
  return codeScorer(jsonValidDefinition.type, common, ({ outputs }, feedback) => {
    const selected = selectOutputs(outputs, options.output_key, feedback);
    if (isFeedback(selected)) return selected;
    const parsed = parseJsonOutputs(selected.value);
    return parsed.ok
      ? feedback.value(true, { rationale: parsed.note })
      : feedback.value(false, { rationale: parsed.reason });
  });
}

/** Outputs as a JSON value: strings are parsed, structured values taken as they are. */
export type ParsedOutputs = { ok: true; value: unknown; note: string } | { ok: false; reason: string };

export function parseJsonOutputs(value: unknown): ParsedOutputs {
  if (value === null || value === undefined) return { ok: false, reason: 'outputs are empty' };
  if (typeof value === 'string') {
    if (value.trim() === '') return { ok: false, reason: 'outputs are an empty string' };
    try {
      return { ok: true, value: JSON.parse(value), note: 'outputs parse as JSON' };
    } catch (caught) {
      return { ok: false, reason: `not valid JSON: ${errorMessage(caught)}` };
    }
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return { ok: false, reason: `outputs are ${value}, which JSON cannot represent` };
  }
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    return { ok: false, reason: `outputs are a ${typeof value}, which JSON cannot represent` };
  }
  return {
    ok: true,
    value,
    note: `outputs are already a JSON value (${Array.isArray(value) ? 'array' : typeof value})`,
  };
}
