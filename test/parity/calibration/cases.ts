// Generated cases for the calibration-statistics parity test: Fleiss tables (2–8 raters, 2–5
// categories, raters that mostly agree and raters at chance), Krippendorff reliability data with
// missing ratings at all three levels (binary, Likert, decimal and string labels, given and default
// value domains), and Spearman pairs with many ties, none, and the degenerate sizes. Seeded, so a
// failure reproduces.

import type { AgreementLabel } from '../../../src/stats/agreement.js';
import type { AlphaLevel } from '../../../src/stats/krippendorff.js';
import { seededUniform, type UniformSource } from '../../../src/stats/paired/random.js';

const int = (next: UniformSource, lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));

/** A label near the item's truth: `agreement` of the time the truth, else any of k. */
function rate(next: UniformSource, truth: number, k: number, agreement: number): number {
  return next() < agreement ? truth : int(next, 0, k - 1);
}

export function fleissCases(seed: number, count: number): number[][][] {
  const next = seededUniform(seed);
  const cases: number[][][] = [
    // every rating in one category: chance agreement 1, kappa undefined
    [
      [3, 0],
      [3, 0],
    ],
    // perfect agreement over two categories
    [
      [2, 0],
      [0, 2],
      [2, 0],
    ],
    // Fleiss (1971)-style small table
    [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
    ],
  ];
  for (let c = 0; c < count; c++) {
    const subjects = int(next, 1, 60);
    const categories = int(next, 2, 5);
    const raters = int(next, 2, 8);
    const agreement = next();
    const table = Array.from({ length: subjects }, () => {
      const row = new Array<number>(categories).fill(0);
      const truth = int(next, 0, categories - 1);
      for (let r = 0; r < raters; r++) {
        const label = rate(next, truth, categories, agreement);
        row[label] = (row[label] as number) + 1;
      }
      return row;
    });
    cases.push(table);
  }
  return cases;
}

export interface AlphaCase {
  data: Array<Array<AgreementLabel | null>>;
  level: AlphaLevel;
  valueDomain?: AgreementLabel[];
}

const STRINGS = ['bad', 'good', 'great', 'ok'];

export function alphaCases(seed: number, count: number): AlphaCase[] {
  const next = seededUniform(seed);
  const cases: AlphaCase[] = [
    // the package's documented example: nominal 0.691358, interval 0.810845
    ...(['nominal', 'interval', 'ordinal'] as const).map((level) => ({
      level,
      data: [
        [null, null, null, null, null, 3, 4, 1, 2, 1, 1, 3, 3, null, 3],
        [1, null, 2, 1, 3, 3, 4, 3, null, null, null, null, null, null, null],
        [null, null, 2, 1, 3, 4, 4, null, 2, 1, 1, 3, 3, null, 4],
      ],
    })),
    // one value throughout: undefined (the package refuses a domain of one value)
    {
      level: 'nominal',
      data: [
        [1, 1, 1],
        [1, 1, null],
      ],
    },
    // no unit rated twice: undefined
    {
      level: 'interval',
      data: [
        [1, null, 3],
        [null, 2, null],
      ],
    },
    // a domain value only in an unpaired unit: no expected disagreement for it
    {
      level: 'ordinal',
      data: [
        [1, 1, 2],
        [1, 1, null],
      ],
    },
  ];
  for (let c = 0; c < count; c++) {
    const level = (['nominal', 'ordinal', 'interval'] as const)[c % 3] as AlphaLevel;
    const kind = int(next, 0, 3); // 0 binary, 1 Likert 1–5, 2 decimals, 3 strings (nominal only)
    const raters = int(next, 2, 6);
    const units = int(next, 2, 80);
    const missing = next() < 0.3 ? 0 : next() * 0.45;
    const agreement = next();
    const k = kind === 0 ? 2 : kind === 1 ? 5 : kind === 2 ? 7 : STRINGS.length;
    const value = (i: number): AgreementLabel =>
      kind === 0 ? i : kind === 1 ? i + 1 : kind === 2 ? i / 4 - 0.3 : (STRINGS[i] as string);
    const data = Array.from({ length: raters }, () => new Array<AgreementLabel | null>(units).fill(null));
    for (let u = 0; u < units; u++) {
      const truth = int(next, 0, k - 1);
      for (let r = 0; r < raters; r++) {
        if (next() < missing) continue;
        (data[r] as Array<AgreementLabel | null>)[u] = value(rate(next, truth, k, agreement));
      }
    }
    const strings = kind === 3;
    const withDomain = strings ? level !== 'nominal' : next() < 0.25 && level !== 'interval';
    cases.push({
      data,
      level: strings && level === 'interval' ? 'nominal' : level,
      ...(withDomain ? { valueDomain: Array.from({ length: k }, (_, i) => value(i)) } : {}),
    });
  }
  return cases;
}

