/**
 * How consistent one judge is with itself: across repeated samples of the same item (self-agreement),
 * and across the two orders of a pairwise comparison (position consistency).
 */
import type { AgreementLabel } from './agreement.js';
import { fleissKappa, ratingTable } from './fleiss.js';

export interface SelfAgreement {
  /** Items with at least two samples (the others say nothing about consistency). */
  items: number;
  /** Share of those items whose samples all agree. */
  unanimous: number;
  /**
   * Mean over items of the share of agreeing sample pairs (k equal samples of n: Σ C(k, 2) / C(n, 2)):
   * the chance that two samples of one item, drawn without replacement, agree.
   */
  meanPairwise: number;
  /**
   * Fleiss' kappa with the samples as raters, over the items that have the most common number of
   * samples (Fleiss needs the same number per item): agreement beyond what the label frequencies
   * explain. NaN when undefined (every sample the same label).
   */
  fleissKappa: number;
}

/** Self-agreement of repeated samples, one list of sample labels per item. NaN rates with no item. */
export function selfAgreement(samples: readonly (readonly AgreementLabel[])[]): SelfAgreement {
  const rated = samples.filter((labels) => labels.length >= 2);
  if (rated.length === 0)
    return { items: 0, unanimous: Number.NaN, meanPairwise: Number.NaN, fleissKappa: Number.NaN };
  let unanimous = 0;
  let pairwise = 0;
  for (const labels of rated) {
    const counts = new Map<string, number>();
    for (const label of labels) counts.set(key(label), (counts.get(key(label)) ?? 0) + 1);
    if (counts.size === 1) unanimous += 1;
    let agreeing = 0;
    for (const k of counts.values()) agreeing += (k * (k - 1)) / 2;
    pairwise += agreeing / ((labels.length * (labels.length - 1)) / 2);
  }
  const sizes = new Map<number, number>();
  for (const labels of rated) sizes.set(labels.length, (sizes.get(labels.length) ?? 0) + 1);
  let modal = 0;
  let modalCount = 0;
  for (const [size, count] of sizes)
    if (count > modalCount || (count === modalCount && size > modal)) {
      modal = size;
      modalCount = count;
    }
  const { table } = ratingTable(rated.filter((labels) => labels.length === modal));
  return {
    items: rated.length,
    unanimous: unanimous / rated.length,
    meanPairwise: pairwise / rated.length,
    fleissKappa: fleissKappa(table),
  };
}

/** One pairwise verdict in both orders, mapped back to the sides (A shown first in `ab`, B first in `ba`). */
export interface OrderedVerdicts {
  ab: 'A' | 'B' | 'tie' | 'error';
  ba: 'A' | 'B' | 'tie' | 'error';
}

export interface PositionConsistency {
  /** Pairs judged in both orders (no error). */
  pairs: number;
  /** Pairs whose two orders gave the same verdict. */
  consistent: number;
  /** consistent / pairs (NaN for none) — as `judgeflow compare --pairwise` reports it. */
  rate: number;
  /**
   * Share of the decisive single-order verdicts (not ties) that picked the response shown first:
   * 0.5 is no position preference (NaN with no decisive verdict).
   */
  firstPositionRate: number;
}

export function positionConsistency(rows: readonly OrderedVerdicts[]): PositionConsistency {
  let pairs = 0;
  let consistent = 0;
  let decisive = 0;
  let first = 0;
  for (const row of rows) {
    if (row.ab === 'error' || row.ba === 'error') continue;
    pairs += 1;
    if (row.ab === row.ba) consistent += 1;
    // A is shown first in ab, B in ba
    if (row.ab !== 'tie') {
      decisive += 1;
      if (row.ab === 'A') first += 1;
    }
    if (row.ba !== 'tie') {
      decisive += 1;
      if (row.ba === 'B') first += 1;
    }
  }
  return {
    pairs,
    consistent,
    rate: pairs > 0 ? consistent / pairs : Number.NaN,
    firstPositionRate: decisive > 0 ? first / decisive : Number.NaN,
  };
}

function key(label: AgreementLabel): string {
  return typeof label === 'string' ? `s:${label}` : `n:${label}`;
}
