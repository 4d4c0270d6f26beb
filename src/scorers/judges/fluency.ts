import { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { builtinJudge } from './builtin-judge.js';
import { type JudgeScorerOptions, judgeOptionsShape, parseJudgeFactoryOptions } from './judge-scorer.js';
import { outputsText } from './judge-text.js';

export const fluencyOptionsSchema = z.object({ ...judgeOptionsShape }).strict();

/**
 * MLflow's Fluency: "yes" when the response is grammatical, clear and natural; only the outputs are judged.
 */
export function Fluency(options: JudgeScorerOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(fluencyDefinition, options);
  return buildFluency(own, common, judges);
}

export const fluencyDefinition: ScorerDefinition<typeof fluencyOptionsSchema> = {
  type: 'fluency',
  kind: 'llm_judge',
  description: 'LLM judge: the response is grammatical and reads naturally (yes/no)',
  needs: ['outputs'],
  options: fluencyOptionsSchema,
  create: (options, common, context) => buildFluency(options, common, context.judges),
};

function buildFluency(
  options: z.infer<typeof fluencyOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return builtinJudge({
    type: fluencyDefinition.type,
    options,
    common,
    judges,
    score: ({ outputs }, { judge, prompt, verdict }) =>
      judge.ask({ prompt, verdict, variables: { response: outputsText(outputs) } }),
  });
}
