// Generated label pairs for the Cohen's kappa parity test: binary yes/no, three and five categories,
// ordinal 1–5 with and without the full label range, sizes from 1 to 400, skewed and balanced raters,
// and the degenerate cases (one label throughout, one rater constant, perfect and total
// disagreement, a single item). Seeded, so a failure reproduces.

import { seededRandom } from '../../../src/datasets/row-sampler.js';
import type { AgreementLabel, KappaWeights } from '../../../src/stats/agreement.js';

export interface KappaCase {
  y1: AgreementLabel[];
  y2: AgreementLabel[];
  weights: KappaWeights;
  labels?: AgreementLabel[];
}

const pick = <T>(next: () => number, items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;

const LABEL_SETS: AgreementLabel[][] = [
  ['yes', 'no'],
  ['none', 'low', 'medium', 'high'],
  ['insult', 'threat', 'harassment', 'hate', 'none'],
  [1, 2, 3, 4, 5],
  [0, 1],
];

/** Fixed degenerate cases, then `count` random ones. */
export function kappaCases(seed: number, count: number): KappaCase[] {
  const fixed: Array<Omit<KappaCase, 'weights'>> = [
    { y1: ['yes'], y2: ['yes'] },
    { y1: ['yes'], y2: ['no'] },
    { y1: ['yes', 'yes', 'yes'], y2: ['yes', 'yes', 'yes'] },
    { y1: ['yes', 'yes', 'yes', 'yes'], y2: ['yes', 'no', 'yes', 'no'] },
    { y1: ['no', 'yes', 'no', 'yes'], y2: ['no', 'no', 'no', 'no'] },
    { y1: ['yes', 'no', 'yes', 'no'], y2: ['yes', 'no', 'yes', 'no'] },
    { y1: ['yes', 'no', 'yes', 'no'], y2: ['no', 'yes', 'no', 'yes'] },
    { y1: [3, 3, 3], y2: [3, 3, 3] },
    { y1: [1, 2, 3, 4, 5], y2: [5, 4, 3, 2, 1] },
    { y1: [1, 2, 3, 4, 5], y2: [1, 2, 3, 4, 5], labels: [1, 2, 3, 4, 5] },
    { y1: [1, 1, 5, 5], y2: [1, 2, 5, 4], labels: [1, 2, 3, 4, 5] },
    { y1: [2, 2, 2], y2: [2, 2, 2], labels: [1, 2, 3, 4, 5] },
    { y1: ['a', 'b', 'c'], y2: ['a', 'b', 'd'] },
    { y1: ['yes', 'no', 'maybe'], y2: ['yes', 'no', 'no'], labels: ['yes', 'no'] },
  ];
  const cases: KappaCase[] = [];
  for (const weights of ['none', 'linear', 'quadratic'] as const)
    for (const c of fixed) cases.push({ ...c, weights });
  const next = seededRandom(seed);
  for (let k = 0; k < count; k++) {
    const labels = pick(next, LABEL_SETS);
    const n = 1 + Math.floor(next() ** 2 * 400);
    // How often rater 2 copies rater 1: from chance to near-perfect agreement.
    const copy = next();
    // A skewed prior on rater 1's labels (mostly the first label at times).
    const skew = next();
    const y1: AgreementLabel[] = [];
    const y2: AgreementLabel[] = [];
    for (let i = 0; i < n; i++) {
      const a = next() < skew ? (labels[0] as AgreementLabel) : pick(next, labels);
      y1.push(a);
      if (next() < copy) y2.push(a);
      else if (typeof a === 'number' && next() < 0.5)
        y2.push(Math.max(1, Math.min(5, a + pick(next, [-1, 1]))));
      else y2.push(pick(next, labels));
    }
    const numeric = typeof labels[0] === 'number';
    const weights: KappaWeights = numeric ? pick(next, ['none', 'linear', 'quadratic'] as const) : 'none';
    cases.push({ y1, y2, weights, ...(numeric && next() < 0.5 ? { labels: [...labels] } : {}) });
  }
  return cases;
}
