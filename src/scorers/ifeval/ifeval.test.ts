import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INSTRUCTION_CASES as CASES } from '../../../test/parity/ifeval/cases.js';
import { emptyUsage } from '../../core/usage.js';
import { evaluate, ifeval } from '../../index.js';
import { normalizeScore } from '../../runner/normalize.js';
import { buildChecks, evaluateResponse, looseVariants } from './evaluate.js';
import { INSTRUCTION_IDS } from './instructions.js';
import { detectLanguage } from './langdetect.js';

const follows = (id: string, kwargs: Record<string, unknown>, response: string) =>
  evaluateResponse(buildChecks([{ id, kwargs }], ''), response).strict[0];

describe('IFEval instructions', () => {
  it('covers all 25 instruction ids of the reference registry', () => {
    expect(INSTRUCTION_IDS).toHaveLength(25);
    expect(CASES.map(([id]) => id).sort()).toEqual([...INSTRUCTION_IDS].sort());
  });

  it.each(CASES)('%s follows and fails as the reference does', (id, kwargs, yes, no) => {
    expect(follows(id, kwargs, yes)).toBe(true);
    expect(follows(id, kwargs, no)).toBe(false);
  });

  it('never counts an empty or blank response as following', () => {
    expect(follows('punctuation:no_comma', {}, '  \n ')).toBe(false);
  });

  it('loose mode also accepts the response without its first/last line or its asterisks', () => {
    expect(looseVariants('Sure!\n*body*\nBye')).toEqual([
      'Sure!\n*body*\nBye',
      'Sure!\nbody\nBye',
      '*body*\nBye',
      'Sure!\n*body*',
      '*body*',
      'body\nBye',
      'Sure!\nbody',
      'body',
    ]);
    const checks = buildChecks([{ id: 'startend:quotation', kwargs: {} }], '');
    expect(evaluateResponse(checks, 'Here it is:\n"quoted"')).toEqual({ strict: [false], loose: [true] });
  });

  it('rejects unknown ids and missing kwargs (the reference would draw them at random)', () => {
    expect(() => buildChecks([{ id: 'keywords:nope', kwargs: {} }], '')).toThrow(
      /not an IFEval instruction id/,
    );
    expect(() =>
      buildChecks([{ id: 'length_constraints:number_words', kwargs: { relation: 'at least' } }], ''),
    ).toThrow(/kwargs.num_words: expected a non-negative integer/);
  });

  it('detects languages as langdetect does, and undefined when the text has no features', () => {
    expect(detectLanguage('Bonjour, je suis content de vous voir aujourd’hui.')).toBe('fr');
    expect(detectLanguage('これは日本語の文章です。')).toBe('ja');
    expect(detectLanguage('1234 !!! ...')).toBeUndefined();
  });
});

const score = async (
  scorer: ReturnType<typeof ifeval>,
  row: { inputs?: Record<string, unknown>; outputs: unknown; expectations?: Record<string, unknown> },
) =>
  normalizeScore(
    scorer,
    await scorer.score({
      inputs: row.inputs ?? {},
      outputs: row.outputs,
      expectations: row.expectations ?? {},
      trace: { spans: [] },
      signal: new AbortController().signal,
      usage: emptyUsage(),
    }),
  );

describe('ifeval scorer', () => {
  const expectations = {
    instruction_id_list: ['punctuation:no_comma', 'startend:quotation'],
    kwargs: [{}, {}],
  };

  it('gives prompt-level feedbacks and one feedback per instruction, strict and loose', async () => {
    const feedbacks = await score(ifeval(), { outputs: 'Answer:\n"no commas here"', expectations });
    expect(feedbacks.map((f) => [f.name, f.value])).toEqual([
      ['ifeval', false],
      ['ifeval/prompt_loose', true],
      ['ifeval/instruction_strict', true],
      ['ifeval/instruction_strict', false],
      ['ifeval/instruction_loose', true],
      ['ifeval/instruction_loose', true],
    ]);
    expect(feedbacks[0]?.rationale).toBe('not followed (strict): startend:quotation');
    expect(feedbacks[3]?.metadata).toEqual({ instruction_id: 'startend:quotation', instruction_index: '1' });
  });

  it('reads the instructions from inputs too, and the text under output_key', async () => {
    const scorer = ifeval({ name: 'ife', output_key: 'text' });
    expect(scorer.feedbackNames).toContain('ife/instruction_loose');
    const [first] = await score(scorer, {
      inputs: { prompt: 'p', ...expectations },
      outputs: { text: '"ok"' },
    });
    expect(first).toMatchObject({ name: 'ife', value: true });
  });

  it('is an error feedback, never a false, when the row cannot be scored', async () => {
    const [missing] = await score(ifeval(), { outputs: 'x' });
    expect(missing?.error?.code).toBe('MISSING_EXPECTATION');
    expect(missing?.error?.message).toMatch(/expectations.instruction_id_list/);
    const [mismatch] = await score(ifeval(), {
      outputs: 'x',
      expectations: { instruction_id_list: ['punctuation:no_comma'], kwargs: [{}, {}] },
    });
    expect(mismatch?.error?.message).toMatch(
      /expectations.kwargs must be a list with one object per instruction/,
    );
    const [unknown] = await score(ifeval(), {
      outputs: 'x',
      expectations: { instruction_id_list: ['nope'] },
    });
    expect(unknown?.error?.code).toBe('INVALID_INSTRUCTION');
    expect(() => ifeval({ mode: 'x' } as never)).toThrow(/ifeval/);
  });

  it('runs from evaluate() with the eval-file name; metrics are IFEval accuracies', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-ifeval-'));
    const data = path.join(out, 'rows.jsonl');
    const rows = [
      { inputs: { prompt: 'a' }, outputs: '"fine"', expectations },
      { inputs: { prompt: 'b' }, outputs: '"no quotes, but a comma', expectations },
    ];
    await writeFile(data, rows.map((row) => JSON.stringify(row)).join('\n'));
    const result = await evaluate({
      data,
      scorers: ['ifeval'],
      outDir: path.join(out, 'run'),
      mlflow: false,
      env: {},
    });
    expect(result.metrics).toMatchObject({
      'ifeval/mean': 0.5,
      'ifeval/instruction_strict/mean': 0.5, // 2 + 0 of 4 (a comma, no closing quote)
      'ifeval/prompt_loose/mean': 0.5,
    });
    expect(await readFile(result.resultsPath, 'utf8')).toContain('"instruction_id":"startend:quotation"');
  });
});
