import { describe, expect, it } from 'vitest';
import { inferScale, parseScale, scaleValue } from '../../src/app/feedback/scale.js';

describe('criterion scales', () => {
  it('infers the scale from what the judges wrote', () => {
    expect(inferScale(['yes', 'no', 'yes'])).toEqual({ kind: 'pass-fail', written: 'yes-no' });
    expect(inferScale([true, false, null])).toEqual({ kind: 'pass-fail', written: 'boolean' });
    expect(inferScale([1, 3, 5])).toEqual({ kind: 'rubric', min: 1, max: 5 });
    expect(inferScale([0, 1, 1])).toEqual({ kind: 'number' });
    expect(inferScale([1, 1])).toEqual({ kind: 'number' });
    expect(inferScale([0.25, 0.8])).toEqual({ kind: 'number' });
    expect(inferScale([2, 7])).toEqual({ kind: 'number' });
    expect(inferScale(['none', 'resolved'])).toEqual({ kind: 'categorical', values: ['none', 'resolved'] });
    expect(inferScale([null, undefined])).toBeUndefined();
  });

  it('parses --scale values', () => {
    expect(parseScale('yes/no')).toEqual({ kind: 'pass-fail', written: 'yes-no' });
    expect(parseScale('boolean')).toEqual({ kind: 'pass-fail', written: 'boolean' });
    expect(parseScale('1-5')).toEqual({ kind: 'rubric', min: 1, max: 5 });
    expect(parseScale('0-10')).toEqual({ kind: 'rubric', min: 0, max: 10 });
    expect(parseScale('number')).toEqual({ kind: 'number' });
    expect(parseScale('none/resolved/unresolved')).toEqual({
      kind: 'categorical',
      values: ['none', 'resolved', 'unresolved'],
    });
    expect(parseScale('5-1')).toBeUndefined();
    expect(parseScale('whatever')).toBeUndefined();
  });

  it('converts human values to the form the judge wrote, and rejects values off the scale', () => {
    const yesNo = { kind: 'pass-fail', written: 'yes-no' } as const;
    const bool = { kind: 'pass-fail', written: 'boolean' } as const;
    for (const pass of ['yes', 'TRUE', '1', 'pass', true, 1] as const) {
      expect(scaleValue(pass, yesNo)).toEqual({ ok: true, value: 'yes' });
      expect(scaleValue(pass, bool)).toEqual({ ok: true, value: true });
    }
    for (const fail of ['no', 'false', '0', 'Fail', false, 0] as const) {
      expect(scaleValue(fail, yesNo)).toEqual({ ok: true, value: 'no' });
    }
    expect(scaleValue('maybe', yesNo)).toMatchObject({ ok: false });
    expect(scaleValue(2, bool)).toMatchObject({ ok: false });
    const rubric = { kind: 'rubric', min: 1, max: 5 } as const;
    expect(scaleValue('4', rubric)).toEqual({ ok: true, value: 4 });
    expect(scaleValue(0, rubric)).toEqual({ ok: false, expected: "an integer from 1 to 5, got '0'" });
    expect(scaleValue('3.5', rubric)).toMatchObject({ ok: false });
    expect(scaleValue('0.75', { kind: 'number' })).toEqual({ ok: true, value: 0.75 });
    expect(scaleValue(true, { kind: 'number' })).toMatchObject({ ok: false });
    expect(scaleValue('RESOLVED', { kind: 'categorical', values: ['none', 'resolved'] })).toEqual({
      ok: true,
      value: 'resolved',
    });
    expect(scaleValue('  ', rubric)).toMatchObject({ ok: false });
    expect(scaleValue('7', undefined)).toEqual({ ok: true, value: 7 });
    expect(scaleValue('great', undefined)).toEqual({ ok: true, value: 'great' });
  });
});
