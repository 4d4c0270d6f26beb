import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/commands/run.js';
import { ConfigError } from '../../src/core/errors.js';
import type { RunSummary } from '../../src/core/result.js';
import * as judgeflow from '../../src/index.js';
import { tokenize13a } from '../../src/scorers/translation/tokenize-13a.js';
import { captureIo, noMlflowRun, tempDir } from '../helpers/cli.js';
import { args, fakeJudges, score } from '../helpers/judge-scorer-fakes.js';

const { bleu, chrf, chrfPlusPlus, corpusBleu, corpusChrf, sentenceBleu, sentenceChrf, TranslationAdequacy } =
  judgeflow;

const row = (outputs: unknown, expectations: Record<string, unknown>) =>
  args({ inputs: { source: 'The cat sat on the mat.' }, outputs, expectations });

describe('13a tokenization', () => {
  it.each([
    ['Hello, world!', 'Hello , world !'],
    ['It costs 3.5 or 1,000 dollars.', 'It costs 3.5 or 1,000 dollars .'],
    ['pages 2-3 by e-mail', 'pages 2 - 3 by e-mail'],
    ['&quot;a&quot; &amp; b&lt;c&gt;', '" a " & b < c >'],
    ['line-\nbreak <skipped>here\tand\u0085there', 'linebreak here and there'],
    ['Haus\ufeffboot', 'Haus\ufeffboot'],
  ])('%j → %j', (input, expected) => {
    expect(tokenize13a(input)).toBe(expected);
  });
});

describe('BLEU and chrF library functions', () => {
  it('score identical text 100, no overlap 0, and known sacrebleu values', () => {
    // exp(log(100)) is 100.00000000000004, in sacrebleu too
    expect(sentenceBleu('The cat sat on the mat.', ['The cat sat on the mat.']).score).toBe(
      100.00000000000004,
    );
    expect(sentenceBleu('dog', ['The cat sat on the mat.']).score).toBe(0);
    // sacrebleu.sentence_bleu('a', ['a b']) and sentence_chrf('a', ['a b'])
    expect(sentenceBleu('a', ['a b']).score).toBeCloseTo(36.78794411714425, 12);
    expect(sentenceChrf('a', ['a b']).score).toBeCloseTo(55.55555555555556, 12);
    expect(sentenceChrf('The cat', ['The cat']).score).toBe(100);
    expect(sentenceChrf('', ['The cat']).score).toBe(0);
  });

  it('take the closest reference length for BLEU and the best reference for chrF', () => {
    const single = sentenceBleu('a b c d', ['a b c d e f g h']);
    const multiple = sentenceBleu('a b c d', ['a b c d e f g h', 'a b c d']);
    expect(single.bp).toBeLessThan(1);
    expect(multiple).toMatchObject({ bp: 1, refLen: 4 });
    expect(multiple.score).toBeCloseTo(100, 12);
    expect(sentenceChrf('Haus', ['Boot', 'Haus']).score).toBe(100);
  });

  it('corpus scores pool statistics rather than averaging sentences', () => {
    const hypotheses = ['The cat sat on the mat.', 'dog'];
    const references = [['The cat sat on the mat.'], ['A cat.']];
    const corpus = corpusBleu(hypotheses, references);
    expect(corpus.counts[0]).toBe(7);
    expect(corpus.totals[0]).toBe(8);
    const mean =
      (sentenceBleu(hypotheses[0]!, references[0]!).score +
        sentenceBleu(hypotheses[1]!, references[1]!).score) /
      2;
    expect(corpus.score).not.toBeCloseTo(mean, 3);
    expect(corpusChrf(hypotheses, references).statistics).toHaveLength(18);
    expect(corpusChrf(hypotheses, references, { wordOrder: 2 }).statistics).toHaveLength(24);
  });

  it('reject a missing reference list and bad orders with a ConfigError', () => {
    expect(() => corpusBleu(['a'], [])).toThrow(ConfigError);
    expect(() => sentenceBleu('a', [])).toThrow(/segment 0 has no reference/);
    expect(() => sentenceChrf('a', [])).toThrow(ConfigError);
    expect(() => sentenceChrf('a', ['a'], { charOrder: 0, wordOrder: 0 })).toThrow(ConfigError);
    expect(() => sentenceBleu('a', ['a'], { maxNgramOrder: 0 })).toThrow(ConfigError);
  });
});

