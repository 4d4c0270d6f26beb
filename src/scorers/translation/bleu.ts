import { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import {
  codeScorer,
  isFeedback,
  outputKeyOption,
  outputText,
  parseFactoryOptions,
} from '../heuristic/support.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { sentenceBleu } from './bleu-metric.js';
import { referencesKeyOption, rowReferences } from './references.js';

export const bleuOptionsSchema = z
  .object({
    tokenize: z.enum(['13a', 'none']).default('13a').describe('Tokenizer: 13a (WMT standard) or none'),
    lowercase: z.boolean().default(false).describe('Lowercase before scoring (default false)'),
    smooth_method: z
      .enum(['exp', 'floor', 'add-k', 'none'])
      .default('exp')
      .describe('Smoothing for n-gram orders without a match (default exp, as sacrebleu sentence_bleu)'),
    smooth_value: z.number().positive().optional().describe('Value for floor (0.1) or add-k (1)'),
    max_ngram_order: z.number().int().min(1).max(10).default(4).describe('Highest n-gram order (default 4)'),
    effective_order: z
      .boolean()
      .default(true)
      .describe('Average only over n-gram orders the hypothesis has (default true, as sentence_bleu)'),
    output_key: outputKeyOption,
    expectation_key: referencesKeyOption,
  })
  .strict();
export type BleuScorerOptions = z.input<typeof bleuOptionsSchema> & CommonScorerOptions;

/**
 * Sentence BLEU of the outputs against the row's reference translation(s), 0–100, exactly as
 * sacrebleu's `sentence_bleu` (13a tokenization, exp smoothing, effective order). The run metric is the
 * mean of the sentence scores; corpus BLEU is `corpusBleu(hypotheses, references)`.
 */
export function bleu(options: BleuScorerOptions = {}): Scorer {
  const { own, common } = parseFactoryOptions(bleuDefinition, options);
  return buildBleu(own, common);
}

export const bleuDefinition: ScorerDefinition<typeof bleuOptionsSchema> = {
  type: 'bleu',
  kind: 'code',
  description:
    'sentence BLEU against the reference translation(s), 0..100, identical to sacrebleu sentence_bleu (number)',
  needs: ['outputs', 'expectations.references | expected_response'],
  options: bleuOptionsSchema,
  create: (options, common) => buildBleu(options, common),
};

function buildBleu(options: z.infer<typeof bleuOptionsSchema>, common: CommonScorerOptions): Scorer {
  const settings = {
    tokenize: options.tokenize,
    lowercase: options.lowercase,
    smoothMethod: options.smooth_method,
    maxNgramOrder: options.max_ngram_order,
    effectiveOrder: options.effective_order,
    ...(options.smooth_value !== undefined ? { smoothValue: options.smooth_value } : {}),
  };
  return codeScorer(bleuDefinition.type, common, ({ outputs, expectations }, feedback) => {
    const references = rowReferences(expectations, options.expectation_key, feedback);
    if (isFeedback(references)) return references;
    const hypothesis = outputText(outputs, options.output_key, feedback);
    if (isFeedback(hypothesis)) return hypothesis;
    const result = sentenceBleu(hypothesis, references, settings);
    const precisions = result.precisions.map((precision) => precision.toFixed(1)).join('/');
    const ratio = result.refLen > 0 ? result.sysLen / result.refLen : 0;
    return feedback.value(result.score, {
      // sacrebleu's verbose score line
      rationale: `BLEU = ${result.score.toFixed(2)} ${precisions} (BP = ${result.bp.toFixed(3)} ratio = ${ratio.toFixed(3)} hyp_len = ${result.sysLen} ref_len = ${result.refLen})`,
      metadata: {
        counts: result.counts.join(' '),
        totals: result.totals.join(' '),
        bp: String(result.bp),
        hyp_len: String(result.sysLen),
        ref_len: String(result.refLen),
        references: String(references.length),
      },
    });
  });
}
