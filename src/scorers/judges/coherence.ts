import type { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { parseJudgeFactoryOptions } from './judge-scorer.js';
import { inputsText, outputsText } from './judge-text.js';
import {
  isBlank,
  type QualityJudgeOptions,
  qualityJudge,
  qualityJudgeOptionsSchema,
} from './quality-judge.js';

export const coherenceOptionsSchema = qualityJudgeOptionsSchema();

export type CoherenceOptions = QualityJudgeOptions;

/** Shown to the judge in place of the request when the row has none. */
const NO_REQUEST = '(no request given)';

/**
 * Coherence, in the style of MLflow's judges: "yes" when the response is logically organised and
 * consistent — each part follows from the one before, and nothing contradicts anything else. The
 * request (inputs), when there is one, is context only. With `rubric: true`, a score 1–5 and
 * `<name>/pass`.
 */
export function Coherence(options: CoherenceOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(coherenceDefinition, options);
  return buildCoherence(own, common, judges);
}

export const coherenceDefinition: ScorerDefinition<typeof coherenceOptionsSchema> = {
  type: 'coherence',
  kind: 'llm_judge',
  description:
    'LLM judge: the response is logically organised and free of contradictions (yes/no; rubric: 1-5 plus <name>/pass)',
  needs: ['outputs'],
  options: coherenceOptionsSchema,
  create: (options, common, context) => buildCoherence(options, common, context.judges),
};

function buildCoherence(
  options: z.infer<typeof coherenceOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return qualityJudge({
    type: coherenceDefinition.type,
    options,
    common,
    judges,
    required: ['outputs'],
    variables: ({ inputs, outputs }) => ({
      request: isBlank('inputs', inputs) ? NO_REQUEST : inputsText(inputs),
      response: outputsText(outputs),
    }),
  });
}
