import { z } from 'zod';
import type { Feedback } from '../../core/feedback.js';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { builtinJudge } from './builtin-judge.js';
import {
  CLAIM_JUDGE_MAX_TOKENS,
  claimJudgeOptionsShape,
  claimsFeedback,
  parseClaims,
  withJudgeMetadata,
} from './claims.js';
import { type JudgeScorerOptions, parseJudgeFactoryOptions } from './judge-scorer.js';
import { inputsText, outputsText } from './judge-text.js';

// The claim-line parser lives in claims.ts (shared with hallucination); exported here as before.
export { type Claim, parseClaims } from './claims.js';

export const summarizationFaithfulnessOptionsSchema = z
  .object({
    ...claimJudgeOptionsShape,
  })
  .strict();

export interface SummarizationFaithfulnessOptions extends JudgeScorerOptions {
  /** When set, the value is a bool: supported fraction >= threshold (default: the fraction itself). */
  threshold?: number;
}

/**
 * Faithfulness of a summary (the outputs) to its source (the inputs): the judge splits the summary into
 * claims and labels each supported or unsupported by the source; the value is the supported fraction in
 * [0, 1] (or, with `threshold`, whether it reaches it), and the rationale names the unsupported claims.
 */
export function SummarizationFaithfulness(options: SummarizationFaithfulnessOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(summarizationFaithfulnessDefinition, options);
  return buildSummarizationFaithfulness(own, common, judges);
}

export const summarizationFaithfulnessDefinition: ScorerDefinition<
  typeof summarizationFaithfulnessOptionsSchema
> = {
  type: 'summarization_faithfulness',
  kind: 'llm_judge',
  description:
    "LLM judge: share of the summary's claims the source (inputs) supports, 0..1 (or bool with threshold); names unsupported claims",
  needs: ['inputs', 'outputs'],
  options: summarizationFaithfulnessOptionsSchema,
  create: (options, common, context) => buildSummarizationFaithfulness(options, common, context.judges),
};

function buildSummarizationFaithfulness(
  options: z.infer<typeof summarizationFaithfulnessOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return builtinJudge({
    type: summarizationFaithfulnessDefinition.type,
    options: { ...options, max_tokens: options.max_tokens ?? CLAIM_JUDGE_MAX_TOKENS },
    common,
    judges,
    score: async ({ inputs, outputs }, { judge, prompt, verdict }) => {
      const summary = outputsText(outputs);
      if (summary.trim() === '')
        return judge.error('NO_CLAIMS', `scorer "${judge.name}": the summary (outputs) is empty`);
      const source = inputsText(inputs);
      if (source.trim() === '') {
        return judge.error(
          'MISSING_INPUTS',
          `scorer "${judge.name}" needs the source text in inputs, which is empty`,
        );
      }
      const answer = await judge.ask({ prompt, verdict, variables: { source, summary } });
      if (answer.error !== undefined) return answer;
      return verdictOf(answer, options.threshold, judge.error);
    },
  });
}

function verdictOf(
  answer: Feedback,
  threshold: number | undefined,
  error: (code: string, message: string) => Feedback,
): Feedback {
  const result = typeof answer.value === 'string' ? answer.value : '';
  const claims = parseClaims(result);
  if (claims.length === 0) {
    const code = result.trim() === '' ? 'NO_CLAIMS' : 'JUDGE_OUTPUT_INVALID';
    const why =
      code === 'NO_CLAIMS'
        ? 'the judge found no claims in the summary'
        : `no "SUPPORTED: …" or "UNSUPPORTED: …" line in the judge's result ${JSON.stringify(result.slice(0, 300))}`;
    return withJudgeMetadata(answer, error(code, why));
  }
  return claimsFeedback(answer, claims, { threshold, against: 'the source' });
}
