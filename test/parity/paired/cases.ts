// Generated cases for the paired-statistics parity test: Wilcoxon samples of every kind SciPy's
// method='auto' treats differently (exact below 51 pairs without ties or zeros, full permutation up to
// 13 pairs with them, the tie-corrected normal approximation otherwise; the sizes around 13 and 50 on
// purpose), binomial tests across n, p and k (tails, mode, the far side), McNemar tables either side
// of 25 discordant pairs, Wilson intervals and Holm lists with ties. Seeded, so a failure reproduces.

import { seededUniform, type UniformSource } from '../../../src/stats/paired/random.js';

export interface PairCase {
  kind: string;
  a: number[];
  b: number[];
}

export interface BinomCase {
  k: number;
  n: number;
  p: number;
}

export interface McNemarCase {
  aPass: boolean[];
  bPass: boolean[];
}

export interface WilsonCase {
  count: number;
  nobs: number;
  confidence: number;
}

const int = (next: UniformSource, lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));

function normal(next: UniformSource): number {
  const u = 1 - next();
  const v = next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** n pairs of one kind; `shift` moves B. */
function pairs(next: UniformSource, kind: string, n: number, shift: number): PairCase {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case 'likert': {
        // 1–5 scores: many zeros and tied magnitudes
        const x = int(next, 1, 5);
        a.push(x);
        b.push(
          Math.min(5, Math.max(1, x + int(next, -2, 2) + (next() < Math.abs(shift) ? Math.sign(shift) : 0))),
        );
        break;
      }
      case 'continuous': {
        const x = normal(next);
        a.push(x);
        b.push(x + shift + normal(next));
        break;
      }
      case 'coarse': {
        // one decimal: ties among magnitudes, an occasional zero
        const x = Math.round(normal(next) * 10) / 10;
        a.push(x);
        b.push(Math.round((x + shift + normal(next)) * 10) / 10);
        break;
      }
      case 'binary': {
        // 0/1 values: every non-zero |d| is 1, one tie group
        const x = next() < 0.5 ? 1 : 0;
        a.push(x);
        b.push(next() < 0.5 + shift / 4 ? 1 : 0);
        break;
      }
      default: {
        // 'fractions': values like 0.1·k, where b − a lands on doubles that differ in the last bits
        const x = int(next, 0, 10) / 10;
        a.push(x);
        b.push(int(next, 0, 10) / 10);
      }
    }
  }
  return { kind, a, b };
}

const KINDS = ['likert', 'continuous', 'coarse', 'binary', 'fractions'];
// SciPy's permutation test enumerates 2^n sign flips in Python (about a second at n = 12 to 13), so
// random tied samples stay below 10 pairs; the fixed cases and the untied kind reach 12 and 13.
const SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 14, 15, 20, 30, 49, 50, 51, 52, 80, 150];
const UNTIED_SIZES = [...SIZES, 10, 11, 12, 13];

