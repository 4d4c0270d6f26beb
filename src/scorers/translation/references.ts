import { z } from 'zod';
import type { Feedback } from '../../core/feedback.js';
import type { FeedbackBuilder } from '../heuristic/support.js';

// Where the translation scorers find a row's references: `expectations.references` (a string or a list
// of strings), else `expectations.expected_response` (the same), or the expectation `expectation_key`
// names. Several references count as sacrebleu counts them (BLEU clips by the most frequent, chrF takes
// the best-matching one).

/** The `expectation_key` option of the translation scorers: no default, so both names are tried. */
export const referencesKeyOption = z
  .string()
  .min(1)
  .optional()
  .describe(
    'The expectation holding the reference translation(s), a string or a list of strings ' +
      '(default: references, else expected_response)',
  );

/** The expectations tried, in order, when no `expectation_key` is given. */
export const DEFAULT_REFERENCE_KEYS = ['references', 'expected_response'] as const;

/** The row's references, or an error feedback naming the field that is missing or malformed. */
export function rowReferences(
  expectations: Record<string, unknown>,
  key: string | undefined,
  feedback: FeedbackBuilder,
): string[] | Feedback {
  const keys = key === undefined ? DEFAULT_REFERENCE_KEYS : [key];
  const found = keys.find((name) => expectations[name] !== undefined && expectations[name] !== null);
  if (found === undefined) {
    return feedback.error(
      'MISSING_EXPECTATION',
      `scorer "${feedback.name}" needs expectations.${keys.join(' or expectations.')} (a reference translation or a list of them), which this row does not have`,
    );
  }
  const value = expectations[found];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')) {
    return value as string[];
  }
  const shape = Array.isArray(value)
    ? value.length === 0
      ? 'an empty list'
      : 'a list with a non-string item'
    : `a ${typeof value}`;
  return feedback.error(
    'INVALID_EXPECTATION',
    `scorer "${feedback.name}": expectations.${found} must be a string or a non-empty list of strings, got ${shape}`,
  );
}