export interface SpearmanCase {
  x: number[];
  y: number[];
}

export function spearmanCases(seed: number, count: number): SpearmanCase[] {
  const next = seededUniform(seed);
  const cases: SpearmanCase[] = [
    { x: [], y: [] },
    { x: [1], y: [2] },
    { x: [1, 2], y: [3, 1] },
    { x: [1, 2, 3], y: [1, 2, 3] },
    { x: [1, 2, 3, 4], y: [4, 3, 2, 1] },
    { x: [1, 1, 1, 1], y: [1, 2, 3, 4] },
    { x: [1, 2, 2, 3, 3, 3], y: [1, 1, 2, 2, 3, 3] },
  ];
  for (let c = 0; c < count; c++) {
    const n = int(next, 3, 120);
    const tied = next() < 0.7;
    const strength = next() * 2 - 1;
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      const a = tied ? int(next, 1, 5) : next() * 10;
      const noise = tied ? int(next, -2, 2) : (next() - 0.5) * 10;
      x.push(a);
      // a judge score against a human one: 0/1 against 1–5, or a noisy monotone function
      y.push(tied && c % 4 === 0 ? (a + noise > 3 ? 1 : 0) : strength * a + noise);
    }
    cases.push({ x, y });
  }
  return cases;
}

export interface CalibrationCase {
  humans: Array<{ itemId: string; name: string; value: AgreementLabel; reviewer: string }>;
  judges: Array<{
    itemId: string;
    name: string;
    judge: string;
    sourceType: 'LLM_JUDGE';
    value: AgreementLabel;
  }>;
}

/**
 * Whole calibrations: 2–4 reviewers who each skip some items, a judge that agrees with the truth
 * part of the time, on pass/fail or 1–5 labels.
 */
export function calibrationCases(seed: number, count: number): CalibrationCase[] {
  const next = seededUniform(seed);
  const cases: CalibrationCase[] = [];
  for (let c = 0; c < count; c++) {
    const likert = c % 2 === 1;
    const k = likert ? 5 : 2;
    const value = (i: number): AgreementLabel => (likert ? i + 1 : i === 1 ? 'yes' : 'no');
    const reviewers = int(next, 2, 4);
    const items = int(next, 5, 60);
    const humanAgreement = 0.4 + next() * 0.6;
    const judgeAgreement = next();
    const humans: CalibrationCase['humans'] = [];
    const judges: CalibrationCase['judges'] = [];
    for (let i = 0; i < items; i++) {
      const truth = int(next, 0, k - 1);
      const itemId = `row-${i}`;
      for (let r = 0; r < reviewers; r++) {
        if (next() < 0.15) continue;
        humans.push({
          itemId,
          name: 'c',
          value: value(rate(next, truth, k, humanAgreement)),
          reviewer: `r${r}`,
        });
      }
      judges.push({
        itemId,
        name: 'c',
        judge: 'j',
        sourceType: 'LLM_JUDGE',
        value: value(rate(next, truth, k, judgeAgreement)),
      });
    }
    cases.push({ humans, judges });
  }
  return cases;
}
