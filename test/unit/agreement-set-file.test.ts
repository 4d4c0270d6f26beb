import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeLabel, parseLabelSource, sameLabel } from '../../src/app/agreement/labels.js';
import { checkSetScorer, parseAgreementSet, readAgreementSet } from '../../src/app/agreement/set-file.js';
import { ConfigError } from '../../src/core/errors.js';
import { normalizeScorerType, scorerRegistry } from '../../src/scorers/index.js';
import { repoRoot } from '../helpers/cli.js';

// Agreement set files (data/agreement/*.yaml, docs/agreement.md): what a malformed one says — file,
// line, case index and id, field — and how labels are compared.

const FILE = '/sets/demo.yaml';

const set = (cases: string, head = 'metric: demo\nscorer: { type: relevance_to_query }\n') =>
  `${head}cases:\n${cases}`;

const good = `  - id: a
    inputs: { question: "Q?" }
    outputs: "A."
    label: "yes"
  - id: b
    inputs: { question: "Q2?" }
    outputs: "B."
    label: no
    borderline: true
    note: unsure
`;

function errorOf(text: string): ConfigError {
  try {
    parseAgreementSet(text, FILE);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('agreement set files', () => {
  it('parse into cases with normalised labels, borderline flags and a digest', () => {
    const parsed = parseAgreementSet(set(good), FILE);
    expect(parsed).toMatchObject({
      metric: 'demo',
      scorer: { type: 'relevance_to_query' },
      labelOf: { kind: 'value' },
      ordinal: false,
    });
    expect(parsed.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(parsed.cases.map((c) => [c.id, c.index, c.label, c.normalLabel, c.borderline, c.note])).toEqual([
      ['a', 0, 'yes', 'yes', false, undefined],
      ['b', 1, 'no', 'no', true, 'unsure'],
    ]);
  });

  it('say which case (index and id), which field and which line is wrong', () => {
    const missingLabel = errorOf(set(good.replace('    label: no\n', '')));
    expect(missingLabel.message).toBe(`${FILE}:8: cases[1] (id b).label: the human label is required`);
    expect(missingLabel.field).toBe('cases[1].label');

    const duplicate = errorOf(set(good.replace('id: b', 'id: a')));
    expect(duplicate.message).toBe(`${FILE}:8: cases[1] (id a).id: duplicate id: cases[0] has it too`);

    const noId = errorOf(set(good.replace('  - id: b\n    inputs', '  - inputs')));
    expect(noId.message).toMatch(/^\/sets\/demo\.yaml:8: cases\[1\]\.id: a non-empty text id is required$/);

    expect(errorOf(set(good.replace('inputs: { question: "Q2?" }', 'inputs: {}'))).message).toContain(
      'cases[1] (id b).inputs: a non-empty mapping is required',
    );
    expect(errorOf(set(good.replace('outputs: "B."', 'outputs: null'))).message).toContain(
      'cases[1] (id b).outputs: the response to judge is required',
    );
    expect(errorOf(set(good.replace('label: no', 'label: [1]'))).message).toContain(
      'cases[1] (id b).label: expected true/false, "yes"/"no", a category or a number, got [1]',
    );
    expect(errorOf(set(good.replace('borderline: true', 'borderline: maybe'))).message).toContain(
      'cases[1] (id b).borderline: expected true or false',
    );
    expect(errorOf(set(good.replace('note: unsure', 'lable: yes'))).message).toContain(
      'cases[1] (id b).lable: unknown key (expected id, inputs, outputs, expectations, label, borderline, note)',
    );
    expect(
      errorOf(set(good.replace('outputs: "A."', 'outputs: "A."\n    expectations: { human_label: "yes" }')))
        .message,
    ).toContain('cases[0] (id a).expectations: "human_label" is reserved');
  });

  it('refuse a set without cases, metric or scorer, or with an unknown label_of', () => {
    expect(errorOf('metric: demo\nscorer: fluency\ncases: []\n').message).toBe(
      `${FILE}:3: cases: at least one labelled case is required`,
    );
    expect(errorOf('metric: demo\nscorer: fluency\n').message).toBe(
      `${FILE}:1: cases: at least one labelled case is required`,
    );
    expect(errorOf(set(good, 'scorer: fluency\n')).message).toBe(
      `${FILE}:1: metric: a non-empty name is required`,
    );
    expect(errorOf(set(good, 'metric: demo\n')).message).toContain(
      'scorer: an eval-file scorer entry is required',
    );
    expect(errorOf(set(good, 'metric: demo\nscorer: fluency\nlabel_of: rationale\n')).message).toBe(
      `${FILE}:3: label_of: expected "value" or "metadata.<key>", got "rationale"`,
    );
    expect(errorOf(set(good, 'metric: demo\nscorer: fluency\nmetrc: x\n')).message).toContain(
      'unknown key "metrc"',
    );
    expect(errorOf('metric: [\n').message).toMatch(/^\/sets\/demo\.yaml:\d+: invalid YAML/);
  });

  it('refuse labels that mix numbers and categories; all-integer labels make an ordinal set', () => {
    expect(errorOf(set(good.replace('label: no', 'label: 3'))).message).toBe(
      `${FILE}:11: cases[1] (id b).label: labels mix numbers and categories (cases[0] has "yes", this one 3)`,
    );
    const ordinal = parseAgreementSet(
      set(good.replace('label: "yes"', 'label: 5').replace('label: no', 'label: "2"')),
      FILE,
    );
    expect(ordinal.ordinal).toBe(true);
    expect(ordinal.cases.map((c) => c.normalLabel)).toEqual([5, 2]);
  });

  it('check the scorer entry against the registry, naming the file and line, before any call', () => {
    const registry = scorerRegistry();
    const unknown = parseAgreementSet(set(good, 'metric: demo\nscorer: { type: no_such_judge }\n'), FILE);
    expect(() => checkSetScorer(unknown, registry)).toThrow(
      /^\/sets\/demo\.yaml:2: scorer: unknown scorer type "no_such_judge" \(known: .*relevance_to_query/,
    );
    const badOption = parseAgreementSet(
      set(good, 'metric: demo\nscorer: { type: fluency, colour: red }\n'),
      FILE,
    );
    expect(() => checkSetScorer(badOption, registry)).toThrow(ConfigError);
    // the feedback compared: the entry's name, else the scorer's type (aliases resolved)
    expect(checkSetScorer(parseAgreementSet(set(good), FILE), registry)).toBe('relevance_to_query');
    const alias = parseAgreementSet(set(good, 'metric: demo\nscorer: RelevanceToInput\n'), FILE);
    expect(checkSetScorer(alias, registry)).toBe('relevance_to_query');
    const named = parseAgreementSet(
      set(good, 'metric: demo\nscorer: { type: fluency, name: reads_well }\n'),
      FILE,
    );
    expect(checkSetScorer(named, registry)).toBe('reads_well');
  });
});

describe('labels', () => {
  it('compare booleans, yes/no in any case and numbers alike', () => {
    expect([true, 'yes', 'Yes ', 'TRUE', ' true'].map(normalizeLabel)).toEqual([
      'yes',
      'yes',
      'yes',
      'yes',
      'yes',
    ]);
    expect([false, 'no', 'NO', 'False'].map(normalizeLabel)).toEqual(['no', 'no', 'no', 'no']);
    expect([3, '3', ' 4.5 ', '-1', '1e1'].map(normalizeLabel)).toEqual([3, 3, 4.5, -1, 10]);
    expect([' Insult', 'self-harm'].map(normalizeLabel)).toEqual(['insult', 'self-harm']);
    expect([null, undefined, '', '  ', {}, [], Number.NaN].map(normalizeLabel)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(sameLabel(normalizeLabel(true) as string, normalizeLabel('yes') as string)).toBe(true);
    expect(sameLabel(3, 3)).toBe(true);
    expect(sameLabel(3, '3')).toBe(false);
  });

  it('come from the value or a metadata key', () => {
    expect(parseLabelSource('value')).toEqual({ kind: 'value' });
    expect(parseLabelSource('metadata.category')).toEqual({ kind: 'metadata', key: 'category' });
    expect(parseLabelSource('metadata.')).toBeUndefined();
    expect(parseLabelSource('rationale')).toBeUndefined();
  });
});

describe('the shipped agreement sets', () => {
  const dir = path.join(repoRoot, 'data', 'agreement');
  const files = readdirSync(dir).filter((name) => name.endsWith('.yaml'));

  it('include the four quality metrics', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'relevance_to_query.yaml',
        'fluency.yaml',
        'completeness.yaml',
        'coherence.yaml',
      ]),
    );
  });

  it.each(files)(
    '%s: ≥30 cases, ≥12 clear yes, ≥12 clear no, ≥4 borderline, a scorer the registry knows',
    async (name) => {
      const parsed = await readAgreementSet(path.join(dir, name));
      const clear = parsed.cases.filter((c) => !c.borderline);
      expect(parsed.cases.length).toBeGreaterThanOrEqual(30);
      expect(parsed.cases.filter((c) => c.borderline).length).toBeGreaterThanOrEqual(4);
      if (!parsed.ordinal) {
        const positive = typeof clear[0]?.normalLabel === 'string' ? 'yes' : true;
        expect(clear.filter((c) => c.normalLabel === positive).length).toBeGreaterThanOrEqual(12);
        expect(clear.filter((c) => c.normalLabel === 'no').length).toBeGreaterThanOrEqual(12);
      }
      for (const c of parsed.cases) expect(c.note, `${name} ${c.id}`).toBeTruthy();
      // A set may name a scorer another change registers (coherence): checked once it is registered.
      const registry = scorerRegistry();
      const type = typeof parsed.scorer === 'string' ? parsed.scorer : parsed.scorer.type;
      if (registry.get(normalizeScorerType(type)) !== undefined)
        expect(() => checkSetScorer(parsed, registry)).not.toThrow();
    },
  );
});
