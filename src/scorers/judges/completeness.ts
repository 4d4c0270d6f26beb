import { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { builtinJudge } from './builtin-judge.js';
import { type JudgeScorerOptions, judgeOptionsShape, parseJudgeFactoryOptions } from './judge-scorer.js';
import { inputsText, outputsText } from './judge-text.js';

export const completenessOptionsSchema = z.object({ ...judgeOptionsShape }).strict();

/**
 * MLflow's Completeness: "yes" when the response addresses every question and part of the request.
 */
export function Completeness(options: JudgeScorerOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(completenessDefinition, options);
  return buildCompleteness(own, common, judges);
}

export const completenessDefinition: ScorerDefinition<typeof completenessOptionsSchema> = {
  type: 'completeness',
  kind: 'llm_judge',
  description: 'LLM judge: the response addresses every part of the request (yes/no)',
  needs: ['inputs', 'outputs'],
  options: completenessOptionsSchema,
  create: (options, common, context) => buildCompleteness(options, common, context.judges),
};

function buildCompleteness(
  options: z.infer<typeof completenessOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return builtinJudge({
    type: completenessDefinition.type,
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
