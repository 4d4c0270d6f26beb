import { z } from 'zod';
import type { Feedback } from '../../core/feedback.js';
import type { Scorer, ScorerArgs } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { builtinJudge } from './builtin-judge.js';
import {
  CLAIM_JUDGE_MAX_TOKENS,
  claimJudgeOptionsShape,
  claimsFeedback,
  parseClaims,
  unrelatedClaims,
  withJudgeMetadata,
} from './claims.js';
import { type JudgeScorerOptions, parseJudgeFactoryOptions } from './judge-scorer.js';
import { bulletList, inputsText } from './judge-text.js';
import { numberedChunks, responseText, retrievedContext } from './retrieval-context.js';

const EVIDENCE = ['auto', 'context', 'expectations'] as const;
type EvidenceMode = (typeof EVIDENCE)[number];

export const hallucinationOptionsSchema = z
  .object({
    ...claimJudgeOptionsShape,
    evidence: z
      .enum(EVIDENCE)
      .default('auto')
      .describe(
        'What the claims are checked against: the retrieved context, the expectations (expected_facts, expected_response), or auto: whichever the row has, both when it has both',
      ),
  })
  .strict();

export interface HallucinationOptions extends JudgeScorerOptions {
  /** When set, the value is a bool: supported fraction >= threshold (default: the fraction itself). */
  threshold?: number;
  /** What the claims are checked against (default `auto`: whatever the row has, both when both). */
  evidence?: EvidenceMode;
}

/**
 * Hallucination: the judge splits the response (the outputs) into claims and labels each supported or
 * unsupported by the evidence — the retrieved context (as the retrieval judges find it) and/or the
 * expectations `expected_facts` and `expected_response`. The value is the supported fraction in [0, 1]
 * (1 = nothing hallucinated), or with `threshold` whether it reaches it; the rationale names the
 * unsupported claims. A response without any factual claim ("I don't know") is not scored: the error
 * feedback `NO_CLAIMS`.
 */
export function Hallucination(options: HallucinationOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(hallucinationDefinition, options);
  return buildHallucination(own, common, judges);
}

export const hallucinationDefinition: ScorerDefinition<typeof hallucinationOptionsSchema> = {
  type: 'hallucination',
  kind: 'llm_judge',
  description:
    "LLM judge: share of the response's claims backed by the retrieved context and/or expectations (either will do), 0..1 (or bool with threshold); names unsupported claims",
  needs: ['outputs', 'retrieved context', 'expectations.expected_facts | expected_response'],
  options: hallucinationOptionsSchema,
  create: (options, common, context) => buildHallucination(options, common, context.judges),
};

/** The prompt's evidence sections; `(none)` for a section the row does not fill. */
interface Evidence {
  context: string;
  expected_facts: string;
  expected_response: string;
  /** Where the evidence came from (`span search_docs`, `inputs.context`, `expectations.expected_facts`). */
  origins: string[];
}

const NONE = '(none)';

const CONTEXT_FIELDS =
  'retrieved context (a RETRIEVER span in the trace, outputs.retrieved_context, inputs.retrieved_context, inputs.context or expectations.retrieved_context)';
const EXPECTATION_FIELDS = 'expectations.expected_facts or expectations.expected_response';
const LOOKED_AT: Record<EvidenceMode, string> = {
  auto: `${CONTEXT_FIELDS}, or ${EXPECTATION_FIELDS}`,
  context: CONTEXT_FIELDS,
  expectations: EXPECTATION_FIELDS,
};