export function wilcoxonCases(seed: number, count: number): PairCase[] {
  const cases: PairCase[] = [
    { kind: 'empty', a: [], b: [] },
    { kind: 'single', a: [1], b: [3] },
    { kind: 'single zero', a: [2], b: [2] },
    { kind: 'all zero, 5', a: [1, 2, 3, 4, 5], b: [1, 2, 3, 4, 5] },
    { kind: 'all zero, 13', a: Array(13).fill(0.5), b: Array(13).fill(0.5) },
    { kind: 'all zero, 20', a: Array(20).fill(1), b: Array(20).fill(1) },
    { kind: 'all zero, 60', a: Array(60).fill(0), b: Array(60).fill(0) },
    { kind: 'all tied, 8', a: Array(8).fill(0), b: [1, 1, -1, 1, 1, 1, -1, 1] },
    { kind: 'all positive, 10', a: Array(10).fill(0), b: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
    { kind: 'all positive, 50', a: Array(50).fill(0), b: Array.from({ length: 50 }, (_, i) => i + 1) },
    { kind: 'all positive, 51', a: Array(51).fill(0), b: Array.from({ length: 51 }, (_, i) => i + 1) },
    { kind: 'one zero, 13', a: Array(13).fill(0), b: [0, 1, -2, 3, 4, 5, 6, 7, 8, -9, 10, 11, 12] },
    { kind: 'ties, 12', a: Array(12).fill(0), b: [1, 1, -2, 2, 3, 3, 3, -4, 5, 6, 6, 7] },
    { kind: 'one zero, 14', a: Array(14).fill(0), b: [0, 1, -2, 3, 4, 5, 6, 7, 8, -9, 10, 11, 12, 13] },
  ];
  const next = seededUniform(seed);
  for (let k = 0; k < count; k++) {
    const kind = KINDS[k % KINDS.length] as string;
    const sizes = kind === 'continuous' ? UNTIED_SIZES : SIZES;
    const n = sizes[int(next, 0, sizes.length - 1)] as number;
    const shift = next() < 0.3 ? 0 : (next() - 0.5) * 2;
    cases.push(pairs(next, kind, n, shift));
  }
  return cases;
}

export function binomCases(seed: number, count: number): BinomCase[] {
  // (SciPy refuses n = 0; binomTestTwoSided(0, 0) = 1 is in the unit test)
  const cases: BinomCase[] = [
    { k: 0, n: 1, p: 0.5 },
    { k: 3, n: 10, p: 0.3 },
    { k: 5, n: 10, p: 0.5 },
    { k: 0, n: 25, p: 0.5 },
    { k: 25, n: 25, p: 0.5 },
    { k: 0, n: 400, p: 0.01 },
    { k: 1, n: 3, p: 1 / 3 },
  ];
  const next = seededUniform(seed);
  const probabilities = [0.5, 0.5, 0.1, 0.9, 0.3, 1 / 3, 0.75];
  for (let i = 0; i < count; i++) {
    const n = int(next, 1, next() < 0.7 ? 60 : 600);
    const p = next() < 0.8 ? (probabilities[int(next, 0, probabilities.length - 1)] as number) : next();
    const where = next();
    const mode = Math.round(n * p);
    let k: number;
    if (where < 0.25) k = int(next, 0, Math.min(n, 3));
    else if (where < 0.5) k = int(next, Math.max(0, n - 3), n);
    else if (where < 0.75) k = Math.min(n, Math.max(0, mode + int(next, -3, 3)));
    else k = int(next, 0, n);
    cases.push({ k, n, p });
  }
  return cases;
}

export function mcnemarCases(seed: number, count: number): McNemarCase[] {
  const fixed: Array<[number, number, number, number]> = [
    [0, 0, 0, 0],
    [5, 0, 0, 5],
    [3, 1, 0, 2],
    [10, 12, 12, 10],
    [1, 24, 0, 1],
    [1, 12, 12, 1],
    [1, 13, 12, 1],
    [0, 30, 0, 0],
    [40, 20, 5, 35],
  ];
  const fromTable = ([both, aOnly, bOnly, neither]: [number, number, number, number]): McNemarCase => {
    const aPass: boolean[] = [];
    const bPass: boolean[] = [];
    const push = (times: number, x: boolean, y: boolean) => {
      for (let i = 0; i < times; i++) {
        aPass.push(x);
        bPass.push(y);
      }
    };
    push(both, true, true);
    push(aOnly, true, false);
    push(bOnly, false, true);
    push(neither, false, false);
    return { aPass, bPass };
  };
  const cases = fixed.map(fromTable);
  const next = seededUniform(seed);
  for (let i = 0; i < count; i++) {
    const n = int(next, 1, next() < 0.4 ? 40 : 300);
    const pa = next();
    const pb = Math.min(1, Math.max(0, pa + (next() - 0.5) * 0.6));
    // how much B's verdict follows A's on the same row
    const follow = next();
    const aPass: boolean[] = [];
    const bPass: boolean[] = [];
    for (let r = 0; r < n; r++) {
      const x = next() < pa;
      aPass.push(x);
      bPass.push(next() < follow ? x : next() < pb);
    }
    cases.push({ aPass, bPass });
  }
  return cases;
}

export function wilsonCases(seed: number, count: number): WilsonCase[] {
  const cases: WilsonCase[] = [
    { count: 0, nobs: 1, confidence: 0.95 },
    { count: 1, nobs: 1, confidence: 0.95 },
    { count: 0, nobs: 50, confidence: 0.95 },
    { count: 50, nobs: 50, confidence: 0.99 },
    { count: 7, nobs: 20, confidence: 0.95 },
  ];
  const next = seededUniform(seed);
  const confidences = [0.95, 0.95, 0.9, 0.99, 0.8, 0.999];
  for (let i = 0; i < count; i++) {
    const nobs = int(next, 1, next() < 0.5 ? 30 : 2000);
    cases.push({
      count: int(next, 0, nobs),
      nobs,
      confidence: confidences[int(next, 0, confidences.length - 1)] as number,
    });
  }
  return cases;
}

export function holmCases(seed: number, count: number): number[][] {
  const cases: number[][] = [[0.5], [0.01, 0.04, 0.03, 0.5], [0.02, 0.02, 0.02], [0, 1, 0.3], [1, 1]];
  const next = seededUniform(seed);
  for (let i = 0; i < count; i++) {
    const m = int(next, 1, 12);
    const ps: number[] = [];
    for (let j = 0; j < m; j++) {
      const r = next();
      if (r < 0.15 && ps.length > 0) ps.push(ps[int(next, 0, ps.length - 1)] as number);
      else if (r < 0.4) ps.push(next() ** 6);
      else ps.push(next());
    }
    cases.push(ps);
  }
  return cases;
}
