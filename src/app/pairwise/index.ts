export {
  DEFAULT_PAIRWISE_NAME,
  type PairwiseScorerConfig,
  pairwiseOptionsFromConfig,
  pairwiseScorerConfigSchema,
} from './config.js';
export {
  DEFAULT_PAIRWISE_CONCURRENCY,
  judgePairs,
  type PairInput,
  type PairwiseOptions,
} from './judge-pairs.js';
export { type PairableRow, type PairedRows, pairRows } from './pairs.js';
export { DEFAULT_CRITERIA, pairwiseMessages, pairwiseVerdictSpec, referenceText } from './prompt.js';
export { pairRow, summarize } from './summary.js';
export type { OrderVerdict, PairVerdict, PairwiseRow, PairwiseSummary } from './types.js';
