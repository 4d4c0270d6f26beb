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
import { sentenceChrf } from './chrf-metric.js';
import { referencesKeyOption, rowReferences } from './references.js';

/** chrF's options schema; `word_order` defaults to 0 for `chrf` and to 2 for `chrf_plus_plus`. */
export function chrfOptionsSchemaFor(defaultWordOrder: number) {
  return z
    .object(chrfOptionsShape(defaultWordOrder))
    .strict()
    .refine((options) => options.char_order + options.word_order > 0, {
      message: 'char_order + word_order must be at least 1',
      path: ['char_order'],
    });
}

function chrfOptionsShape(defaultWordOrder: number) {
  return {
    char_order: z.number().int().min(0).max(20).default(6).describe('Character n-gram order (default 6)'),
    word_order: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(defaultWordOrder)
      .describe(`Word n-gram order (default ${defaultWordOrder}; 2 is chrF++)`),
    beta: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(2)
      .describe('Recall weighs beta times precision (default 2)'),
    lowercase: z.boolean().default(false).describe('Lowercase before scoring (default false)'),
    whitespace: z
      .boolean()
      .default(false)
      .describe('Keep whitespace in character n-grams (default false, as sacrebleu)'),
    eps_smoothing: z
      .boolean()
      .default(false)
      .describe('chrF++.py/Moses epsilon smoothing instead of sacrebleu effective order (default false)'),
    output_key: outputKeyOption,
    expectation_key: referencesKeyOption,
  };
}

export const chrfOptionsSchema = chrfOptionsSchemaFor(0);
export type ChrfScorerOptions = z.input<typeof chrfOptionsSchema> & CommonScorerOptions;

/**
 * Sentence chrF of the outputs against the row's reference translation(s) (the best-matching one),
 * 0–100, exactly as sacrebleu's `sentence_chrf`. The run metric is the mean of the sentence scores;
 * corpus chrF is `corpusChrf(hypotheses, references)`.
 */
export function chrf(options: ChrfScorerOptions = {}): Scorer {
  const { own, common } = parseFactoryOptions(chrfDefinition, options);
  return buildChrf(chrfDefinition.type, own, common);
}

export const chrfDefinition: ScorerDefinition<typeof chrfOptionsSchema> = {
  type: 'chrf',
  kind: 'code',
  description:
    'sentence chrF against the reference translation(s), 0..100, identical to sacrebleu sentence_chrf (number)',
  needs: ['outputs', 'expectations.references | expected_response'],
  options: chrfOptionsSchema,
  create: (options, common) => buildChrf(chrfDefinition.type, options, common),
};

/** The chrF scorer shell, shared with `chrf_plus_plus` (which differs only in its default word order). */
export function buildChrf(
  type: string,
  options: z.infer<typeof chrfOptionsSchema>,
  common: CommonScorerOptions,
): Scorer {
  const settings = {
    charOrder: options.char_order,
    wordOrder: options.word_order,
    beta: options.beta,
    lowercase: options.lowercase,
    whitespace: options.whitespace,
    epsSmoothing: options.eps_smoothing,
  };
  return codeScorer(type, common, ({ outputs, expectations }, feedback) => {
    const references = rowReferences(expectations, options.expectation_key, feedback);
    if (isFeedback(references)) return references;
    const hypothesis = outputText(outputs, options.output_key, feedback);
    if (isFeedback(hypothesis)) return hypothesis;
    const result = sentenceChrf(hypothesis, references, settings);
    const name = `chrF${settings.beta}${'+'.repeat(settings.wordOrder)}`;
    return feedback.value(result.score, {
      rationale: `${name} = ${result.score.toFixed(2)} (character order ${settings.charOrder}, word order ${settings.wordOrder}, ${references.length} reference${references.length === 1 ? '' : 's'})`,
      metadata: { statistics: result.statistics.join(' '), references: String(references.length) },
    });
  });
}
