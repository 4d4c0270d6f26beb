import { ConfigError } from '../../core/errors.js';
import { codePoints, pythonSplit } from './python-text.js';

// chrF (Popović 2015) and chrF++ (Popović 2017) as sacrebleu 2.x computes them, step for step: character
// n-grams of the text without whitespace, word n-grams after splitting punctuation off word edges, and
// sacrebleu's default "effective order" averaging (parity: test/unit/parity-translation.test.ts).

export interface ChrfOptions {
  /** Character n-gram order (default 6). */
  charOrder?: number;
  /** Word n-gram order: 0 for chrF (default), 2 for chrF++. */
  wordOrder?: number;
  /** Recall weighs beta times as much as precision (default 2). */
  beta?: number;
  /** Lowercase hypothesis and references first (default false). */
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams (default false: whitespace is removed first). */
  whitespace?: boolean;
  /** chrF++.py / Moses / NLTK epsilon smoothing instead of sacrebleu's effective order (default false). */
  epsSmoothing?: boolean;
}

/** A chrF score and its statistics. */
export interface ChrfScore {
  /** 0–100. */
  score: number;
  /** `[hypothesis, reference, matched]` n-gram counts per order: char orders first, then word orders. */
  statistics: number[];
}

type ChrfSettings = Required<ChrfOptions>;

/** chrF for one segment with sacrebleu's `sentence_chrf` defaults; the best-scoring reference counts. */
export function sentenceChrf(
  hypothesis: string,
  references: readonly string[],
  options: ChrfOptions = {},
): ChrfScore {
  return corpusChrf([hypothesis], [references], options);
}

/**
 * Corpus chrF: each segment's statistics (against its best reference) summed, then one score.
 * `references[i]` holds the references of `hypotheses[i]`. chrF++ is `{ wordOrder: 2 }`.
 */
export function corpusChrf(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: ChrfOptions = {},
): ChrfScore {
  const settings = chrfSettings(options);
  if (hypotheses.length !== references.length) {
    throw new ConfigError(
      `corpusChrf: ${hypotheses.length} hypotheses but ${references.length} reference lists (one list per hypothesis)`,
    );
  }
  const totals = new Array<number>(3 * (settings.charOrder + settings.wordOrder)).fill(0);
  hypotheses.forEach((hypothesis, index) => {
    const segment = segmentStatistics(hypothesis, references[index] ?? [], index, settings);
    for (let i = 0; i < totals.length; i++) totals[i] = (totals[i] ?? 0) + (segment[i] ?? 0);
  });
  return { score: fScore(totals, settings), statistics: totals };
}

function chrfSettings(options: ChrfOptions): ChrfSettings {
  const settings: ChrfSettings = {
    charOrder: options.charOrder ?? 6,
    wordOrder: options.wordOrder ?? 0,
    beta: options.beta ?? 2,
    lowercase: options.lowercase ?? false,
    whitespace: options.whitespace ?? false,
    epsSmoothing: options.epsSmoothing ?? false,
  };
  for (const key of ['charOrder', 'wordOrder', 'beta'] as const) {
    const value = settings[key];
    if (!Number.isInteger(value) || value < 0) {
      throw new ConfigError(`chrF: ${key} must be a non-negative integer, got ${value}`);
    }
  }
  if (settings.charOrder + settings.wordOrder === 0) {
    throw new ConfigError('chrF: charOrder + wordOrder must be at least 1');
  }
  return settings;
}

