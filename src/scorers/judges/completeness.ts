import type { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { parseJudgeFactoryOptions } from './judge-scorer.js';
import { inputsText, outputsText } from './judge-text.js';
import { type QualityJudgeOptions, qualityJudge, qualityJudgeOptionsSchema } from './quality-judge.js';

export const completenessOptionsSchema = qualityJudgeOptionsSchema();

export type CompletenessOptions = QualityJudgeOptions;

/**
 * MLflow's Completeness: "yes" when the response addresses every question and part of the request.
 * With `rubric: true`, a score 1–5 and `<name>/pass`.
 */
export function Completeness(options: CompletenessOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(completenessDefinition, options);
  return buildCompleteness(own, common, judges);
}

export const completenessDefinition: ScorerDefinition<typeof completenessOptionsSchema> = {
  type: 'completeness',
  kind: 'llm_judge',
  description:
    'LLM judge: the response addresses every part of the request (yes/no; rubric: 1-5 plus <name>/pass)',
  needs: ['inputs', 'outputs'],
  options: completenessOptionsSchema,
  create: (options, common, context) => buildCompleteness(options, common, context.judges),
};

function buildCompleteness(
  options: z.infer<typeof completenessOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return qualityJudge({
    type: completenessDefinition.type,
    options,
    common,
    judges,
    required: ['inputs', 'outputs'],
    variables: ({ inputs, outputs }) => ({ request: inputsText(inputs), response: outputsText(outputs) }),
  });
}
