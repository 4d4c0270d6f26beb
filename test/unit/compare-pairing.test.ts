import { describe, expect, it } from 'vitest';
import {
  detectKind,
  higherIsBetter,
  LOWER_IS_BETTER,
  numericValue,
} from '../../src/app/compare/metric-kinds.js';
import { pairSides } from '../../src/app/compare/pairing.js';
import { rowsFromTable } from '../../src/app/compare/side-mlflow.js';
import type { LoadedSide, SideFeedback } from '../../src/app/compare/side-rows.js';
import { ConfigError } from '../../src/core/errors.js';

/** A side of rows `{id: {metric: value}}`; an `Error` value stands for an error feedback. */
function side(
  label: string,
  rows: Record<string, Record<string, unknown>>,
  digest: string | null = 'd1',
): LoadedSide {
  const names = new Set<string>();
  const map = new Map(
    Object.entries(rows).map(([id, values]) => {
      const feedbacks = new Map<string, SideFeedback>();
      for (const [name, value] of Object.entries(values)) {
        names.add(name);
        feedbacks.set(
          name,
          value instanceof Error
            ? { value: undefined, error: `SCORER_ERROR: ${value.message}` }
            : { value, rationale: `${name} of ${id}` },
        );
      }
      return [id, { id, inputs: { q: id }, outputs: `${label}:${id}`, feedbacks }];
    }),
  );
  return {
    side: {
      label,
      source: 'folder',
      path: `/x/${label}`,
      dataset: { name: 'qa', ...(digest !== null ? { digest } : {}), rows: map.size },
    },
    rows: map,
    feedbackNames: [...names],
  };
}

describe('compare: pairing rows by id', () => {
  it('pairs rows by id whatever their order, counting the rows only one side has', () => {
    const a = side('a', { r1: { m: true }, r2: { m: false }, r3: { m: true } });
    const b = side('b', { r3: { m: false }, r1: { m: true }, r4: { m: true } });
    const pairing = pairSides(a, b);
    expect(pairing.pairs.map((p) => p.id)).toEqual(['r1', 'r3']);
    expect(pairing.onlyInA).toBe(1);
    expect(pairing.onlyInB).toBe(1);
    const [metric] = pairing.metrics;
    expect(metric).toMatchObject({
      name: 'm',
      kind: 'pass_fail',
      rowIds: ['r1', 'r3'],
      a: [1, 1],
      b: [1, 0],
    });
    expect(pairing.warnings.join('\n')).toMatch(/1 row\(s\) only in A and 1 only in B/);
  });

  it('drops a pair for a metric when either side has no value, and counts it per side', () => {
    const a = side('a', { r1: { m: 1 }, r2: { m: new Error('x') }, r3: { m: 3 }, r4: { m: new Error('y') } });
    const b = side('b', { r1: { m: 2 }, r2: { m: 5 }, r3: { m: new Error('z') }, r4: { m: new Error('w') } });
    const [metric] = pairSides(a, b).metrics;
    expect(metric).toMatchObject({ kind: 'numeric', rowIds: ['r1'], a: [1], b: [2], aErrors: 2, bErrors: 2 });
  });

  it('refuses different dataset digests unless allowed, then warns and marks the override', () => {
    const a = side('a', { r1: { m: true } }, 'aaa');
    const b = side('b', { r1: { m: true } }, 'bbb');
    expect(() => pairSides(a, b)).toThrow(ConfigError);
    expect(() => pairSides(a, b)).toThrow(
      /different datasets.*digest aaa.*digest bbb.*--allow-different-datasets/,
    );
    const allowed = pairSides(a, b, { allowDifferentDatasets: true });
    expect(allowed.datasetOverride).toBe(true);
    expect(allowed.warnings.join('\n')).toMatch(/different datasets compared/);
  });

  it('warns when a digest is unknown instead of refusing', () => {
    const pairing = pairSides(side('a', { r1: { m: true } }, null), side('b', { r1: { m: true } }));
    expect(pairing.datasetOverride).toBe(false);
    expect(pairing.warnings.join('\n')).toMatch(/digest of A is unknown/);
  });

  it('names the metric and the side lacking it, and --metrics leaves it out', () => {
    const a = side('a', { r1: { m: true, extra: 0.5 } });
    const b = side('b', { r1: { m: false } });
    expect(() => pairSides(a, b)).toThrow(
      /metric "extra" is only in A: B \(b\) has no feedback of that name.*--metrics m/,
    );
    expect(() => pairSides(b, a)).toThrow(/metric "extra" is only in B: A \(b\)/);
    expect(pairSides(a, b, { metrics: ['m'] }).metrics.map((m) => m.name)).toEqual(['m']);
    expect(() => pairSides(a, b, { metrics: ['nope'] })).toThrow(/no feedback "nope" on either side/);
  });

  it('refuses two sides without a row id in common', () => {
    expect(() => pairSides(side('a', { r1: { m: 1 } }), side('b', { r2: { m: 1 } }))).toThrow(
      /no row id in common/,
    );
  });

  it('leaves out a metric of labels with a warning, and refuses it when named with --metrics', () => {
    const a = side('a', { r1: { m: true, label: 'excellent' } });
    const b = side('b', { r1: { m: true, label: 'poor' } });
    const pairing = pairSides(a, b);
    expect(pairing.metrics.map((m) => m.name)).toEqual(['m']);
    expect(pairing.warnings.join('\n')).toMatch(
      /metric "label" has a value that is neither pass\/fail nor a number: "excellent"/,
    );
    expect(() => pairSides(a, b, { metrics: ['label'] })).toThrow(ConfigError);
  });
});

