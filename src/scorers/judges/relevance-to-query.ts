import type { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { parseJudgeFactoryOptions } from './judge-scorer.js';
import { inputsText, outputsText } from './judge-text.js';
import { type QualityJudgeOptions, qualityJudge, qualityJudgeOptionsSchema } from './quality-judge.js';

export const relevanceToQueryOptionsSchema = qualityJudgeOptionsSchema();

export type RelevanceToQueryOptions = QualityJudgeOptions;

/**
 * MLflow's RelevanceToQuery (also known as RelevanceToInput): "yes" when the response addresses the
 * request, whether or not it is correct. With `rubric: true`, a score 1–5 and `<name>/pass`.
 */
export function RelevanceToQuery(options: RelevanceToQueryOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(relevanceToQueryDefinition, options);
  return buildRelevanceToQuery(own, common, judges);
}

/** The name some users know MLflow's RelevanceToQuery by. */
export const RelevanceToInput = RelevanceToQuery;

export const relevanceToQueryDefinition: ScorerDefinition<typeof relevanceToQueryOptionsSchema> = {
  type: 'relevance_to_query',
  aliases: ['RelevanceToInput'],
  kind: 'llm_judge',
  description: "LLM judge: the response addresses the user's request (yes/no; rubric: 1-5 plus <name>/pass)",
  needs: ['inputs', 'outputs'],
  options: relevanceToQueryOptionsSchema,
  create: (options, common, context) => buildRelevanceToQuery(options, common, context.judges),
};

function buildRelevanceToQuery(
  options: z.infer<typeof relevanceToQueryOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return qualityJudge({
    type: relevanceToQueryDefinition.type,
    options,
    common,
    judges,
    required: ['inputs', 'outputs'],
    variables: ({ inputs, outputs }) => ({ request: inputsText(inputs), response: outputsText(outputs) }),
  });
}
