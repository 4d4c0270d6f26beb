import { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import {
  codePointLength,
  codeScorer,
  isFeedback,
  outputKeyOption,
  outputText,
  parseFactoryOptions,
} from './support.js';

export const lengthOptionsSchema = z
  .object({
    unit: z
      .enum(['chars', 'words'])
      .default('chars')
      .describe('chars: Unicode code points; words: runs of non-whitespace (default chars)'),
    min: z.number().int().min(0).optional().describe('Lowest passing length (inclusive)'),
    max: z.number().int().min(0).optional().describe('Highest passing length (inclusive)'),
    output_key: outputKeyOption,
  })
  .strict()
  .superRefine((options, context) => {
    if (options.min !== undefined && options.max !== undefined && options.min > options.max) {
      context.addIssue({
        code: 'custom',
        path: ['max'],
        message: `max (${options.max}) is below min (${options.min})`,
      });
    }
  });
export type LengthOptions = z.input<typeof lengthOptionsSchema> & CommonScorerOptions;

/** The outputs' length in chars or words; with `min`/`max`, whether it lies within them. */
export function length(options: LengthOptions = {}): Scorer {
  const { own, common } = parseFactoryOptions(lengthDefinition, options);
  return buildLength(own, common);
}

export const lengthDefinition: ScorerDefinition<typeof lengthOptionsSchema> = {
  type: 'length',
  kind: 'code',
  description: 'length of the outputs in chars or words (number), or within min/max (bool)',
  needs: ['outputs'],
  options: lengthOptionsSchema,
  create: (options, common) => buildLength(options, common),
};

function buildLength(options: z.infer<typeof lengthOptionsSchema>, common: CommonScorerOptions): Scorer {
  const { min, max } = options;
  const bounded = min !== undefined || max !== undefined;
  return codeScorer(lengthDefinition.type, common, ({ outputs }, feedback) => {
    const text = outputText(outputs, options.output_key, feedback);
    if (isFeedback(text)) return text;
    const size = options.unit === 'words' ? wordCount(text) : codePointLength(text);
    const measured = `${size} ${options.unit === 'words' ? 'word' : 'char'}${size === 1 ? '' : 's'}`;
    const metadata = { length: String(size), unit: options.unit };
    if (!bounded) return feedback.value(size, { rationale: measured, metadata });
    const pass = (min === undefined || size >= min) && (max === undefined || size <= max);
    return feedback.value(pass, { rationale: `${measured} (${describeBounds(min, max)})`, metadata });
  });
}

/** Words are runs of non-whitespace; text without spaces (Chinese, Japanese) counts as one word per run. */
function wordCount(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/u).length;
}

function describeBounds(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `allowed ${min}..${max}`;
  if (min !== undefined) return `at least ${min}`;
  return `at most ${max}`;
}
