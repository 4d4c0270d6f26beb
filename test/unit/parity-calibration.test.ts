import { describe, expect, it } from 'vitest';
import { fleissKappa } from '../../src/stats/fleiss.js';
import { krippendorffAlpha } from '../../src/stats/krippendorff.js';
import { spearman } from '../../src/stats/spearman.js';
import { runParity } from '../helpers/parity.js';
import { alphaCases, fleissCases, spearmanCases } from '../parity/calibration/cases.js';

// The calibration statistics against their references, computed in this run
// (python/requirements/parity/calibration.txt): statsmodels 0.15.0's fleiss_kappa, krippendorff
// 0.9.0's alpha, SciPy 1.17.1's spearmanr. Fleiss, alpha and ρ are equal to the last bit (the same
// float operations in the same order); Spearman's p-value goes through a different implementation of
// the incomplete beta function and is compared to a relative 1e-11. nan (undefined) is NaN here.

const SCRIPT = 'test/parity/calibration/reference.py';

interface Reference {
  fleiss: Array<number | null>;
  alpha: Array<number | null>;
  spearman: Array<{ rho: number | null; p: number | null }>;
  versions: Record<string, string>;
}

const fleiss = fleissCases(17, 300);
const alpha = alphaCases(29, 450);
const rank = spearmanCases(41, 300);
let reference: Reference | undefined;

function ref(): Reference {
  reference ??= runParity<Reference>(
    SCRIPT,
    [],
    JSON.stringify({
      fleiss,
      alpha: alpha.map((c) => ({ data: c.data, level: c.level, value_domain: c.valueDomain ?? null })),
      spearman: rank,
    }),
  );
  return reference;
}

function same(ours: number, expected: number | null): boolean {
  return expected === null ? Number.isNaN(ours) : ours === expected;
}

describe('calibration statistics, parity with statsmodels, krippendorff and SciPy', () => {
  it('pins the reference versions', () => {
    expect(ref().versions).toMatchObject({
      statsmodels: '0.15.0',
      scipy: '1.17.1',
      numpy: '2.4.6',
      krippendorff: '0.9.0',
    });
  });

  it("Fleiss' kappa equals fleiss_kappa on 303 tables", () => {
    const mismatches: string[] = [];
    fleiss.forEach((table, i) => {
      const ours = fleissKappa(table);
      const expected = ref().fleiss[i] as number | null;
      if (!same(ours, expected)) mismatches.push(`table ${i}: ${ours} vs ${expected}`);
    });
    expect(mismatches).toEqual([]);
    expect(ref().fleiss[0]).toBeNull();
  });

  it("Krippendorff's alpha equals krippendorff.alpha at every level, with missing ratings", () => {
    const mismatches: string[] = [];
    let undefinedCount = 0;
    alpha.forEach((c, i) => {
      const ours = krippendorffAlpha(c.data, {
        level: c.level,
        ...(c.valueDomain !== undefined ? { valueDomain: c.valueDomain } : {}),
      });
      const expected = ref().alpha[i] as number | null;
      if (expected === null) undefinedCount++;
      if (!same(ours, expected))
        mismatches.push(
          `case ${i} (${c.level}): ${ours} vs ${expected} in ${JSON.stringify(c).slice(0, 200)}`,
        );
    });
    expect(mismatches).toEqual([]);
    expect(undefinedCount).toBeGreaterThanOrEqual(3);
    // the documented values
    expect(ref().alpha[0]?.toFixed(6)).toBe('0.691358');
    expect(ref().alpha[1]?.toFixed(6)).toBe('0.810845');
  });

  it('Spearman ρ equals spearmanr with ties, and its p-value to 1e-11', () => {
    const mismatches: string[] = [];
    rank.forEach((c, i) => {
      const ours = spearman(c.x, c.y);
      const expected = ref().spearman[i] as { rho: number | null; p: number | null };
      if (!same(ours.rho, expected.rho)) mismatches.push(`case ${i}: rho ${ours.rho} vs ${expected.rho}`);
      if (expected.p === null) {
        if (!Number.isNaN(ours.pValue)) mismatches.push(`case ${i}: p ${ours.pValue} vs nan`);
      } else if (Math.abs(ours.pValue - expected.p) > 1e-11 * Math.max(expected.p, 1e-300)) {
        mismatches.push(`case ${i}: p ${ours.pValue} vs ${expected.p} (n=${c.x.length})`);
      }
    });
    expect(mismatches).toEqual([]);
  });
});
