import { z } from 'zod';
import type { Feedback } from '../../core/feedback.js';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { builtinJudge } from './builtin-judge.js';
import { type JudgeScorerOptions, judgeOptionsShape, parseJudgeFactoryOptions } from './judge-scorer.js';
import { inputsText, outputsText } from './judge-text.js';

/** The judge lists every claim, so its reply is longer than a yes/no verdict's. */
const DEFAULT_MAX_TOKENS = 1024;

export const summarizationFaithfulnessOptionsSchema = z
  .object({
    ...judgeOptionsShape,
    max_tokens: judgeOptionsShape.max_tokens.describe(
      `Cap on the judge's reply, which lists every claim (default ${DEFAULT_MAX_TOKENS})`,
    ),
    threshold: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('When set, the value is a bool: supported fraction >= threshold (default: the fraction)'),
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

/** One labelled claim of the judge's result. */
export interface Claim {
  claim: string;
  supported: boolean;
}

// "SUPPORTED: ...", tolerating list markers, bold and other separators small judges add.
const CLAIM_LINE =
  /^\s*(?:[-*•]|\d+[.)])?\s*[*_]*\s*(UNSUPPORTED|NOT SUPPORTED|SUPPORTED)\s*[*_]*\s*[:\-–—]\s*(.*\S)\s*$/i;

/** The labelled claims in the judge's result; lines of any other shape are ignored. */
export function parseClaims(result: string): Claim[] {
  const claims: Claim[] = [];
  for (const line of result.split(/\r?\n/)) {
    const match = CLAIM_LINE.exec(line);
    if (match === null) continue;
    claims.push({
      claim: match[2]!.replace(/[*_]+$/, '').trim(),
      supported: match[1]!.toUpperCase() === 'SUPPORTED',
    });
  }
  return claims;
}

function buildSummarizationFaithfulness(
  options: z.infer<typeof summarizationFaithfulnessOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return builtinJudge({
    type: summarizationFaithfulnessDefinition.type,
    options: { ...options, max_tokens: options.max_tokens ?? DEFAULT_MAX_TOKENS },
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
  const withUsage = (feedback: Feedback): Feedback => ({
    ...feedback,
    metadata: { ...answer.metadata, ...feedback.metadata },
  });
  if (claims.length === 0) {
    const code = result.trim() === '' ? 'NO_CLAIMS' : 'JUDGE_OUTPUT_INVALID';
    const why =
      code === 'NO_CLAIMS'
        ? 'the judge found no claims in the summary'
        : `no "SUPPORTED: …" or "UNSUPPORTED: …" line in the judge's result ${JSON.stringify(result.slice(0, 300))}`;
    return withUsage(error(code, why));
  }
  const unsupported = claims.filter((claim) => !claim.supported).map((claim) => claim.claim);
  const fraction = (claims.length - unsupported.length) / claims.length;
  const summaryLine = `${claims.length - unsupported.length} of ${claims.length} claims are supported by the source`;
  const named =
    unsupported.length === 0
      ? '.'
      : `; unsupported: ${unsupported.map((c) => JSON.stringify(c)).join('; ')}.`;
  return withUsage({
    ...answer,
    value: threshold === undefined ? fraction : fraction >= threshold,
    rationale: `${summaryLine}${named} ${answer.rationale ?? ''}`.trim(),
    metadata: {
      supported_fraction: String(fraction),
      claims: String(claims.length),
      unsupported_claims: JSON.stringify(unsupported),
    },
  });
}
