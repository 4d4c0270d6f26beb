/**
 * McNemar's test on paired pass/fail verdicts, as statsmodels 0.15.0 computes it
 * (`statsmodels.stats.contingency_tables.mcnemar`) on the table [[both pass, A only], [B only,
 * neither]]: only the discordant pairs count.
 *
 * - fewer than 25 discordant pairs: `exact=True`, statistic min(A only, B only), p = min(1, 2·P(X ≤
 *   statistic)) for X ~ Binomial(discordant, ½) — summed here in whole numbers, so it is exact;
 * - otherwise `exact=False, correction=True`: statistic (|A only − B only| − 1)² / discordant
 *   (statsmodels' formula, also when the two are equal), p from χ² with one degree of freedom.
 *
 * No discordant pair: statistic 0, p 1 (statsmodels' exact test gives the same).
 */

import { chiSquareSf } from './distributions.js';

export interface McNemarResult {
  statistic: number;
  pValue: number;
  /** true: the exact binomial test; false: χ² with continuity correction. */
  exact: boolean;
  /** Pairs on which the verdicts differ (aOnly + bOnly). */
  discordant: number;
  /** Pairs A passes and B fails. */
  aOnly: number;
  /** Pairs B passes and A fails. */
  bOnly: number;
}

/** Below this many discordant pairs the exact binomial test is used. */
export const MCNEMAR_EXACT_BELOW = 25;

export function mcnemar(aPass: readonly boolean[], bPass: readonly boolean[]): McNemarResult {
  if (aPass.length !== bPass.length) {
    throw new RangeError(`mcnemar: ${aPass.length} and ${bPass.length} verdicts are not paired`);
  }
  let aOnly = 0;
  let bOnly = 0;
  for (let i = 0; i < aPass.length; i++) {
    if (aPass[i] && !bPass[i]) aOnly++;
    else if (!aPass[i] && bPass[i]) bOnly++;
  }
  const discordant = aOnly + bOnly;
  if (discordant < MCNEMAR_EXACT_BELOW) {
    const statistic = Math.min(aOnly, bOnly);
    // C(m, i) for i ≤ statistic, exact below 2^53 for m < 25
    let coefficient = 1;
    let below = 0;
    for (let i = 0; i <= statistic; i++) {
      below += coefficient;
      coefficient = (coefficient * (discordant - i)) / (i + 1);
    }
    const pValue = Math.min(1, (2 * below) / 2 ** discordant);
    return { statistic, pValue, exact: true, discordant, aOnly, bOnly };
  }
  const statistic = (Math.abs(aOnly - bOnly) - 1) ** 2 / discordant;
  return { statistic, pValue: chiSquareSf(statistic, 1), exact: false, discordant, aOnly, bOnly };
}
