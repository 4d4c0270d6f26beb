import { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { builtinJudge } from './builtin-judge.js';
import { type JudgeScorerOptions, judgeOptionsShape, parseJudgeFactoryOptions } from './judge-scorer.js';
import { bulletList, inputsText, outputsText } from './judge-text.js';

export const correctnessOptionsSchema = z.object({ ...judgeOptionsShape }).strict();

/**
 * MLflow's Correctness: "yes" when the response agrees with `expectations.expected_response`, or
 * contains every one of `expectations.expected_facts`; "no" otherwise. A row with neither is an error
 * feedback (MISSING_EXPECTATION) and costs no judge call.
 */
export function Correctness(options: JudgeScorerOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(correctnessDefinition, options);
  return buildCorrectness(own, common, judges);
}

export const correctnessDefinition: ScorerDefinition<typeof correctnessOptionsSchema> = {
  type: 'correctness',
  kind: 'llm_judge',
  description:
    'LLM judge: the response is correct against expectations.expected_response or expected_facts (yes/no)',
  needs: ['inputs', 'outputs', 'expectations.expected_response | expected_facts'],
  options: correctnessOptionsSchema,
  create: (options, common, context) => buildCorrectness(options, common, context.judges),
};

function buildCorrectness(
  options: z.infer<typeof correctnessOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return builtinJudge({
    type: correctnessDefinition.type,
    options,
    common,
    judges,
    score: ({ inputs, outputs, expectations }, { judge, prompt, verdict }) => {
      const parts: string[] = [];
      const response = expectations.expected_response;
      if (response !== undefined && response !== null) {
        parts.push(
          `Expected response:\n${typeof response === 'string' ? response : JSON.stringify(response)}`,
        );
      }
      const facts = bulletList(expectations.expected_facts);
      if (facts !== undefined) parts.push(`Expected facts (the response must state every one):\n${facts}`);
      if (parts.length === 0) {
        return judge.error(
          'MISSING_EXPECTATION',
          `scorer "${judge.name}" needs expectations.expected_response or expectations.expected_facts, which this row does not have`,
        );
      }
      return judge.ask({
        prompt,
        verdict,
        variables: {
          request: inputsText(inputs),
          response: outputsText(outputs),
          reference: parts.join('\n\n'),
        },
      });
    },
  });
}
