import { z } from 'zod';
import { modelRefSchema } from '../../config/schema.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { PairwiseOptions } from './judge-pairs.js';

/** The feedback / summary name when the entry gives none. */
export const DEFAULT_PAIRWISE_NAME = 'pairwise';

/**
 * The `pairwise` scorer entry of an eval file with two models under test: after both models have
 * answered every row, the first model's output is A and the second's B, and each row is judged in both
 * orders (`judgePairs`).
 *
 * ```yaml
 * scorers:
 *   - type: pairwise
 *     criteria: the more concise answer that is still correct
 *     judge: openai:/gpt-4.1-mini
 * ```
 */
export const pairwiseScorerConfigSchema = z
  .object({
    type: z.literal('pairwise'),
    name: z.string().min(1).optional().describe('Name of the comparison (default "pairwise")'),
    criteria: z
      .string()
      .min(1)
      .optional()
      .describe('What "better" means (default: more correct, complete and helpful, follows instructions)'),
    judge: modelRefSchema
      .optional()
      .describe('Judge for the comparison (default: the eval file judge.model)'),
  })
  .strict();
export type PairwiseScorerConfig = z.infer<typeof pairwiseScorerConfigSchema>;

/**
 * A `pairwise` entry as `judgePairs` options and its name: the entry's judge (else the run's default
 * judge) from the run's resolver, the run's verdict settings and prices, the entry's criteria. `field` names the
 * entry in errors (`scorers[3].judge`); a bad reference or a missing key throws `ConfigError` here, before
 * any model runs.
 */
export function pairwiseOptionsFromConfig(
  config: PairwiseScorerConfig,
  judges: JudgeResolver,
  extra: Pick<PairwiseOptions, 'concurrency' | 'signal' | 'seed' | 'onPair' | 'usage'> & {
    field?: string;
  } = {},
): { name: string; options: PairwiseOptions } {
  const { field, ...rest } = extra;
  const options: PairwiseOptions = {
    ...rest,
    judge: judges.resolve(config.judge, { field: field ?? 'pairwise.judge' }),
    temperature: judges.defaults.temperature,
    maxTokens: judges.defaults.maxTokens,
  };
  if (config.criteria !== undefined) options.criteria = config.criteria;
  const cost = judges.cost;
  if (cost !== undefined) options.cost = (response) => cost.call(judges, options.judge, response);
  return { name: config.name ?? DEFAULT_PAIRWISE_NAME, options };
}
