import type { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { parseJudgeFactoryOptions } from './judge-scorer.js';
import { outputsText } from './judge-text.js';
import { type QualityJudgeOptions, qualityJudge, qualityJudgeOptionsSchema } from './quality-judge.js';

export const fluencyOptionsSchema = qualityJudgeOptionsSchema();

export type FluencyOptions = QualityJudgeOptions;

/**
 * MLflow's Fluency: "yes" when the response is grammatical, clear and natural; only the outputs are
 * judged. With `rubric: true`, a score 1–5 and `<name>/pass`.
 */
export function Fluency(options: FluencyOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(fluencyDefinition, options);
  return buildFluency(own, common, judges);
}

export const fluencyDefinition: ScorerDefinition<typeof fluencyOptionsSchema> = {
  type: 'fluency',
  kind: 'llm_judge',
  description:
    'LLM judge: the response is grammatical and reads naturally (yes/no; rubric: 1-5 plus <name>/pass)',
  needs: ['outputs'],
  options: fluencyOptionsSchema,
  create: (options, common, context) => buildFluency(options, common, context.judges),
};

function buildFluency(
  options: z.infer<typeof fluencyOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return qualityJudge({
    type: fluencyDefinition.type,
    options,
    common,
    judges,
    required: ['outputs'],
    variables: ({ outputs }) => ({ response: outputsText(outputs) }),
  });
}
