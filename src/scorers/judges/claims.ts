import { z } from 'zod';
import type { Feedback } from '../../core/feedback.js';
import { judgeOptionsShape } from './judge-scorer.js';

// The claim-by-claim judges (summarization_faithfulness, hallucination) ask the judge for one labelled
// claim per line and count the lines themselves, so the judge never does the arithmetic. This is the
// line parser and the feedback both build from the labelled claims.

/** The judge lists every claim, so its reply is longer than a yes/no verdict's. */
export const CLAIM_JUDGE_MAX_TOKENS = 1024;

/** The options both claim-by-claim judges take: the judge's own, a longer reply, an optional threshold. */
export const claimJudgeOptionsShape = {
  ...judgeOptionsShape,
  max_tokens: judgeOptionsShape.max_tokens.describe(
    `Cap on the judge's reply, which lists every claim (default ${CLAIM_JUDGE_MAX_TOKENS})`,
  ),
  threshold: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe('When set, the value is a bool: supported fraction >= threshold (default: the fraction)'),
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

/** The judge's usage metadata (tokens, cost) kept on a feedback built from its answer. */
export function withJudgeMetadata(answer: Feedback, feedback: Feedback): Feedback {
  return { ...feedback, metadata: { ...answer.metadata, ...feedback.metadata } };
}

/**
 * The feedback for a non-empty list of labelled claims: the supported fraction (or, with `threshold`,
 * whether it reaches it), a rationale that names the unsupported claims before the judge's own, and the
 * metadata `supported_fraction`, `claims`, `unsupported_claims` (a JSON list).
 */
export function claimsFeedback(
  answer: Feedback,
  claims: readonly Claim[],
  options: { threshold: number | undefined; against: string },
): Feedback {
  const unsupported = claims.filter((claim) => !claim.supported).map((claim) => claim.claim);
  const supported = claims.length - unsupported.length;
  const fraction = supported / claims.length;
  const summaryLine = `${supported} of ${claims.length} claims are supported by ${options.against}`;
  const named =
    unsupported.length === 0
      ? '.'
      : `; unsupported: ${unsupported.map((c) => JSON.stringify(c)).join('; ')}.`;
  return withJudgeMetadata(answer, {
    ...answer,
    value: options.threshold === undefined ? fraction : fraction >= options.threshold,
    rationale: `${summaryLine}${named} ${answer.rationale ?? ''}`.trim(),
    metadata: {
      supported_fraction: String(fraction),
      claims: String(claims.length),
      unsupported_claims: JSON.stringify(unsupported),
    },
  });
}

// Words too common to tie a claim to a text.
const COMMON_WORDS = new Set(
  'that this with from have were been they their there them then than what when which where does about into also only some more most very will would could should your yours said says just like each other such these those being while after before because'.split(
    ' ',
  ),
);

/** A text's content words (4+ letters, or any token with a digit), cut to 5 letters to meet inflections. */
function contentWords(text: string): Set<string> {
  const words = new Set<string>();
  for (const token of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    const hasDigit = /\p{N}/u.test(token);
    if ((token.length < 4 && !hasDigit) || COMMON_WORDS.has(token)) continue;
    words.add(hasDigit ? token : Array.from(token).slice(0, 5).join(''));
  }
  return words;
}

/**
 * The claims that share no content word with any of `texts` (the response and what it answers): claims
 * the judge did not take from the response — a small judge that repeats the prompt's example, or writes
 * about something else, produces these, and counting them would give a wrong number.
 */
export function unrelatedClaims(claims: readonly Claim[], texts: readonly string[]): Claim[] {
  const known = new Set(texts.flatMap((text) => [...contentWords(text)]));
  return claims.filter((claim) => {
    const words = contentWords(claim.claim);
    // a claim with no content word at all ("It is."): nothing to check it by
    if (words.size === 0) return false;
    for (const word of words) if (known.has(word)) return false;
    return true;
  });
}
