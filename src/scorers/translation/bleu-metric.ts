import { ConfigError } from '../../core/errors.js';
import { pythonRstrip, pythonSplit } from './python-text.js';
import { tokenize13a } from './tokenize-13a.js';

// BLEU (Papineni et al., 2002) as sacrebleu 2.x computes it, step for step, so its numbers are
// sacrebleu's: the same tokenization, the same n-gram statistics, the same smoothing and the same
// floating-point operations in the same order (parity: test/unit/parity-translation.test.ts).

export type BleuSmoothMethod = 'exp' | 'floor' | 'add-k' | 'none';
export type BleuTokenizer = '13a' | 'none';

export interface BleuOptions {
  /** Lowercase hypothesis and references first (sacrebleu `lowercase`; default false). */
  lowercase?: boolean;
  /** `13a` (default, WMT's mteval-v13a) or `none` (split on whitespace only). */
  tokenize?: BleuTokenizer;
  /** Smoothing (Chen & Cherry 2014): `exp` (default, NIST), `floor`, `add-k`, `none`. */
  smoothMethod?: BleuSmoothMethod;
  /** The value for `floor` (default 0.1) and `add-k` (default 1). */
  smoothValue?: number;
  /** Highest n-gram order (default 4). */
  maxNgramOrder?: number;
  /**
   * Average only over the orders the hypothesis has n-grams of. Default: true for `sentenceBleu` (as
   * sacrebleu's `sentence_bleu`), false for `corpusBleu` (as `corpus_bleu`).
   */
  effectiveOrder?: boolean;
}

/** A BLEU score and its statistics, as sacrebleu's `BLEUScore`. */
export interface BleuScore {
  /** 0–100. */
  score: number;
  /** Matched n-grams per order (1..maxNgramOrder). */
  counts: number[];
  /** Hypothesis n-grams per order. */
  totals: number[];
  /** Precision per order, 0–100 (smoothed). */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  /** Hypothesis length in tokens. */
  sysLen: number;
  /** The closest reference length in tokens (the shorter one on a tie), summed over the corpus. */
  refLen: number;
}

const SMOOTH_DEFAULTS: Record<BleuSmoothMethod, number> = { none: 0, floor: 0.1, 'add-k': 1, exp: 0 };
/** sacrebleu's `my_log(0)`: a floor instead of -Infinity. */
const LOG_ZERO = -9999999999;

/** Sentence BLEU with sacrebleu's `sentence_bleu` defaults (13a, exp smoothing, effective order). */
export function sentenceBleu(
  hypothesis: string,
  references: readonly string[],
  options: BleuOptions = {},
): BleuScore {
  return corpusBleu([hypothesis], [references], { effectiveOrder: true, ...options });
}

/**
 * Corpus BLEU with sacrebleu's `corpus_bleu` defaults: statistics summed over all segments, then one
 * score. `references[i]` holds the references of `hypotheses[i]` (one or more; the count may vary by
 * segment) — per segment, where sacrebleu takes one stream per reference set.
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: BleuOptions = {},
): BleuScore {
  const settings = bleuSettings(options);
  if (hypotheses.length !== references.length) {
    throw new ConfigError(
      `corpusBleu: ${hypotheses.length} hypotheses but ${references.length} reference lists (one list per hypothesis)`,
    );
  }
  const order = settings.maxNgramOrder;
  const totals = new Array<number>(2 + 2 * order).fill(0);
  hypotheses.forEach((hypothesis, index) => {
    const segment = segmentStatistics(hypothesis, references[index] ?? [], index, settings);
    for (let i = 0; i < totals.length; i++) totals[i] = (totals[i] ?? 0) + (segment[i] ?? 0);
  });
  return computeBleu(totals, settings);
}

type BleuSettings = Required<Omit<BleuOptions, 'smoothValue'>> & { smoothValue: number };

function bleuSettings(options: BleuOptions): BleuSettings {
  const smoothMethod = options.smoothMethod ?? 'exp';
  const maxNgramOrder = options.maxNgramOrder ?? 4;
  if (!Number.isInteger(maxNgramOrder) || maxNgramOrder < 1) {
    throw new ConfigError(`BLEU: maxNgramOrder must be a positive integer, got ${maxNgramOrder}`);
  }
  return {
    lowercase: options.lowercase ?? false,
    tokenize: options.tokenize ?? '13a',
    smoothMethod,
    smoothValue: options.smoothValue ?? SMOOTH_DEFAULTS[smoothMethod],
    maxNgramOrder,
    effectiveOrder: options.effectiveOrder ?? false,
  };
}

/** sacrebleu's `_preprocess_segment`: lowercase, strip trailing whitespace, tokenize, split. */
function tokens(segment: string, settings: BleuSettings): string[] {
  const cased = settings.lowercase ? segment.toLowerCase() : segment;
  const stripped = pythonRstrip(cased);
  return pythonSplit(settings.tokenize === '13a' ? tokenize13a(stripped) : stripped);
}

