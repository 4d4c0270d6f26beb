import { porterStem } from './porter-stemmer.js';

// ROUGE as Google's rouge-score 0.1.2 computes it (`rouge_scorer.RougeScorer`), number for number:
// its tokenizer (lowercase, every run of characters other than [a-z0-9] is a separator, Porter stemming
// of tokens longer than 3 characters when asked), n-gram overlap for rougeN, the LCS for rougeL, the
// summary-level union LCS over newline-separated sentences for rougeLsum, and `score_multi`'s choice of
// the reference with the highest F-measure. Parity: test/unit/parity-summarization.test.ts.

/** `rouge1`..`rouge9` (n-gram overlap), `rougeL` (longest common subsequence), `rougeLsum` (per sentence). */
export type RougeType = `rouge${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}` | 'rougeL' | 'rougeLsum';

export const ROUGE_TYPES: readonly RougeType[] = [
  'rouge1',
  'rouge2',
  'rouge3',
  'rouge4',
  'rouge5',
  'rouge6',
  'rouge7',
  'rouge8',
  'rouge9',
  'rougeL',
  'rougeLsum',
];

/** rouge-score's `Score`: precision against the prediction, recall against the reference, their F1. */
export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

export interface RougeScorerOptions {
  /** Which scores to compute (rouge-score's `rouge_types`). */
  rougeTypes: readonly RougeType[];
  /** Porter-stem tokens longer than 3 characters (rouge-score's `use_stemmer`, default false). */
  useStemmer?: boolean;
}

/** A score against several references: the best one's, and which reference it was (0-based). */
export interface RougeBestScore extends RougeScore {
  referenceIndex: number;
}

/** rouge-score's `RougeScorer`: `score(reference, prediction)` and `scoreMulti(references, prediction)`. */
export interface RougeScorer {
  score(reference: string, prediction: string): Record<RougeType, RougeScore>;
  /** Per ROUGE type, the score against the reference with the highest F-measure (the first on a tie). */
  scoreMulti(references: readonly string[], prediction: string): Record<RougeType, RougeBestScore>;
  tokenize(text: string): string[];
}

const ZERO: RougeScore = { precision: 0, recall: 0, fmeasure: 0 };
/** Stems remembered per scorer: text repeats words, and stemming is the costly part of tokenizing. */
const STEM_CACHE_LIMIT = 100_000;

export function createRougeScorer(options: RougeScorerOptions): RougeScorer {
  const types = [...options.rougeTypes];
  const stems = new Map<string, string>();
  const stem = (token: string): string => {
    let stemmed = stems.get(token);
    if (stemmed === undefined) {
      stemmed = porterStem(token);
      if (stems.size >= STEM_CACHE_LIMIT) stems.clear();
      stems.set(token, stemmed);
    }
    return stemmed;
  };
  const tokenize = (text: string): string[] => {
    const tokens: string[] = [];
    for (const raw of text.toLowerCase().split(/[^a-z0-9]+/)) {
      const token = options.useStemmer === true && raw.length > 3 ? stem(raw) : raw;
      if (/^[a-z0-9]+$/.test(token)) tokens.push(token);
    }
    return tokens;
  };
  const score = (reference: string, prediction: string): Record<RougeType, RougeScore> => {
    const referenceTokens = tokenize(reference);
    const predictionTokens = tokenize(prediction);
    const result = {} as Record<RougeType, RougeScore>;
    for (const type of types) {
      if (type === 'rougeL') result[type] = lcsScore(referenceTokens, predictionTokens);
      else if (type === 'rougeLsum') {
        result[type] = summaryLevelLcs(
          sentences(reference).map(tokenize),
          sentences(prediction).map(tokenize),
        );
      } else {
        const n = Number(type.slice(5));
        result[type] = ngramScore(ngrams(referenceTokens, n), ngrams(predictionTokens, n));
      }
    }
    return result;
  };
  return {
    tokenize,
    score,
    scoreMulti(references, prediction) {
      if (references.length === 0) throw new RangeError('ROUGE needs at least one reference');
      const all = references.map((reference) => score(reference, prediction));
      const best = {} as Record<RougeType, RougeBestScore>;
      for (const type of types) {
        let referenceIndex = 0;
        all.forEach((scores, i) => {
          if (scores[type].fmeasure > all[referenceIndex]![type].fmeasure) referenceIndex = i;
        });
        best[type] = { ...all[referenceIndex]![type], referenceIndex };
      }
      return best;
    },
  };
}

