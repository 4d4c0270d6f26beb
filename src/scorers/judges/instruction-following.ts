import { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { builtinJudge } from './builtin-judge.js';
import { type JudgeScorerOptions, judgeOptionsShape, parseJudgeFactoryOptions } from './judge-scorer.js';
import { bulletList, inputsText, outputsText } from './judge-text.js';

const instructionText = z
  .string()
  .trim()
  .min(1, { error: 'expected the instruction text, not an empty string' });

export const instructionFollowingOptionsSchema = z
  .object({
    instructions: z
      .union([instructionText, z.array(instructionText).min(1)], {
        error: 'expected the instruction text: a string, or a list of strings',
      })
      .optional()
      .describe(
        "Instructions every row's response must follow; default: each row's expectations.instructions, else inputs.instructions",
      ),
    ...judgeOptionsShape,
  })
  .strict();

export interface InstructionFollowingOptions extends JudgeScorerOptions {
  /** Instructions for every row; without them, each row's `expectations.instructions` or `inputs.instructions`. */
  instructions?: string | string[];
}

/**
 * LLM judge for free-form instructions ("answer in three bullet points", "do not mention prices"):
 * "yes" when the response follows every one of them, "no" otherwise, with a rationale naming the
 * instructions broken. The instructions come from the scorer's `instructions` option, else the row's
 * `expectations.instructions`, else `inputs.instructions` (a string or a list of strings); the text
 * judged is stored in the feedback's metadata `instructions`. For IFEval's verifiable instructions use
 * the `ifeval` code scorer instead.
 */
export function InstructionFollowing(options: InstructionFollowingOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(instructionFollowingDefinition, options);
  return buildInstructionFollowing(own, common, judges);
}

export const instructionFollowingDefinition: ScorerDefinition<typeof instructionFollowingOptionsSchema> = {
  type: 'instruction_following',
  kind: 'llm_judge',
  description:
    'LLM judge: the response follows every instruction (option instructions, else expectations or inputs .instructions; yes/no)',
  needs: ['inputs', 'outputs', 'expectations.instructions'],
  options: instructionFollowingOptionsSchema,
  create: (options, common, context) => buildInstructionFollowing(options, common, context.judges),
};

function buildInstructionFollowing(
  options: z.infer<typeof instructionFollowingOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return builtinJudge({
    type: instructionFollowingDefinition.type,
    options,
    common,
    judges,
    score: ({ inputs, outputs, expectations }, { judge, prompt, verdict }) => {
      const given = options.instructions ?? expectations.instructions ?? inputs.instructions;
      const instructions = bulletList(given);
      if (instructions === undefined) {
        return judge.error(
          'MISSING_EXPECTATION',
          `scorer "${judge.name}" needs instructions: the option, expectations.instructions or inputs.instructions (a string or a list of strings), which this row does not have`,
        );
      }
      const { instructions: _, ...request } = inputs;
      return judge.ask({
        prompt,
        verdict,
        variables: { request: inputsText(request), instructions, response: outputsText(outputs) },
        metadata: { instructions: Array.isArray(given) ? given.join('\n') : String(given) },
      });
    },
  });
}
