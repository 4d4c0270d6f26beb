import { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { builtinJudge } from './builtin-judge.js';
import { type JudgeScorerOptions, judgeOptionsShape, parseJudgeFactoryOptions } from './judge-scorer.js';
import { bulletList, inputsText, outputsText } from './judge-text.js';

export const expectationsGuidelinesOptionsSchema = z.object({ ...judgeOptionsShape }).strict();

/**
 * MLflow's ExpectationsGuidelines: like Guidelines, but each row carries its own guidelines in
 * `expectations.guidelines` (a string or a list). A row without them is an error feedback
 * (MISSING_EXPECTATION) and costs no judge call.
 */
export function ExpectationsGuidelines(options: JudgeScorerOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(expectationsGuidelinesDefinition, options);
  return buildExpectationsGuidelines(own, common, judges);
}

export const expectationsGuidelinesDefinition: ScorerDefinition<typeof expectationsGuidelinesOptionsSchema> =
  {
    type: 'expectations_guidelines',
    kind: 'llm_judge',
    description: "LLM judge: the response follows the row's expectations.guidelines (yes/no)",
    needs: ['inputs', 'outputs', 'expectations.guidelines'],
    options: expectationsGuidelinesOptionsSchema,
    create: (options, common, context) => buildExpectationsGuidelines(options, common, context.judges),
  };

function buildExpectationsGuidelines(
  options: z.infer<typeof expectationsGuidelinesOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return builtinJudge({
    type: expectationsGuidelinesDefinition.type,
    options,
    common,
    judges,
    score: ({ inputs, outputs, expectations }, { judge, prompt, verdict }) => {
      const guidelines = bulletList(expectations.guidelines);
      if (guidelines === undefined) {
        return judge.error(
          'MISSING_EXPECTATION',
          `scorer "${judge.name}" needs expectations.guidelines (a string or a list of strings), which this row does not have`,
        );
      }
      const guideline = Array.isArray(expectations.guidelines)
        ? (expectations.guidelines as string[]).join('\n')
        : (expectations.guidelines as string);
      return judge.ask({
        prompt,
        verdict,
        variables: { guidelines, request: inputsText(inputs), response: outputsText(outputs) },
        metadata: { guideline },
      });
    },
  });
}