describe('bleu, chrf and chrf_plus_plus scorers', () => {
  it('score the outputs against expectations.references (several) as the library functions do', async () => {
    const references = ['The cat is on the mat.', 'There is a cat on the mat.'];
    const [feedback] = await score(bleu(), row('The cat sat on the mat.', { references }));
    expect(feedback).toMatchObject({
      name: 'bleu',
      value: sentenceBleu('The cat sat on the mat.', references).score,
      source: { type: 'CODE', id: 'bleu' },
      metadata: { references: '2', hyp_len: '7' },
    });
    expect(feedback?.rationale).toMatch(/^BLEU = \d+\.\d\d [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ \(BP = /);
    const [chrfFeedback] = await score(chrf(), row('The cat sat on the mat.', { references }));
    expect(chrfFeedback).toMatchObject({
      name: 'chrf',
      value: sentenceChrf('The cat sat on the mat.', references).score,
    });
    const [plus] = await score(chrfPlusPlus(), row('The cat sat on the mat.', { references }));
    expect(plus).toMatchObject({
      name: 'chrf_plus_plus',
      value: sentenceChrf('The cat sat on the mat.', references, { wordOrder: 2 }).score,
    });
    expect(plus?.rationale).toContain('chrF2++ =');
  });

  it('fall back to expected_response, or read the expectation named by expectation_key', async () => {
    const [fallback] = await score(bleu(), row('Ein Haus.', { expected_response: 'Ein Haus.' }));
    expect(fallback?.value).toBeCloseTo(100, 12);
    const [keyed] = await score(
      chrf({ expectation_key: 'german' }),
      row('Ein Haus.', { german: ['Ein Boot.', 'Ein Haus.'], references: 'x' }),
    );
    expect(keyed?.value).toBe(100);
  });

  it('score missing outputs as an empty hypothesis, and an output_key field', async () => {
    const [empty] = await score(bleu(), { ...row('', { references: ['A cat.'] }), outputs: null });
    expect(empty).toMatchObject({ value: 0 });
    const [field] = await score(
      chrf({ output_key: 'text' }),
      row({ text: 'A cat.' }, { references: ['A cat.'] }),
    );
    expect(field?.value).toBe(100);
  });

  it('give an error feedback naming the field when references are missing or malformed', async () => {
    const [missing] = await score(bleu(), row('x', {}));
    expect(missing).toMatchObject({ value: null, error: { code: 'MISSING_EXPECTATION' } });
    expect(missing?.error?.message).toContain('expectations.references or expectations.expected_response');
    const [keyed] = await score(chrf({ expectation_key: 'german' }), row('x', { references: ['x'] }));
    expect(keyed?.error?.message).toContain('expectations.german');
    for (const bad of [[], [1, 'x'], 42]) {
      const [invalid] = await score(chrfPlusPlus(), row('x', { references: bad }));
      expect(invalid).toMatchObject({ value: null, error: { code: 'INVALID_EXPECTATION' } });
      expect(invalid?.error?.message).toContain(
        'expectations.references must be a string or a non-empty list',
      );
    }
  });

  it('validate their options (sacrebleu settings) and honour them', async () => {
    expect(() => bleu({ smooth_method: 'nist' as never })).toThrow(/bleu\.smooth_method/);
    expect(() => chrf({ char_order: 0, word_order: 0 })).toThrow(ConfigError);
    expect(() => chrf({ chars: 6 } as never)).toThrow(ConfigError);
    const [cased] = await score(bleu({ lowercase: true }), row('THE CAT', { references: 'the cat' }));
    expect(cased?.value).toBeCloseTo(100, 12);
    const [noEffective] = await score(
      bleu({ effective_order: false, smooth_method: 'none' }),
      row('a', { references: 'a b' }),
    );
    expect(noEffective?.value).toBe(0);
    const [plain] = await score(chrf({ word_order: 2 }), row('The cat', { references: 'The cat sat' }));
    const [plus] = await score(chrfPlusPlus(), row('The cat', { references: 'The cat sat' }));
    expect(plain?.value).toBe(plus?.value);
  });
});

describe('translation_adequacy judge', () => {
  it('shows the judge the source, the translation and the references, and returns its 1-5 verdict', async () => {
    const fake = fakeJudges(() => ({ rationale: 'One minor omission.', result: 4 }));
    const scorer = TranslationAdequacy({
      judges: fake.judges,
      source_language: 'English',
      target_language: 'German',
    });
    const [feedback] = await score(
      scorer,
      row('Die Katze saß.', {
        references: ['Die Katze saß auf der Matte.', 'Die Katze sitzt auf der Matte.'],
      }),
    );
    expect(feedback).toMatchObject({
      name: 'translation_adequacy',
      value: 4,
      rationale: 'One minor omission.',
      source: { type: 'LLM_JUDGE' },
    });
    const user = fake.userText();
    expect(user).toContain('Translation from English into German.');
    expect(user).toContain('<source>\nThe cat sat on the mat.\n</source>');
    expect(user).toContain('<translation>\nDie Katze saß.\n</translation>');
    expect(user).toContain(
      'Reference 1: Die Katze saß auf der Matte.\nReference 2: Die Katze sitzt auf der Matte.',
    );
    expect(fake.requests[0]).toMatchObject({ schemaName: 'translation_adequacy' });
  });

  it('judges without a reference, reads source_key, and errors (no call) without a source', async () => {
    const fake = fakeJudges(() => ({ rationale: 'ok', result: 5 }));
    await score(TranslationAdequacy({ judges: fake.judges }), row('Die Katze.', {}));
    expect(fake.userText()).toContain('<reference>\n(none)\n</reference>');
    await score(
      TranslationAdequacy({ judges: fake.judges, source_key: 'en' }),
      args({ inputs: { en: 'A house.', id: 7 }, outputs: 'Ein Haus.' }),
    );
    expect(fake.userText(1)).toContain('<source>\nA house.\n</source>');
    const [missing] = await score(
      TranslationAdequacy({ judges: fake.judges }),
      args({ inputs: { source: '  ' } }),
    );
    expect(missing).toMatchObject({ value: null, error: { code: 'MISSING_INPUT' } });
    expect(fake.requests).toHaveLength(2);
  });

  it('rejects a verdict outside 1-5 as an error feedback, never a score', async () => {
    const fake = fakeJudges(() => ({ rationale: 'great', result: 9 }));
    const [feedback] = await score(TranslationAdequacy({ judges: fake.judges }), row('Die Katze.', {}));
    expect(feedback?.value).toBeNull();
    expect(feedback?.error?.code).toBe('JUDGE_OUTPUT_INVALID');
  });
});

describe('translation metrics from an eval file', () => {
  it('run bleu, chrf and chrf_plus_plus from YAML; the run metric is the mean of the sentence scores', async () => {
    const dir = await tempDir('translation');
    const rows = [
      { hypothesis: 'The cat sat on the mat.', references: ['The cat sat on the mat.'] },
      { hypothesis: 'A dog barks loudly.', references: ['The dog is barking.', 'A dog barks.'] },
      { hypothesis: '', references: ['Nothing here.'] },
    ];
    await writeFile(
      path.join(dir, 'rows.jsonl'),
      rows
        .map((r, i) =>
          JSON.stringify({
            id: `r${i}`,
            inputs: { source: `source ${i}` },
            outputs: r.hypothesis,
            expectations: { references: r.references },
          }),
        )
        .join('\n'),
    );
    await writeFile(
      path.join(dir, 'eval.yaml'),
      [
        'dataset: {path: rows.jsonl}',
        'scorers:',
        '  - bleu',
        '  - {type: chrf, aggregations: [mean, min]}',
        '  - chrf_plus_plus',
      ].join('\n'),
    );
    const out = path.join(dir, 'out');
    const io = captureIo();
    const code = await runCommand(path.join(dir, 'eval.yaml'), { ...noMlflowRun, out }, io.io);
    expect(code, io.stderr()).toBe(0);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as RunSummary;
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(summary.metrics['bleu/mean']).toBeCloseTo(
      mean(rows.map((r) => sentenceBleu(r.hypothesis, r.references).score)),
      10,
    );
    const chrfScores = rows.map((r) => sentenceChrf(r.hypothesis, r.references).score);
    expect(summary.metrics['chrf/mean']).toBeCloseTo(mean(chrfScores), 10);
    expect(summary.metrics['chrf/min']).toBe(0);
    expect(summary.metrics['chrf_plus_plus/mean']).toBeCloseTo(
      mean(rows.map((r) => sentenceChrf(r.hypothesis, r.references, { wordOrder: 2 }).score)),
      10,
    );
  });
});
