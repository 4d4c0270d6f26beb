// The translation metrics' library functions (corpus and sentence level), exported by the package.
export {
  type BleuOptions,
  type BleuScore,
  type BleuSmoothMethod,
  type BleuTokenizer,
  corpusBleu,
  sentenceBleu,
} from './bleu-metric.js';
export { type ChrfOptions, type ChrfScore, corpusChrf, sentenceChrf } from './chrf-metric.js';