/** Character and word n-gram counts of one segment, one map per order (char orders, then word orders). */
function ngramsOf(segment: string, settings: ChrfSettings): Map<string, number>[] {
  const text = settings.lowercase ? segment.toLowerCase() : segment;
  const characters = settings.whitespace ? text : pythonSplit(text).join('');
  const boundaries = codePointBoundaries(characters);
  const orders: Map<string, number>[] = [];
  for (let n = 1; n <= settings.charOrder; n++) {
    const counts = new Map<string, number>();
    for (let i = 0; i + n < boundaries.length; i++) {
      const key = characters.slice(boundaries[i], boundaries[i + n]);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    orders.push(counts);
  }
  if (settings.wordOrder > 0) {
    const words = splitPunctuation(text);
    for (let n = 1; n <= settings.wordOrder; n++) {
      const counts = new Map<string, number>();
      for (let i = 0; i + n <= words.length; i++) {
        const key = words.slice(i, i + n).join(' ');
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      orders.push(counts);
    }
  }
  return orders;
}

/**
 * The UTF-16 offset of every code point, and the text's length last: character n-gram i of order n is
 * `text.slice(boundaries[i], boundaries[i + n])`, a whole number of code points as Python counts them.
 */
function codePointBoundaries(text: string): Uint32Array {
  const boundaries = new Uint32Array(text.length + 1);
  let count = 0;
  for (let offset = 0; offset < text.length; offset++) {
    const unit = text.charCodeAt(offset);
    boundaries[count++] = offset;
    // A high surrogate followed by a low one is one code point; a lone surrogate is one on its own.
    if (unit >= 0xd800 && unit <= 0xdbff && offset + 1 < text.length) {
      const next = text.charCodeAt(offset + 1);
      if (next >= 0xdc00 && next <= 0xdfff) offset++;
    }
  }
  boundaries[count++] = text.length;
  return boundaries.subarray(0, count);
}

/** Python's `string.punctuation`. */
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/**
 * sacrebleu's `_remove_punctuation` for chrF++ words: one punctuation mark is split off the end of a
 * word, or else off its start ("(hi)" becomes "(hi" and ")", as sacrebleu does).
 */
function splitPunctuation(text: string): string[] {
  const words: string[] = [];
  for (const word of pythonSplit(text)) {
    const characters = codePoints(word);
    const first = characters[0] ?? '';
    const last = characters[characters.length - 1] ?? '';
    if (characters.length === 1) words.push(word);
    else if (PUNCTUATION.has(last)) words.push(characters.slice(0, -1).join(''), last);
    else if (PUNCTUATION.has(first)) words.push(first, characters.slice(1).join(''));
    else words.push(word);
  }
  return words;
}

/** `[hyp, ref, match]` per order against the reference with the best chrF (the first on a tie). */
function segmentStatistics(
  hypothesis: string,
  references: readonly string[],
  index: number,
  settings: ChrfSettings,
): number[] {
  if (references.length === 0) {
    throw new ConfigError(`chrF: segment ${index} has no reference (each hypothesis needs at least one)`);
  }
  const hypothesisNgrams = ngramsOf(hypothesis, settings);
  let best: number[] = [];
  let bestScore = -1.0;
  for (const reference of references) {
    const referenceNgrams = ngramsOf(reference, settings);
    const statistics: number[] = [];
    hypothesisNgrams.forEach((hypothesisCounts, order) => {
      statistics.push(...matchStatistics(hypothesisCounts, referenceNgrams[order] ?? new Map()));
    });
    const score = fScore(statistics, settings);
    if (score > bestScore) {
      bestScore = score;
      best = statistics;
    }
  }
  return best;
}

function matchStatistics(
  hypothesis: ReadonlyMap<string, number>,
  reference: ReadonlyMap<string, number>,
): [number, number, number] {
  let matches = 0;
  let hypothesisCount = 0;
  for (const [ngram, count] of hypothesis) {
    hypothesisCount += count;
    const inReference = reference.get(ngram);
    if (inReference !== undefined) matches += Math.min(count, inReference);
  }
  let referenceCount = 0;
  for (const count of reference.values()) referenceCount += count;
  // No reference n-grams of this order: the hypothesis n-grams are not counted either (sacrebleu).
  return [reference.size > 0 ? hypothesisCount : 0, referenceCount, matches];
}

/** sacrebleu's `CHRF._compute_f_score`, with its operations in its order. */
function fScore(statistics: readonly number[], settings: ChrfSettings): number {
  const eps = 1e-16;
  const order = settings.charOrder + settings.wordOrder;
  const factor = settings.beta ** 2;
  let score = 0.0;
  let effectiveOrder = 0;
  let averagePrecision = 0.0;
  let averageRecall = 0.0;
  for (let i = 0; i < order; i++) {
    const hypothesisCount = statistics[3 * i] ?? 0;
    const referenceCount = statistics[3 * i + 1] ?? 0;
    const matches = statistics[3 * i + 2] ?? 0;
    const precision = hypothesisCount > 0 ? matches / hypothesisCount : eps;
    const recall = referenceCount > 0 ? matches / referenceCount : eps;
    const denominator = factor * precision + recall;
    score += denominator > 0 ? ((1 + factor) * precision * recall) / denominator : eps;
    if (hypothesisCount > 0 && referenceCount > 0) {
      averagePrecision += precision;
      averageRecall += recall;
      effectiveOrder += 1;
    }
  }
  if (settings.epsSmoothing) return (100 * score) / order;
  if (effectiveOrder === 0) {
    averagePrecision = 0.0;
    averageRecall = 0.0;
  } else {
    averagePrecision /= effectiveOrder;
    averageRecall /= effectiveOrder;
  }
  if (averagePrecision + averageRecall === 0) return 0.0;
  let result = (1 + factor) * averagePrecision * averageRecall;
  result /= factor * averagePrecision + averageRecall;
  return 100 * result;
}
