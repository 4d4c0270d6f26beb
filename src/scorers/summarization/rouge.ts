import { z } from 'zod';
import type { Feedback } from '../../core/feedback.js';
import type { Scorer } from '../../core/scorer.js';
import {
  codeScorer,
  expectationKeyOption,
  expectationValue,
  isFeedback,
  outputKeyOption,
  outputText,
  parseFactoryOptions,
  textOf,
} from '../heuristic/support.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { createRougeScorer, ROUGE_TYPES, type RougeBestScore, type RougeType } from './rouge-score.js';

export const rougeOptionsSchema = z
  .object({
    rouge_types: z
      .array(z.enum(ROUGE_TYPES as [RougeType, ...RougeType[]]))
      .min(1)
      .refine((types) => new Set(types).size === types.length, 'each ROUGE type once')
      .default(['rouge1', 'rouge2', 'rougeL', 'rougeLsum'])
      .describe('ROUGE scores to compute, one feedback each: rouge1..rouge9, rougeL, rougeLsum'),
    use_stemmer: z
      .boolean()
      .default(false)
      .describe("Porter-stem tokens longer than 3 characters, as rouge-score's use_stemmer (default false)"),
    measure: z
      .enum(['fmeasure', 'precision', 'recall'])
      .default('fmeasure')
      .describe('Which score is the feedback value (all three are in its metadata)'),
    output_key: outputKeyOption,
    expectation_key: expectationKeyOption.describe(
      'The expectation holding the reference summary, or a list of them (the best-scoring one counts)',
    ),
  })
  .strict();
export type RougeOptions = z.input<typeof rougeOptionsSchema> & CommonScorerOptions;

/**
 * ROUGE of the outputs against `expectations.expected_response` (a reference summary, or a list of
 * them), equal to Google's rouge-score: one feedback `<name>/<type>` per ROUGE type, valued by F-measure
 * (or `measure`), with precision, recall and F-measure in its metadata. With several references each
 * type takes the reference with the highest F-measure, as rouge-score's `score_multi`.
 */
export function rouge(options: RougeOptions = {}): Scorer {
  const { own, common } = parseFactoryOptions(rougeDefinition, options);
  return buildRouge(own, common);
}

export const rougeDefinition: ScorerDefinition<typeof rougeOptionsSchema> = {
  type: 'rouge',
  kind: 'code',
  description:
    'ROUGE-N/L/Lsum F-measure against expectations.expected_response (one or a list), as rouge-score; a number 0..1 per type, as <name>/<type>',
  needs: ['outputs', 'expectations.expected_response'],
  options: rougeOptionsSchema,
  create: (options, common) => buildRouge(options, common),
};

function buildRouge(options: z.infer<typeof rougeOptionsSchema>, common: CommonScorerOptions): Scorer {
  const types = options.rouge_types;
  const scorer = createRougeScorer({ rougeTypes: types, useStemmer: options.use_stemmer });
  const base = codeScorer(rougeDefinition.type, common, ({ outputs, expectations }, feedback) => {
    const expected = expectationValue(expectations, options.expectation_key, feedback);
    if (isFeedback(expected)) return expected;
    const prediction = outputText(outputs, options.output_key, feedback);
    if (isFeedback(prediction)) return prediction;
    const references = Array.isArray(expected.value) ? expected.value.map(textOf) : [textOf(expected.value)];
    if (references.length === 0) {
      return feedback.error(
        'MISSING_EXPECTATION',
        `scorer "${feedback.name}": expectations.${options.expectation_key} is an empty list; it needs at least one reference`,
      );
    }
    const scores = scorer.scoreMulti(references, prediction);
    return types.map((type): Feedback => {
      const score = scores[type];
      const multi = references.length > 1;
      return {
        ...feedback.value(score[options.measure], {
          rationale: rationale(type, score, multi ? references.length : undefined),
          metadata: {
            precision: String(score.precision),
            recall: String(score.recall),
            fmeasure: String(score.fmeasure),
            ...(multi ? { reference_index: String(score.referenceIndex) } : {}),
          },
        }),
        name: `${feedback.name}/${type}`,
      };
    });
  });
  return { ...base, feedbackNames: types.map((type) => `${base.name}/${type}`) };
}

function rationale(type: RougeType, score: RougeBestScore, references: number | undefined): string {
  const figures = `${type}: precision ${score.precision.toFixed(4)}, recall ${score.recall.toFixed(4)}, F ${score.fmeasure.toFixed(4)}`;
  return references === undefined
    ? figures
    : `${figures} (reference ${score.referenceIndex + 1} of ${references}, the highest F)`;
}
