import { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import {
  codeScorer,
  excerpt,
  expectationKeyOption,
  expectationValue,
  isFeedback,
  outputKeyOption,
  outputText,
  parseFactoryOptions,
  textOf,
} from './support.js';

export const exactMatchOptionsSchema = z
  .object({
    case_sensitive: z.boolean().default(true).describe('Compare letter case (default true)'),
    trim: z.boolean().default(true).describe('Ignore leading and trailing whitespace (default true)'),
    output_key: outputKeyOption,
    expectation_key: expectationKeyOption,
  })
  .strict();
export type ExactMatchOptions = z.input<typeof exactMatchOptionsSchema> & CommonScorerOptions;

/** True when the outputs equal `expectations.expected_response` (as text; non-strings as canonical JSON). */
export function exactMatch(options: ExactMatchOptions = {}): Scorer {
  const { own, common } = parseFactoryOptions(exactMatchDefinition, options);
  return buildExactMatch(own, common);
}

export const exactMatchDefinition: ScorerDefinition<typeof exactMatchOptionsSchema> = {
  type: 'exact_match',
  kind: 'code',
  description: 'outputs equal expectations.expected_response (bool); case and trim options',
  needs: ['outputs', 'expectations.expected_response'],
  options: exactMatchOptionsSchema,
  create: (options, common) => buildExactMatch(options, common),
};

function buildExactMatch(
  options: z.infer<typeof exactMatchOptionsSchema>,
  common: CommonScorerOptions,
): Scorer {
  const prepare = (text: string): string => {
    const trimmed = options.trim ? text.trim() : text;
    return options.case_sensitive ? trimmed : trimmed.toLowerCase();
  };
  return codeScorer(exactMatchDefinition.type, common, ({ outputs, expectations }, feedback) => {
    const expected = expectationValue(expectations, options.expectation_key, feedback);
    if (isFeedback(expected)) return expected;
    const actual = outputText(outputs, options.output_key, feedback);
    if (isFeedback(actual)) return actual;
    const expectedText = textOf(expected.value);
    const match = prepare(actual) === prepare(expectedText);
    return feedback.value(match, {
      rationale: match
        ? 'outputs match the expected response'
        : `outputs ${excerpt(actual)} differ from expected ${excerpt(expectedText)}`,
    });
  });
}
