import { z } from 'zod';
import { isPlainObject } from '../../core/json.js';
import type { Scorer } from '../../core/scorer.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import {
  codeScorer,
  excerpt,
  expectationValue,
  isFeedback,
  outputKeyOption,
  outputText,
  parseFactoryOptions,
  textOf,
} from './support.js';

export const containsOptionsSchema = z
  .object({
    value: z.string().optional().describe('The text the outputs must contain'),
    values: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('Several texts: any (default) or all must be contained'),
    expectation_key: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Take the text(s) from this expectation (a string or a list, e.g. expected_facts); ' +
          'default expected_response when neither value nor values is given',
      ),
    mode: z.enum(['any', 'all']).default('any').describe('For several texts: any or all must be contained'),
    case_sensitive: z.boolean().default(false).describe('Compare letter case (default false)'),
    output_key: outputKeyOption,
  })
  .strict()
  .superRefine((options, context) => {
    const sources = ['value', 'values', 'expectation_key'].filter(
      (key) => options[key as keyof typeof options] !== undefined,
    );
    if (sources.length > 1) {
      context.addIssue({
        code: 'custom',
        path: [sources[1] ?? 'value'],
        message: `give only one of value, values or expectation_key (got ${sources.join(', ')})`,
      });
    }
  });
export type ContainsOptions = z.input<typeof containsOptionsSchema> & CommonScorerOptions;

/**
 * True when the outputs contain `value`, any/all of `values`, or the text(s) of an expectation
 * (default `expected_response`). Case-insensitive unless `case_sensitive`.
 */
export function contains(options: ContainsOptions = {}): Scorer {
  const { own, common } = parseFactoryOptions(containsDefinition, options);
  return buildContains(own, common);
}

export const containsDefinition: ScorerDefinition<typeof containsOptionsSchema> = {
  type: 'contains',
  kind: 'code',
  description: 'outputs contain a text, any/all of several, or those of an expectation (bool)',
  needs: ['outputs'],
  options: containsOptionsSchema,
  create: (options, common) => buildContains(options, common),
};

function buildContains(options: z.infer<typeof containsOptionsSchema>, common: CommonScorerOptions): Scorer {
  const fold = (text: string): string => (options.case_sensitive ? text : text.toLowerCase());
  const fixed = options.value !== undefined ? [options.value] : options.values;
  const expectationKey = options.expectation_key ?? 'expected_response';

  return codeScorer(containsDefinition.type, common, ({ outputs, expectations }, feedback) => {
    let needles: string[];
    if (fixed !== undefined) {
      needles = fixed;
    } else {
      const expected = expectationValue(expectations, expectationKey, feedback);
      if (isFeedback(expected)) return expected;
      if (Array.isArray(expected.value)) {
        // An empty list would make "any" false and "all" vacuously true: neither is a real score.
        if (expected.value.length === 0) {
          return feedback.error(
            'INVALID_EXPECTATION',
            `scorer "${feedback.name}": expectations.${expectationKey} is an empty list`,
          );
        }
        needles = expected.value.map(textOf);
      } else if (isPlainObject(expected.value)) {
        return feedback.error(
          'INVALID_EXPECTATION',
          `scorer "${feedback.name}": expectations.${expectationKey} must be a string or a list, not an object`,
        );
      } else {
        needles = [textOf(expected.value)];
      }
    }
    const haystack = outputText(outputs, options.output_key, feedback);
    if (isFeedback(haystack)) return haystack;

    const folded = fold(haystack);
    const found = needles.filter((needle) => folded.includes(fold(needle)));
    const missing = needles.filter((needle) => !folded.includes(fold(needle)));
    if (needles.length === 1) {
      const pass = found.length === 1;
      return feedback.value(pass, {
        rationale: `outputs ${pass ? 'contain' : 'do not contain'} ${excerpt(needles[0] ?? '')}`,
      });
    }
    if (options.mode === 'all') {
      const pass = missing.length === 0;
      return feedback.value(pass, {
        rationale: pass
          ? `outputs contain all ${needles.length} texts`
          : `outputs miss ${missing.length} of ${needles.length}: ${listed(missing)}`,
      });
    }
    const pass = found.length > 0;
    return feedback.value(pass, {
      rationale: pass
        ? `outputs contain ${listed(found)}`
        : `outputs contain none of ${needles.length}: ${listed(needles)}`,
    });
  });
}

function listed(texts: readonly string[]): string {
  const shown = texts.slice(0, 5).map((text) => excerpt(text, 40));
  return texts.length > 5 ? `${shown.join(', ')}, … (${texts.length - 5} more)` : shown.join(', ');
}
