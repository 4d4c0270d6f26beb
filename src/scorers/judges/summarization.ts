import { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { builtinJudge } from './builtin-judge.js';
import { type JudgeScorerOptions, judgeOptionsShape, parseJudgeFactoryOptions } from './judge-scorer.js';
import { inputsText, outputsText } from './judge-text.js';

export const summarizationOptionsSchema = z.object({ ...judgeOptionsShape }).strict();

/**
 * MLflow's Summarization: "yes" when the response (the summary) keeps the main points of the input text
 * and adds nothing it does not say.
 */
export function Summarization(options: JudgeScorerOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(summarizationDefinition, options);
  return buildSummarization(own, common, judges);
}

export const summarizationDefinition: ScorerDefinition<typeof summarizationOptionsSchema> = {
  type: 'summarization',
  kind: 'llm_judge',
  description: 'LLM judge: the response is a faithful summary of the input text (yes/no)',
  needs: ['inputs', 'outputs'],
  options: summarizationOptionsSchema,
  create: (options, common, context) => buildSummarization(options, common, context.judges),
};

function buildSummarization(
  options: z.infer<typeof summarizationOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return builtinJudge({
    type: summarizationDefinition.type,
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
