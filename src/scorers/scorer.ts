import type { Aggregation, ScoreResult, Scorer, ScorerArgs } from '../core/scorer.js';

/** The arguments a custom scorer function receives (any subset may be used, as in MLflow). */
export type ScorerFnArgs = Omit<ScorerArgs, 'usage'> & { usage?: ScorerArgs['usage'] };

export interface ScorerOptions {
  /** Feedback name and CODE source id; defaults to the function's name. */
  name?: string;
  /** Aggregations for the run metrics; `['mean']` when omitted. */
  aggregations?: Aggregation[];
  /** Feedback names it returns besides `name` (for quality gates on them; checked before the run). */
  feedbackNames?: string[];
}

/**
 * Wraps a function as a code scorer, with MLflow's `@scorer` return rules: it may return a bool,
 * number, string, a Feedback, a list of those, or nothing. Anything else, and any throw, becomes an
 * error feedback naming the scorer (see `normalizeScore`) — never a crash and never a 0.
 */
export function scorer(
  fn: (args: ScorerFnArgs) => ScoreResult | Promise<ScoreResult>,
  options: ScorerOptions = {},
): Scorer {
  const name = options.name ?? fn.name;
  if (name === '' || name === undefined) {
    throw new TypeError('scorer(): an anonymous function needs options.name');
  }
  const result: Scorer = {
    name,
    kind: 'code',
    ...(options.aggregations !== undefined ? { aggregations: [...options.aggregations] } : {}),
    ...(options.feedbackNames !== undefined ? { feedbackNames: [...options.feedbackNames] } : {}),
    score: (args) => fn(args),
  };
  return result;
}
