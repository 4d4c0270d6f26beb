import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/datasets/row-sampler.js';
import {
  type BleuOptions,
  type ChrfOptions,
  corpusBleu,
  corpusChrf,
  sentenceBleu,
  sentenceChrf,
} from '../../src/scorers/translation/index.js';
import { runParity } from '../helpers/parity.js';
import {
  WMT21_REFERENCES,
  WMT21_SYSTEMS,
  wmt21Missing,
  wmt21Reference,
  wmt21System,
} from '../helpers/wmt21.js';

// BLEU, chrF and chrF++ against sacrebleu (pinned in python/requirements/parity/translation.txt),
// computed in this run by test/parity/translation/sacrebleu_scores.py: every score within 1e-9
// relative, every BLEU statistic equal. Cases: the WMT21 en→de systems (../shared/data) and generated
// edge cases (empty hypotheses and references, unicode, punctuation runs, numbers and hyphens that
// 13a treats specially, XML entities, Python-only whitespace, several references per segment).
// Over 400 lines because the case generator and its piece list live beside the two tests that use
// them; nothing else reads them.

const TOLERANCE = 1e-9;

interface SacrebleuBleu {
  score: number;
  counts: number[];
  totals: number[];
  bp: number;
  sys_len: number;
  ref_len: number;
}
interface SacrebleuScores {
  version: string;
  sentence: {
    bleu: SacrebleuBleu;
    chrf: number;
    chrfpp: number;
    bleu_variants: number[];
    chrf_variants: number[];
  }[];
  corpus: { bleu: SacrebleuBleu; chrf: number; chrfpp: number }[];
  test_sets: {
    corpus: { bleu: SacrebleuBleu; chrf: number; chrfpp: number };
    segments: { bleu: number[]; chrf: number[]; chrfpp: number[] };
  }[][];
}
interface Case {
  hypothesis: string;
  references: string[];
}
interface Corpus {
  hypotheses: string[];
  references: string[][];
}

/** Option variants beyond the defaults, as sacrebleu's keyword arguments and as ours. */
const BLEU_VARIANTS: Array<[Record<string, unknown>, BleuOptions]> = [
  [
    { effective_order: true, smooth_method: 'floor' },
    { effectiveOrder: true, smoothMethod: 'floor' },
  ],
  [
    { effective_order: true, smooth_method: 'add-k' },
    { effectiveOrder: true, smoothMethod: 'add-k' },
  ],
  [{ smooth_method: 'none' }, { effectiveOrder: false, smoothMethod: 'none' }],
  [
    { smooth_method: 'floor', smooth_value: 0.01 },
    { effectiveOrder: false, smoothMethod: 'floor', smoothValue: 0.01 },
  ],
  [
    { effective_order: true, lowercase: true },
    { effectiveOrder: true, lowercase: true },
  ],
  [
    { effective_order: true, tokenize: 'none' },
    { effectiveOrder: true, tokenize: 'none' },
  ],
  [
    { effective_order: true, max_ngram_order: 2 },
    { effectiveOrder: true, maxNgramOrder: 2 },
  ],
];
const CHRF_VARIANTS: Array<[Record<string, unknown>, ChrfOptions]> = [
  [
    { lowercase: true, word_order: 2 },
    { lowercase: true, wordOrder: 2 },
  ],
  [{ whitespace: true }, { whitespace: true }],
  [
    { eps_smoothing: true, word_order: 2 },
    { epsSmoothing: true, wordOrder: 2 },
  ],
  [
    { beta: 1, char_order: 4, word_order: 1 },
    { beta: 1, charOrder: 4, wordOrder: 1 },
  ],
  [
    { beta: 3, char_order: 0, word_order: 3 },
    { beta: 3, charOrder: 0, wordOrder: 3 },
  ],
];

// Pieces that each exercise a rule: 13a's digit rules (3.5, 1,000, 2-3, e-mail), entities, <skipped>,
// symbol runs, apostrophes, non-Latin scripts, combining marks, astral characters, Python-only
// whitespace (U+001C, U+0085) and JavaScript-only whitespace (U+FEFF, which Python keeps in a word).
const PIECES = [
  'the',
  'The',
  'cat',
  'sat',
  'on',
  'mat',
  'Haus',
  'Häuser',
  'straße',
  'über',
  'ÜBER',
  'İstanbul',
  'ΣΟΦΟΣ',
  'naïve',
  'nai\u0308ve',
  '東京',
  '日本語',
  'русский',
  'مرحبا',
  '😀',
  '👩‍👩‍👧',
  '𝔘𝔫𝔦',
  'e-mail',
  'well-known',
  '3.5',
  '1,000',
  '2-3',
  '2020-2021',
  '-5',
  '5-',
  '.5',
  '5.',
  'U.S.',
  'z.B.',
  "don't",
  "l'homme",
  '"quoted"',
  '(hi)',
  '[x]',
  '{y}',
  '...',
  '!!!',
  '?!',
  '--',
  '—',
  '–',
  '«',
  '»',
  '„Zitat“',
  '&amp;',
  '&quot;',
  '&lt;b&gt;',
  '&',
  '<skipped>',
  'a/b',
  '@user',
  '#tag',
  '$5',
  '100%',
  '~',
  '^',
  '|',
  '\\',
  '_',
  '`',
  ',',
  '.',
  ';',
  ':',
  '\u00a0',
  '\t',
  '\u001c',
  '\u0085',
  '\ufeff',
  '\u2028',
  '\u3000',
  '-\n',
  '\n',
  '\r',
];

