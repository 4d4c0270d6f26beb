import { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import {
  codeScorer,
  expectationKeyOption,
  expectationValue,
  isFeedback,
  outputKeyOption,
  outputText,
  parseFactoryOptions,
  textOf,
} from './support.js';

export const levenshteinOptionsSchema = z
  .object({
    case_sensitive: z.boolean().default(true).describe('Compare letter case (default true)'),
    output_key: outputKeyOption,
    expectation_key: expectationKeyOption,
  })
  .strict();
export type LevenshteinOptions = z.input<typeof levenshteinOptionsSchema> & CommonScorerOptions;

/**
 * Similarity to `expectations.expected_response`: 1 - distance / max(length), in [0, 1]; 1 when both are
 * empty. Lengths and edits count code points, so "é" or an emoji is one character.
 */
export function levenshtein(options: LevenshteinOptions = {}): Scorer {
  const { own, common } = parseFactoryOptions(levenshteinDefinition, options);
  return buildLevenshtein(own, common);
}

export const levenshteinDefinition: ScorerDefinition<typeof levenshteinOptionsSchema> = {
  type: 'levenshtein',
  kind: 'code',
  description: 'edit-distance similarity to expectations.expected_response, 0..1 (number)',
  needs: ['outputs', 'expectations.expected_response'],
  options: levenshteinOptionsSchema,
  create: (options, common) => buildLevenshtein(options, common),
};

function buildLevenshtein(
  options: z.infer<typeof levenshteinOptionsSchema>,
  common: CommonScorerOptions,
): Scorer {
  const fold = (text: string): string => (options.case_sensitive ? text : text.toLowerCase());
  return codeScorer(levenshteinDefinition.type, common, ({ outputs, expectations }, feedback) => {
    const expected = expectationValue(expectations, options.expectation_key, feedback);
    if (isFeedback(expected)) return expected;
    const actual = outputText(outputs, options.output_key, feedback);
    if (isFeedback(actual)) return actual;
    const a = codePoints(fold(actual));
    const b = codePoints(fold(textOf(expected.value)));
    const longest = Math.max(a.length, b.length);
    const distance = levenshteinDistance(a, b);
    const similarity = longest === 0 ? 1 : 1 - distance / longest;
    return feedback.value(similarity, {
      rationale: `${distance} edit${distance === 1 ? '' : 's'} over ${longest} characters`,
      metadata: { distance: String(distance) },
    });
  });
}

function codePoints(text: string): Uint32Array {
  const points = new Uint32Array(text.length);
  let count = 0;
  for (const char of text) points[count++] = char.codePointAt(0) ?? 0;
  return points.subarray(0, count);
}

/**
 * Edit distance (insert, delete, substitute; cost 1 each): O(n·m) time, one row of O(min(n, m)) memory —
 * the shorter sequence is the row.
 */
export function levenshteinDistance(first: ArrayLike<number>, second: ArrayLike<number>): number {
  const [short, long] = first.length <= second.length ? [first, second] : [second, first];
  const width = short.length;
  if (width === 0) return long.length;
  // row[j] = distance between long[0..i) and short[0..j) for the current i.
  const row = new Uint32Array(width + 1);
  for (let j = 0; j <= width; j++) row[j] = j;
  for (let i = 1; i <= long.length; i++) {
    let diagonal = row[0]!; // distance(long[0..i-1), short[0..j-1)) before row[j-1] is overwritten
    row[0] = i;
    const current = long[i - 1];
    for (let j = 1; j <= width; j++) {
      const above = row[j]!;
      const substitution = diagonal + (short[j - 1] === current ? 0 : 1);
      const deletion = above + 1;
      const insertion = row[j - 1]! + 1;
      row[j] = Math.min(substitution, deletion, insertion);
      diagonal = above;
    }
  }
  return row[width]!;
}
