import { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { builtinJudge } from './builtin-judge.js';
import { type JudgeScorerOptions, judgeOptionsShape, parseJudgeFactoryOptions } from './judge-scorer.js';
import { bulletList, inputsText, outputsText } from './judge-text.js';

export const guidelinesOptionsSchema = z
  .object({
    guidelines: z
      .union(
        [
          z.string().trim().min(1, { error: 'expected the guideline text, not an empty string' }),
          z
            .array(z.string().trim().min(1, { error: 'expected the guideline text, not an empty string' }))
            .min(1),
        ],
        { error: 'expected the guideline text: a string, or a list of strings' },
      )
      .describe('One guideline, or a list the response must all follow'),
    ...judgeOptionsShape,
  })
  .strict();

export interface GuidelinesOptions extends JudgeScorerOptions {
  /** One guideline, or a list; the response must follow all of them. */
  guidelines: string | string[];
}

/**
 * MLflow's Guidelines: "yes" when the response follows every guideline given here (the same for every
 * row), "no" when it breaks one. Name each instance (`{name: 'is_english', guidelines: ...}`): the name
 * is the feedback name. The guideline text is stored in the feedback's metadata (`guideline`), as MLflow does.
 */
export function Guidelines(options: GuidelinesOptions): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(guidelinesDefinition, options);
  return buildGuidelines(own, common, judges);
}

export const guidelinesDefinition: ScorerDefinition<typeof guidelinesOptionsSchema> = {
  type: 'guidelines',
  kind: 'llm_judge',
  description: 'LLM judge: the response follows the given guidelines (yes/no); name it, e.g. is_english',
  needs: ['inputs', 'outputs'],
  options: guidelinesOptionsSchema,
  create: (options, common, context) => buildGuidelines(options, common, context.judges),
};

function buildGuidelines(
  options: z.infer<typeof guidelinesOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  const guidelines = bulletList(options.guidelines) as string;
  const guideline =
    typeof options.guidelines === 'string' ? options.guidelines : options.guidelines.join('\n');
  return builtinJudge({
    type: guidelinesDefinition.type,
    options,
    common,
    judges,
    score: ({ inputs, outputs }, { judge, prompt, verdict }) =>
      judge.ask({
        prompt,
        verdict,
        variables: { guidelines, request: inputsText(inputs), response: outputsText(outputs) },
        metadata: { guideline },
      }),
  });
}
