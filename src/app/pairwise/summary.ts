import { binomTestTwoSided, wilsonInterval } from '../../stats/paired/index.js';
import type { PairVerdict, PairwiseRow, PairwiseSummary } from './types.js';

/** One order's outcome for one pair, mapped back to A/B, with what the judge literally picked. */
export type OrderOutcome =
  | {
      verdict: PairVerdict;
      rationale: string /** The position the judge picked. */;
      picked: '1' | '2' | 'tie';
    }
  | { verdict: 'error'; error: string };

/**
 * One pair's verdict from its two orders. The rule (MT-Bench's conservative one, Zheng et al. 2023):
 * a side wins only when it wins in both orders; both orders a tie is a tie; any disagreement — a flip
 * (A then B), or a tie in one order against a preference in the other — is a tie and counts as
 * inconsistent, because a preference that does not survive swapping the positions is not evidence for
 * either side. An order that failed makes the whole pair `error`: it is in no win, tie or consistency count.
 */
export function pairRow(rowId: string, ab: OrderOutcome, ba: OrderOutcome): PairwiseRow {
  const row: PairwiseRow = {
    row_id: rowId,
    verdict: 'tie',
    ab: ab.verdict,
    ba: ba.verdict,
    consistent: false,
  };
  if (ab.verdict !== 'error') row.rationale_ab = ab.rationale;
  if (ba.verdict !== 'error') row.rationale_ba = ba.rationale;
  if (ab.verdict === 'error' || ba.verdict === 'error') {
    row.verdict = 'error';
    row.error =
      ab.verdict === 'error' ? `A first: ${ab.error}` : `B first: ${(ba as { error: string }).error}`;
    return row;
  }
  row.consistent = ab.verdict === ba.verdict;
  row.verdict = row.consistent ? ab.verdict : 'tie';
  return row;
}

/**
 * The counts and rates over all pairs (see `PairwiseSummary` for each field). `b_win_rate` counts a tie
 * as half a win for each side — the usual convention of win-rate leaderboards, so 0.5 means no
 * difference — and its Wilson interval uses the same half-counted successes. The sign test leaves ties
 * out, as a sign test does.
 */
export function summarize(
  judge: string,
  rows: readonly PairwiseRow[],
  picks: ReadonlyArray<{ ab: OrderOutcome; ba: OrderOutcome }>,
): PairwiseSummary {
  let aWins = 0;
  let bWins = 0;
  let ties = 0;
  let inconsistent = 0;
  let errors = 0;
  let decisive = 0;
  let firstPicked = 0;
  rows.forEach((row, index) => {
    if (row.verdict === 'error') {
      errors += 1;
      return;
    }
    if (row.verdict === 'A') aWins += 1;
    else if (row.verdict === 'B') bWins += 1;
    else ties += 1;
    if (!row.consistent) inconsistent += 1;
    const pick = picks[index];
    for (const outcome of pick === undefined ? [] : [pick.ab, pick.ba]) {
      if (outcome.verdict === 'error' || outcome.picked === 'tie') continue;
      decisive += 1;
      if (outcome.picked === '1') firstPicked += 1;
    }
  });
  const judged = rows.length - errors;
  const bScore = bWins + ties / 2;
  const interval = judged > 0 ? wilsonInterval(bScore, judged, 0.95) : { low: 0, high: 1 };
  return {
    judge,
    pairs: rows.length,
    a_wins: aWins,
    b_wins: bWins,
    ties,
    inconsistent,
    position_consistency: judged > 0 ? (judged - inconsistent) / judged : Number.NaN,
    b_win_rate: judged > 0 ? bScore / judged : Number.NaN,
    b_win_rate_ci: [interval.low, interval.high],
    sign_test_p_value: aWins + bWins > 0 ? binomTestTwoSided(bWins, aWins + bWins, 0.5) : 1,
    rows: [...rows],
    errors,
    first_position_rate: decisive > 0 ? firstPicked / decisive : Number.NaN,
  };
}