function generatedSentence(next: () => number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) {
    const piece = PIECES[Math.floor(next() * PIECES.length)] ?? '';
    const glue = next() < 0.25 ? '' : ' ';
    text += (i === 0 ? '' : glue) + piece;
  }
  return next() < 0.2 ? `${text} ` : text;
}

function generatedCases(count: number): Case[] {
  const next = seededRandom(14);
  const cases: Case[] = [
    { hypothesis: '', references: ['The cat sat on the mat.'] },
    { hypothesis: '', references: [''] },
    { hypothesis: 'The cat sat on the mat.', references: [''] },
    { hypothesis: '   ', references: ['  '] },
    { hypothesis: 'The cat sat on the mat.', references: ['The cat sat on the mat.'] },
    {
      hypothesis: 'the the the the the the the',
      references: ['The cat is on the mat.', 'There is a cat on the mat.'],
    },
    { hypothesis: 'cat', references: ['cat'] },
    { hypothesis: 'Es kostet 1.000,50 € (ca. 3-4%)!!!', references: ['Es kostet 1.000,50 €, ca. 3 - 4 %.'] },
    { hypothesis: '?!?!... ---', references: ['?!', '...', '---'] },
    { hypothesis: 'a b c d', references: ['a b c d e f', 'a b', 'a b c'] },
    { hypothesis: 'a b c d', references: ['a b c d e f', 'a b c d e f', 'a b c', ''] },
    { hypothesis: '😀😀😀 東京', references: ['😀😀 東京', '東京 😀'] },
  ];
  while (cases.length < count) {
    const references = Array.from({ length: 1 + Math.floor(next() * 4) }, () =>
      next() < 0.05 ? '' : generatedSentence(next, Math.floor(next() * 25)),
    );
    // Half the hypotheses are a reference with edits, so that n-grams of every order match.
    const base = references[0] ?? '';
    const hypothesis =
      next() < 0.5
        ? `${base.slice(0, Math.floor(next() * base.length))} ${generatedSentence(next, 4)}`
        : generatedSentence(next, Math.floor(next() * 25));
    cases.push({ hypothesis: next() < 0.05 ? '' : hypothesis, references });
  }
  return cases;
}

function expectClose(actual: number, expected: number, what: string): number {
  const scale = Math.max(Math.abs(actual), Math.abs(expected));
  const relative = scale === 0 ? 0 : Math.abs(actual - expected) / scale;
  if (!(relative <= TOLERANCE)) {
    expect.fail(`${what}: judgeflow ${actual}, sacrebleu ${expected} (relative difference ${relative})`);
  }
  return relative;
}

function expectBleu(actual: ReturnType<typeof corpusBleu>, expected: SacrebleuBleu, what: string): number {
  expect(
    { counts: actual.counts, totals: actual.totals, sysLen: actual.sysLen, refLen: actual.refLen },
    what,
  ).toEqual({
    counts: expected.counts,
    totals: expected.totals,
    sysLen: expected.sys_len,
    refLen: expected.ref_len,
  });
  expectClose(actual.bp, expected.bp, `${what} bp`);
  return expectClose(actual.score, expected.score, `${what} BLEU`);
}

function reference(
  request: {
    sentence?: Case[];
    corpus?: Corpus[];
    test_sets?: Array<{ references: string[][]; systems: string[][] }>;
  },
  variants = true,
): SacrebleuScores {
  const body = {
    ...request,
    variants: variants
      ? { bleu: BLEU_VARIANTS.map(([python]) => python), chrf: CHRF_VARIANTS.map(([python]) => python) }
      : { bleu: [], chrf: [] },
  };
  const scores = runParity<SacrebleuScores>(
    'test/parity/translation/sacrebleu_scores.py',
    [],
    JSON.stringify(body),
  );
  expect(scores.version).toBe('2.6.0');
  return scores;
}