describe('compare: metric kinds and direction', () => {
  it('reads booleans and yes/no as pass/fail, numbers as numeric', () => {
    expect(detectKind([true, false, undefined])).toEqual({ kind: 'pass_fail' });
    expect(detectKind(['yes', 'No', ' YES '])).toEqual({ kind: 'pass_fail' });
    expect(detectKind([0.5, 1, 3])).toEqual({ kind: 'numeric' });
    expect(detectKind([true, 0.5])).toMatchObject({ problem: expect.stringMatching(/mixes/) });
    expect(detectKind([undefined])).toMatchObject({ problem: expect.stringMatching(/no value/) });
    expect(numericValue('yes')).toBe(1);
    expect(numericValue(false)).toBe(0);
    expect(numericValue('maybe')).toBeUndefined();
    expect(numericValue(Number.NaN)).toBeUndefined();
  });

  it('knows the problem metrics (lower is better) and lets flags override it', () => {
    for (const name of ['toxicity', 'bias', 'pii_leakage', 'pii_leakage_judge', 'profanity'])
      expect(higherIsBetter(name, 'pass_fail')).toBe(false);
    expect(higherIsBetter('latency', 'numeric')).toBe(false);
    // latency with max_s is a pass (true = fast enough): higher is better
    expect(higherIsBetter('latency', 'pass_fail')).toBe(true);
    expect(higherIsBetter('exact_match', 'pass_fail')).toBe(true);
    expect(higherIsBetter('cost', 'numeric', { lowerIsBetter: ['cost'] })).toBe(false);
    expect(higherIsBetter('toxicity', 'pass_fail', { higherIsBetter: ['toxicity'] })).toBe(true);
    expect(higherIsBetter('constructor', 'numeric')).toBe(true);
    expect(Object.keys(LOWER_IS_BETTER)).toContain('toxicity');
  });
});

describe('compare: the MLflow results table', () => {
  it('reads rows by request_id with values, rationales, errors and several feedbacks of one name', () => {
    const columns = [
      'request_id',
      'trace_id',
      'inputs',
      'outputs',
      'expectations',
      'm/value',
      'm/rationale',
      'm/error',
      'n/value',
      'n/rationale',
      'n/error',
    ];
    const data = [
      ['r1', null, { q: 1 }, 'out1', { e: 1 }, true, 'fine', null, [1, 2], ['a', 'b'], [null, null]],
      ['r2', null, { q: 2 }, 'out2', null, null, null, 'JUDGE_ERROR: bad', null, null, null],
    ];
    const { rows, feedbackNames } = rowsFromTable(columns, data, 'run');
    expect(feedbackNames).toEqual(['m', 'n']);
    expect(rows.get('r1')).toMatchObject({ inputs: { q: 1 }, outputs: 'out1', expectations: { e: 1 } });
    expect(rows.get('r1')?.feedbacks.get('m')).toEqual({ value: true, rationale: 'fine' });
    expect(rows.get('r1')?.feedbacks.get('n')).toMatchObject({ several: true });
    expect(rows.get('r2')?.feedbacks.get('m')).toEqual({ value: undefined, error: 'JUDGE_ERROR: bad' });
    expect(rows.get('r2')?.feedbacks.has('n')).toBe(false);
  });
});
