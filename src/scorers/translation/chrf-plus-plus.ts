import type { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import { parseFactoryOptions } from '../heuristic/support.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { buildChrf, chrfOptionsSchemaFor } from './chrf.js';

export const chrfPlusPlusOptionsSchema = chrfOptionsSchemaFor(2);
export type ChrfPlusPlusOptions = z.input<typeof chrfPlusPlusOptionsSchema> & CommonScorerOptions;

/**
 * chrF++: chrF with word unigrams and bigrams (`word_order` 2), 0–100, exactly as sacrebleu's
 * `sentence_chrf(..., word_order=2)`. Its own type so that chrF and chrF++ have distinct feedback names
 * in one run without naming them.
 */
export function chrfPlusPlus(options: ChrfPlusPlusOptions = {}): Scorer {
  const { own, common } = parseFactoryOptions(chrfPlusPlusDefinition, options);
  return buildChrf(chrfPlusPlusDefinition.type, own, common);
}

export const chrfPlusPlusDefinition: ScorerDefinition<typeof chrfPlusPlusOptionsSchema> = {
  type: 'chrf_plus_plus',
  kind: 'code',
  description:
    'sentence chrF++ (word order 2) against the reference translation(s), 0..100, identical to sacrebleu (number)',
  needs: ['outputs', 'expectations.references | expected_response'],
  options: chrfPlusPlusOptionsSchema,
  create: (options, common) => buildChrf(chrfPlusPlusDefinition.type, options, common),
};
