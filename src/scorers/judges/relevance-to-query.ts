import { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { builtinJudge } from './builtin-judge.js';
import { type JudgeScorerOptions, judgeOptionsShape, parseJudgeFactoryOptions } from './judge-scorer.js';
import { inputsText, outputsText } from './judge-text.js';

export const relevanceToQueryOptionsSchema = z.object({ ...judgeOptionsShape }).strict();

/**
 * MLflow's RelevanceToQuery (also known as RelevanceToInput): "yes" when the response addresses the
 * request, whether or not it is correct.
 */
export function RelevanceToQuery(options: JudgeScorerOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(relevanceToQueryDefinition, options);
  return buildRelevanceToQuery(own, common, judges);
}

/** The name some users know MLflow's RelevanceToQuery by. */
export const RelevanceToInput = RelevanceToQuery;

export const relevanceToQueryDefinition: ScorerDefinition<typeof relevanceToQueryOptionsSchema> = {
  type: 'relevance_to_query',
  aliases: ['RelevanceToInput'],
  kind: 'llm_judge',
  description: "LLM judge: the response addresses the user's request (yes/no)",
  needs: ['inputs', 'outputs'],
  options: relevanceToQueryOptionsSchema,
  create: (options, common, context) => buildRelevanceToQuery(options, common, context.judges),
};

function buildRelevanceToQuery(
  options: z.infer<typeof relevanceToQueryOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return builtinJudge({
    type: relevanceToQueryDefinition.type,
    options,
    common,
    judges,
    score: ({ inputs, outputs }, { judge, prompt, verdict }) =>
      judge.ask({
        prompt,
        verdict,
        variables: { request: inputsText(inputs), response: outputsText(outputs) },
      }),
  });
}
