/**
 * One pair's verdict after both orders were judged, mapped back to the two sides: `A` and `B` are the
 * sides of the comparison (A the baseline, B the candidate), never what the judge saw.
 */
export type PairVerdict = 'A' | 'B' | 'tie';

/** One order's verdict, mapped back to A/B; `error` when that order gave no valid verdict. */
export type OrderVerdict = PairVerdict | 'error';

/** One judged pair, as the comparison JSON lists it. */
export interface PairwiseRow {
  row_id: string;
  /**
   * Both orders agree: their verdict. They disagree (a flip, or a tie against a preference): `tie`.
   * Either order failed: `error` — the pair is counted in `pairs` but in no win, tie or consistency figure.
   */
  verdict: PairVerdict | 'error';
  /** Verdict with A shown as Response 1 and B as Response 2. */
  ab: OrderVerdict;
  /** Verdict with B shown as Response 1 and A as Response 2 (already mapped back to A/B). */
  ba: OrderVerdict;
  /** Both orders judged and equal. */
  consistent: boolean;
  rationale_ab?: string;
  rationale_ba?: string;
  /** Why an order failed (the first failure), on `error` rows. */
  error?: string;
}

/**
 * The pairwise judge's result over all pairs. Rates are over the pairs judged in both orders
 * (`pairs − errors`); with none judged they are NaN (null in JSON) and the interval is [0, 1].
 */
export interface PairwiseSummary {
  /** The judge's model URI (`openai:/gpt-4.1-mini`, `local:/gemma-3-270m-q4_k_m`). */
  judge: string;
  /** Every pair asked about, errors included. */
  pairs: number;
  /** Pairs won by A in both orders. */
  a_wins: number;
  /** Pairs won by B in both orders. */
  b_wins: number;
  /** Pairs judged a tie: a tie in both orders, or any disagreement between the orders. */
  ties: number;
  /** Pairs whose two orders disagree (counted in `ties`). */
  inconsistent: number;
  /** Consistent pairs / pairs judged in both orders. */
  position_consistency: number;
  /** (b_wins + ties / 2) / pairs judged in both orders. */
  b_win_rate: number;
  /** Wilson interval of `b_win_rate` (ties as half a success each), at 95%. */
  b_win_rate_ci: [number, number];
  /** Two-sided exact binomial (sign) test of b_wins against a_wins, ties left out; 1 when both are 0. */
  sign_test_p_value: number;
  rows: PairwiseRow[];
  /** Pairs where an order failed (counted in `pairs`, nowhere else). */
  errors: number;
  /**
   * Share of the decisive single-order verdicts (not ties) that picked Response 1, over both orders of
   * every pair judged in both: 0.5 is no position bias, above it a first-position preference.
   */
  first_position_rate: number;
}
