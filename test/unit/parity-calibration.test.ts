import { describe, expect, it } from 'vitest';
import { calibrate } from '../../src/app/calibrate/compute.js';
import { majorityLabel } from '../../src/app/calibrate/labels.js';
import type { AgreementLabel } from '../../src/stats/agreement.js';
import { fleissKappa } from '../../src/stats/fleiss.js';
import { krippendorffAlpha } from '../../src/stats/krippendorff.js';
import { spearman } from '../../src/stats/spearman.js';
import { runParity } from '../helpers/parity.js';
import { alphaCases, calibrationCases, fleissCases, spearmanCases } from '../parity/calibration/cases.js';

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

describe('judgeflow calibrate, parity with scikit-learn, statsmodels and krippendorff', () => {
  it('the judge against the majority label and the human ceiling equal the references on 60 calibrations', () => {
    const cases = calibrationCases(53, 60);
    // the reference gets the data as a user would prepare it: majority labels, a full ratings table
    const prepared = cases.map((c) => {
      const byItem = new Map<string, Map<string, AgreementLabel>>();
      for (const h of c.humans) {
        const labels = byItem.get(h.itemId) ?? new Map<string, AgreementLabel>();
        byItem.set(h.itemId, labels);
        labels.set(h.reviewer, h.value);
      }
      const y1: AgreementLabel[] = [];
      const y2: AgreementLabel[] = [];
      for (const j of c.judges) {
        const labels = byItem.get(j.itemId);
        const majority = labels === undefined ? undefined : majorityLabel([...labels.values()]);
        if (majority === undefined) continue;
        y1.push(majority);
        y2.push(j.value);
      }
      const reviewers = [...new Set(c.humans.map((h) => h.reviewer))].sort();
      const items = [...byItem.values()];
      const categories = [...new Set(c.humans.map((h) => h.value))].sort((a, b) =>
        typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : 1,
      );
      const complete = items.filter((labels) => reviewers.every((r) => labels.has(r)));
      const table = complete.map((labels) =>
        categories.map((cat) => [...labels.values()].filter((v) => v === cat).length),
      );
      const numeric = c.humans.every((h) => typeof h.value === 'number');
      const data = reviewers.map((r) => items.map((labels) => labels.get(r) ?? null));
      const labels = [...new Set([...y1, ...y2])].sort((a, b) =>
        typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : 1,
      );
      return {
        y1,
        y2,
        labels,
        table,
        alpha: { data, level: numeric ? 'interval' : 'nominal', value_domain: null },
      };
    });
    const reference = runParity<{
      kappa: Array<number | null>;
      confusion: number[][][];
      fleiss: Array<number | null>;
      alpha: Array<number | null>;
    }>(
      SCRIPT,
      [],
      JSON.stringify({
        kappa: prepared.map((p) => ({ y1: p.y1, y2: p.y2 })),
        confusion: prepared.map((p) => ({ y1: p.y1, y2: p.y2, labels: p.labels })),
        fleiss: prepared.map((p) => p.table),
        alpha: prepared.map((p) => p.alpha),
        spearman: [],
      }),
    );
    const mismatches: string[] = [];
    cases.forEach((c, i) => {
      const report = calibrate({ humans: c.humans, judges: c.judges, overridden: {} });
      const judge = report.judges[0];
      const human = report.humans[0];
      const check = (what: string, ours: number | null | undefined, expected: number | null | undefined) => {
        if (ours !== expected) mismatches.push(`case ${i} ${what}: ${ours} vs ${expected}`);
      };
      check('kappa', judge?.cohen_kappa, reference.kappa[i]);
      check('fleiss', human?.fleiss_kappa, reference.fleiss[i]);
      check('alpha', human?.krippendorff_alpha, reference.alpha[i]);
      if (JSON.stringify(judge?.confusion.matrix) !== JSON.stringify(reference.confusion[i]))
        mismatches.push(
          `case ${i} confusion: ${JSON.stringify(judge?.confusion.matrix)} vs ${JSON.stringify(reference.confusion[i])}`,
        );
    });
    expect(mismatches).toEqual([]);
  });
});