/**
 * Counts of every n-gram of order 1..maxOrder, one map per order (index n - 1); a key is its tokens
 * joined by spaces (tokens have none).
 */
function ngramCounts(words: readonly string[], maxOrder: number): Map<string, number>[] {
  const orders = Array.from({ length: maxOrder }, () => new Map<string, number>());
  for (let i = 0; i < words.length; i++) {
    let key = '';
    for (let n = 1; n <= maxOrder && i + n <= words.length; n++) {
      key = n === 1 ? (words[i] as string) : `${key} ${words[i + n - 1]}`;
      const counts = orders[n - 1] as Map<string, number>;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return orders;
}

/** `[hypLen, refLen, correct_1..N, total_1..N]` for one segment (sacrebleu's segment statistics). */
function segmentStatistics(
  hypothesis: string,
  references: readonly string[],
  index: number,
  settings: BleuSettings,
): number[] {
  if (references.length === 0) {
    throw new ConfigError(`BLEU: segment ${index} has no reference (each hypothesis needs at least one)`);
  }
  const order = settings.maxNgramOrder;
  // Reference n-grams: the highest count of each n-gram in any one reference ("clipping").
  const referenceCounts = Array.from({ length: order }, () => new Map<string, number>());
  const referenceLengths: number[] = [];
  for (const reference of references) {
    const words = tokens(reference, settings);
    referenceLengths.push(words.length);
    ngramCounts(words, order).forEach((counts, n) => {
      const clipped = referenceCounts[n] as Map<string, number>;
      for (const [key, count] of counts) clipped.set(key, Math.max(clipped.get(key) ?? 0, count));
    });
  }
  const words = tokens(hypothesis, settings);
  const correct = new Array<number>(order).fill(0);
  const total = new Array<number>(order).fill(0);
  ngramCounts(words, order).forEach((counts, n) => {
    const clipped = referenceCounts[n] as Map<string, number>;
    for (const [key, count] of counts) {
      total[n] = (total[n] ?? 0) + count;
      const inReference = clipped.get(key);
      if (inReference !== undefined) correct[n] = (correct[n] ?? 0) + Math.min(count, inReference);
    }
  });
  return [words.length, closestReferenceLength(words.length, referenceLengths), ...correct, ...total];
}

/** The reference length closest to the hypothesis length; the shorter one on a tie. */
function closestReferenceLength(hypothesisLength: number, referenceLengths: readonly number[]): number {
  let closestDifference = -1;
  let closest = -1;
  for (const length of referenceLengths) {
    const difference = Math.abs(hypothesisLength - length);
    if (closestDifference === -1 || difference < closestDifference) {
      closestDifference = difference;
      closest = length;
    } else if (difference === closestDifference && length < closest) {
      closest = length;
    }
  }
  return closest;
}

/** sacrebleu's `BLEU.compute_bleu`, from summed statistics. */
function computeBleu(statistics: readonly number[], settings: BleuSettings): BleuScore {
  const order = settings.maxNgramOrder;
  const sysLen = statistics[0] ?? 0;
  const refLen = statistics[1] ?? 0;
  const correct = statistics.slice(2, 2 + order);
  const total = statistics.slice(2 + order, 2 + 2 * order);
  let bp = 1.0;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0.0;
  const precisions = new Array<number>(order).fill(0);
  const score = (value: number): BleuScore => ({
    score: value,
    counts: correct,
    totals: total,
    precisions,
    bp,
    sysLen,
    refLen,
  });
  if (!correct.some((count) => count !== 0)) return score(0.0);

  let smoothMteval = 1.0;
  let effectiveOrder = order;
  for (let n = 1; n <= order; n++) {
    if (settings.smoothMethod === 'add-k' && n > 1) {
      correct[n - 1] = (correct[n - 1] ?? 0) + settings.smoothValue;
      total[n - 1] = (total[n - 1] ?? 0) + settings.smoothValue;
    }
    const totalN = total[n - 1] ?? 0;
    const correctN = correct[n - 1] ?? 0;
    if (totalN === 0) break;
    if (settings.effectiveOrder) effectiveOrder = n;
    if (correctN === 0) {
      if (settings.smoothMethod === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100.0 / (smoothMteval * totalN);
      } else if (settings.smoothMethod === 'floor') {
        precisions[n - 1] = (100.0 * settings.smoothValue) / totalN;
      }
    } else {
      precisions[n - 1] = (100.0 * correctN) / totalN;
    }
  }
  let logSum = 0;
  for (const precision of precisions.slice(0, effectiveOrder)) {
    logSum += precision === 0 ? LOG_ZERO : Math.log(precision);
  }
  return score(bp * Math.exp(logSum / effectiveOrder));
}