/** rougeLsum's sentences: the text split on "\n", empty lines dropped (whitespace-only lines stay). */
function sentences(text: string): string[] {
  return text.split('\n').filter((line) => line.length > 0);
}

function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

function ngrams(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    // Tokens are [a-z0-9]+, so a space cannot make two different n-grams one key.
    const key = tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function ngramScore(reference: Map<string, number>, prediction: Map<string, number>): RougeScore {
  let overlap = 0;
  let referenceCount = 0;
  let predictionCount = 0;
  for (const [key, count] of reference) {
    overlap += Math.min(count, prediction.get(key) ?? 0);
    referenceCount += count;
  }
  for (const count of prediction.values()) predictionCount += count;
  const precision = overlap / Math.max(predictionCount, 1);
  const recall = overlap / Math.max(referenceCount, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

function lcsScore(reference: readonly string[], prediction: readonly string[]): RougeScore {
  if (reference.length === 0 || prediction.length === 0) return { ...ZERO };
  const length = lcsLength(reference, prediction);
  const precision = length / prediction.length;
  const recall = length / reference.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** LCS length in two rows of memory. */
function lcsLength(reference: readonly string[], prediction: readonly string[]): number {
  let previous = new Uint32Array(prediction.length + 1);
  let current = new Uint32Array(prediction.length + 1);
  for (const token of reference) {
    for (let j = 1; j <= prediction.length; j++) {
      current[j] =
        token === prediction[j - 1] ? previous[j - 1]! + 1 : Math.max(previous[j]!, current[j - 1]!);
    }
    [previous, current] = [current, previous];
  }
  return previous[prediction.length]!;
}

/**
 * The indices into `reference` of one LCS with `candidate` — the one rouge-score's backtrack finds
 * (on a tie it moves up in the reference), since the union over sentences depends on which one.
 */
function lcsIndices(reference: readonly string[], candidate: readonly string[]): number[] {
  const width = candidate.length + 1;
  const table = new Uint32Array((reference.length + 1) * width);
  for (let i = 1; i <= reference.length; i++) {
    for (let j = 1; j <= candidate.length; j++) {
      table[i * width + j] =
        reference[i - 1] === candidate[j - 1]
          ? table[(i - 1) * width + j - 1]! + 1
          : Math.max(table[(i - 1) * width + j]!, table[i * width + j - 1]!);
    }
  }
  const indices: number[] = [];
  let i = reference.length;
  let j = candidate.length;
  while (i > 0 && j > 0) {
    if (reference[i - 1] === candidate[j - 1]) {
      indices.push(i - 1);
      i -= 1;
      j -= 1;
    } else if (table[i * width + j - 1]! > table[(i - 1) * width + j]!) j -= 1;
    else i -= 1;
  }
  return indices;
}

/**
 * Summary-level LCS (ROUGE paper §3.2) as rouge-score and ROUGE-1.5.5 compute it: per reference
 * sentence, the union of its LCS with each candidate sentence; a token counts as a hit only while both
 * summaries still have an unused occurrence of it.
 */
function summaryLevelLcs(reference: readonly string[][], candidate: readonly string[][]): RougeScore {
  if (reference.length === 0 || candidate.length === 0) return { ...ZERO };
  const m = reference.reduce((sum, sentence) => sum + sentence.length, 0);
  const n = candidate.reduce((sum, sentence) => sum + sentence.length, 0);
  if (m === 0 || n === 0) return { ...ZERO };
  const referenceCounts = tokenCounts(reference);
  const candidateCounts = tokenCounts(candidate);
  let hits = 0;
  for (const sentence of reference) {
    const union = new Set<number>();
    for (const other of candidate) for (const index of lcsIndices(sentence, other)) union.add(index);
    for (const index of [...union].sort((a, b) => a - b)) {
      const token = sentence[index]!;
      const inCandidate = candidateCounts.get(token) ?? 0;
      const inReference = referenceCounts.get(token) ?? 0;
      if (inCandidate > 0 && inReference > 0) {
        hits += 1;
        candidateCounts.set(token, inCandidate - 1);
        referenceCounts.set(token, inReference - 1);
      }
    }
  }
  const recall = hits / m;
  const precision = hits / n;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

function tokenCounts(sentences: readonly string[][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const sentence of sentences)
    for (const token of sentence) counts.set(token, (counts.get(token) ?? 0) + 1);
  return counts;
}