/** The judge's result for a response without factual claims (tolerating quotes, bold, a space). */
const NO_CLAIMS = /^[\s"'`*_.]*NO[\s_-]?CLAIMS[\s"'`*_.]*$/i;

function buildHallucination(
  options: z.infer<typeof hallucinationOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return builtinJudge({
    type: hallucinationDefinition.type,
    options: { ...options, max_tokens: options.max_tokens ?? CLAIM_JUDGE_MAX_TOKENS },
    common,
    judges,
    score: async (args, { judge, prompt, verdict }) => {
      const response = responseText(args.outputs);
      if (response.trim() === '') {
        return judge.error(
          'MISSING_OUTPUTS',
          `scorer "${judge.name}" needs a response in outputs, which is empty`,
        );
      }
      const evidence = evidenceOf(args, options.evidence);
      if (evidence === undefined) {
        return judge.error(
          'MISSING_CONTEXT',
          `scorer "${judge.name}" (evidence: ${options.evidence}) needs evidence to check the response against: ${LOOKED_AT[options.evidence]}; this row has none`,
        );
      }
      const { origins, ...sections } = evidence;
      const request = requestText(args.inputs);
      const answer = await judge.ask({ prompt, verdict, variables: { request, response, ...sections } });
      if (answer.error !== undefined) return answer;
      const feedback = verdictOf(answer, {
        threshold: options.threshold,
        error: judge.error,
        against: against(evidence),
        answered: [response, request],
      });
      if (feedback.error !== undefined) return feedback;
      return { ...feedback, metadata: { ...feedback.metadata, evidence: origins.join(', ') } };
    },
  });
}

/** The row's evidence for `mode`, or undefined when it has none. */
function evidenceOf(args: ScorerArgs, mode: EvidenceMode): Evidence | undefined {
  const origins: string[] = [];
  let context = NONE;
  if (mode !== 'expectations') {
    const groups = retrievedContext(args);
    if (groups.length > 0) {
      context = numberedChunks(groups.flatMap((group) => group.chunks));
      origins.push(...groups.map((group) => group.origin));
    }
  }
  let facts = NONE;
  let expected = NONE;
  if (mode !== 'context') {
    const factList = bulletList(args.expectations.expected_facts);
    if (factList !== undefined) {
      facts = factList;
      origins.push('expectations.expected_facts');
    }
    const reference = referenceText(args.expectations.expected_response);
    if (reference !== undefined) {
      expected = reference;
      origins.push('expectations.expected_response');
    }
  }
  if (origins.length === 0) return undefined;
  return { context, expected_facts: facts, expected_response: expected, origins };
}

function referenceText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.trim() === '' ? undefined : text;
}

/** The request, for understanding the response only: without the context fields shown as evidence. */
function requestText(inputs: Record<string, unknown>): string {
  const { context: _context, retrieved_context: _retrieved, ...rest } = inputs;
  if (Object.keys(rest).length === 0) return NONE;
  const text = inputsText(rest);
  return text.trim() === '' ? NONE : text;
}

/** What the rationale says the claims were checked against. */
function against(evidence: Evidence): string {
  const context = evidence.context !== NONE;
  const expectations = evidence.expected_facts !== NONE || evidence.expected_response !== NONE;
  if (context && expectations) return 'the context and expectations';
  return context ? 'the context' : 'the expectations';
}

function verdictOf(
  answer: Feedback,
  options: {
    threshold: number | undefined;
    error: (code: string, message: string) => Feedback;
    /** What the claims were checked against, for the rationale. */
    against: string;
    /** The response and the request: every claim must come from them. */
    answered: string[];
  },
): Feedback {
  const { error } = options;
  const result = typeof answer.value === 'string' ? answer.value : '';
  const claims = parseClaims(result);
  if (claims.length > 0) {
    const unrelated = unrelatedClaims(claims, options.answered);
    if (unrelated.length > 0) {
      return withJudgeMetadata(
        answer,
        error(
          'JUDGE_OUTPUT_INVALID',
          `the judge listed claims that are not in the response (no word in common with the response or the request; a small judge may have repeated the prompt's example): ${unrelated.map((c) => JSON.stringify(c.claim)).join('; ')}`,
        ),
      );
    }
    return claimsFeedback(answer, claims, { threshold: options.threshold, against: options.against });
  }
  // No claims is not scored as 1 ("nothing hallucinated"): Gemma 3 270M answered NO_CLAIMS for rows
  // with plainly false claims, and a weak judge's shortcut must not become a perfect score.
  if (result.trim() === '' || NO_CLAIMS.test(result)) {
    const why = `the judge found no factual claims in the response (${JSON.stringify(result.slice(0, 40))}); a response that only abstains or asks back has nothing to check`;
    return withJudgeMetadata(answer, error('NO_CLAIMS', why));
  }
  return withJudgeMetadata(
    answer,
    error(
      'JUDGE_OUTPUT_INVALID',
      `no "SUPPORTED: …" or "UNSUPPORTED: …" line in the judge's result ${JSON.stringify(result.slice(0, 300))}`,
    ),
  );
}