describe('BLEU, chrF and chrF++ equal sacrebleu 2.6.0', () => {
  it('on 600 generated edge cases, sentence level with every option variant and as a corpus', () => {
    const cases = generatedCases(600);
    const corpus: Corpus = {
      hypotheses: cases.map((c) => c.hypothesis),
      references: cases.map((c) => c.references),
    };
    const expected = reference({ sentence: cases, corpus: [corpus] });
    let worst = 0;
    cases.forEach((c, index) => {
      const want = expected.sentence[index]!;
      const what = `case ${index} ${JSON.stringify(c)}`;
      worst = Math.max(worst, expectBleu(sentenceBleu(c.hypothesis, c.references), want.bleu, what));
      worst = Math.max(
        worst,
        expectClose(sentenceChrf(c.hypothesis, c.references).score, want.chrf, `${what} chrF`),
      );
      worst = Math.max(
        worst,
        expectClose(
          sentenceChrf(c.hypothesis, c.references, { wordOrder: 2 }).score,
          want.chrfpp,
          `${what} chrF++`,
        ),
      );
      BLEU_VARIANTS.forEach(([python, options], variant) => {
        const actual = sentenceBleu(c.hypothesis, c.references, options).score;
        worst = Math.max(
          worst,
          expectClose(actual, want.bleu_variants[variant]!, `${what} BLEU ${JSON.stringify(python)}`),
        );
      });
      CHRF_VARIANTS.forEach(([python, options], variant) => {
        const actual = sentenceChrf(c.hypothesis, c.references, options).score;
        worst = Math.max(
          worst,
          expectClose(actual, want.chrf_variants[variant]!, `${what} chrF ${JSON.stringify(python)}`),
        );
      });
    });
    const whole = expected.corpus[0]!;
    worst = Math.max(
      worst,
      expectBleu(corpusBleu(corpus.hypotheses, corpus.references), whole.bleu, 'corpus'),
    );
    worst = Math.max(
      worst,
      expectClose(corpusChrf(corpus.hypotheses, corpus.references).score, whole.chrf, 'corpus chrF'),
    );
    worst = Math.max(
      worst,
      expectClose(
        corpusChrf(corpus.hypotheses, corpus.references, { wordOrder: 2 }).score,
        whole.chrfpp,
        'corpus chrF++',
      ),
    );
    console.log(
      `translation parity, generated cases: ${cases.length} cases, largest relative difference ${worst}`,
    );
  });

  const missing = wmt21Missing();
  it.skipIf(missing !== undefined)(
    `on the WMT21 en→de systems, corpus and every segment: 8 systems against ref A, 2 against refs A+C+D${missing !== undefined ? ` (${missing})` : ''}`,
    () => {
      const references = WMT21_REFERENCES.map((name) => wmt21Reference(name));
      const systems = WMT21_SYSTEMS.map(({ file }) => ({ file, hypotheses: wmt21System(file) }));
      // Multi-reference chrF is the slow part in sacrebleu (every hypothesis n-gram per reference):
      // two systems with three references, all eight with one.
      const testSets = [
        { label: 'ref A', references: references[0]!.map((line) => [line]), systems },
        {
          label: 'refs A+C+D',
          references: references[0]!.map((_, index) => references.map((set) => set[index]!)),
          systems: systems.filter(({ file }) => file === 'Facebook-AI' || file === 'eTranslation'),
        },
      ];
      const expected = reference(
        {
          test_sets: testSets.map((set) => ({
            references: set.references,
            systems: set.systems.map((system) => system.hypotheses),
          })),
        },
        false,
      );
      let worst = 0;
      let segments = 0;
      testSets.forEach((set, setIndex) => {
        set.systems.forEach(({ file, hypotheses }, systemIndex) => {
          const want = expected.test_sets[setIndex]![systemIndex]!;
          const what = `${file} against ${set.label}`;
          const corpus = want.corpus;
          worst = Math.max(worst, expectBleu(corpusBleu(hypotheses, set.references), corpus.bleu, what));
          worst = Math.max(
            worst,
            expectClose(corpusChrf(hypotheses, set.references).score, corpus.chrf, `${what} chrF`),
          );
          worst = Math.max(
            worst,
            expectClose(
              corpusChrf(hypotheses, set.references, { wordOrder: 2 }).score,
              corpus.chrfpp,
              `${what} chrF++`,
            ),
          );
          hypotheses.forEach((hypothesis, index) => {
            const refs = set.references[index]!;
            const at = `${what}, segment ${index + 1}`;
            worst = Math.max(
              worst,
              expectClose(sentenceBleu(hypothesis, refs).score, want.segments.bleu[index]!, `${at} BLEU`),
            );
            worst = Math.max(
              worst,
              expectClose(sentenceChrf(hypothesis, refs).score, want.segments.chrf[index]!, `${at} chrF`),
            );
            worst = Math.max(
              worst,
              expectClose(
                sentenceChrf(hypothesis, refs, { wordOrder: 2 }).score,
                want.segments.chrfpp[index]!,
                `${at} chrF++`,
              ),
            );
            segments += 1;
          });
        });
      });
      console.log(
        `translation parity, WMT21: ${segments} system segments, corpus and sentence BLEU/chrF/chrF++, largest relative difference ${worst}`,
      );
    },
    180_000,
  );
});
