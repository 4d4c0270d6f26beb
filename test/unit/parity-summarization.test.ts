import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { porterStem } from '../../src/scorers/summarization/porter-stemmer.js';
import { createRougeScorer, type RougeType } from '../../src/scorers/summarization/rouge-score.js';
import { runParity } from '../helpers/parity.js';
import { sharedData } from '../helpers/shared-data.js';
import {
  type RougeCase,
  random,
  randomText,
  rougeCases,
  stemmerWords,
} from '../parity/summarization/cases.js';

// ROUGE and the Porter stemmer against Google's rouge-score 0.1.2 and NLTK 3.10.4, computed in this
// run (python/requirements/parity/summarization.txt). Equality is exact: the same float operations in
// the same order give the same doubles.

const SCRIPT = 'test/parity/summarization/rouge_reference.py';
const TYPES: RougeType[] = ['rouge1', 'rouge2', 'rouge3', 'rougeL', 'rougeLsum'];
const IFEVAL_RESPONSES = 'input_response_data_gpt4_20231107_145030.jsonl';
const ifevalData = sharedData('ifeval', IFEVAL_RESPONSES);
const IFEVAL = path.join(ifevalData.dir, IFEVAL_RESPONSES);

interface Reference {
  scores: Array<Record<string, [number, number, number]>>;
  tokens: string[][];
  versions: Record<string, string>;
}

function compare(cases: RougeCase[], useStemmer: boolean): { mismatches: string[]; reference: Reference } {
  const reference = runParity<Reference>(
    SCRIPT,
    [],
    JSON.stringify({ cases, rouge_types: TYPES, use_stemmer: useStemmer }),
  );
  const scorer = createRougeScorer({ rougeTypes: TYPES, useStemmer });
  const mismatches: string[] = [];
  cases.forEach((testCase, i) => {
    const ours =
      testCase.references.length === 1
        ? scorer.score(testCase.references[0]!, testCase.prediction)
        : scorer.scoreMulti(testCase.references, testCase.prediction);
    const tokens = scorer.tokenize(testCase.prediction);
    if (JSON.stringify(tokens) !== JSON.stringify(reference.tokens[i])) {
      mismatches.push(
        `case ${i} tokens: ${JSON.stringify(tokens)} vs ${JSON.stringify(reference.tokens[i])}`,
      );
    }
    for (const type of TYPES) {
      const expected = reference.scores[i]![type]!;
      const got = [ours[type].precision, ours[type].recall, ours[type].fmeasure];
      if (got.some((value, k) => value !== expected[k])) {
        mismatches.push(
          `case ${i} ${type}: ${got.join(',')} vs ${expected.join(',')} in ${JSON.stringify(testCase)}`,
        );
      }
    }
  });
  return { mismatches, reference };
}

describe('Porter stemmer parity with NLTK PorterStemmer() (the stemmer rouge-score uses)', () => {
  it('stems every word of the generated texts and of a suffix-rule word list like NLTK', () => {
    const next = random(7);
    const textWords = Array.from({ length: 300 }, () => randomText(next, 40)).flatMap((text) =>
      text.split(/[^A-Za-z0-9]+/).filter((word) => word !== ''),
    );
    const words = [
      ...new Set([...textWords, ...textWords.map((w) => w.toLowerCase()), ...stemmerWords(11, 4000)]),
    ];
    expect(words.length).toBeGreaterThan(9000);
    const reference = runParity<{ stems: string[]; versions: Record<string, string> }>(
      SCRIPT,
      [],
      JSON.stringify({ stem: words }),
    );
    expect(reference.versions.nltk).toBe('3.10.4');
    const mismatches = words.flatMap((word, i) =>
      porterStem(word) === reference.stems[i]
        ? []
        : [`${word}: ${porterStem(word)} vs ${reference.stems[i]}`],
    );
    expect(mismatches.slice(0, 20)).toEqual([]);
  });

  it.skipIf(ifevalData.missing !== undefined)(
    'stems every word of the IFEval GPT-4 responses like NLTK (shared/data)',
    () => {
      const words = new Set<string>();
      for (const line of readFileSync(IFEVAL, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const { response } = JSON.parse(line) as { response: string };
        for (const word of response.toLowerCase().split(/[^a-z0-9]+/)) if (word !== '') words.add(word);
      }
      const list = [...words];
      expect(list.length).toBeGreaterThan(5000);
      const reference = runParity<{ stems: string[] }>(SCRIPT, [], JSON.stringify({ stem: list }));
      const mismatches = list.flatMap((word, i) =>
        porterStem(word) === reference.stems[i]
          ? []
          : [`${word}: ${porterStem(word)} vs ${reference.stems[i]}`],
      );
      expect(mismatches.slice(0, 20)).toEqual([]);
    },
  );
});

describe('ROUGE parity with rouge-score 0.1.2', () => {
  const cases = rougeCases(2024, 400);

  it.each([false, true])(
    'rouge1/2/3/L/Lsum P, R, F equal rouge-score exactly (use_stemmer=%s)',
    (useStemmer) => {
      const { mismatches, reference } = compare(cases, useStemmer);
      expect(reference.versions['rouge-score']).toBe('0.1.2');
      expect(mismatches.slice(0, 10)).toEqual([]);
      // The generated cases reach the interesting ranges: zero, partial and full overlap, several references.
      const f1 = reference.scores.map((s) => s.rouge1![2]);
      expect(f1.filter((f) => f === 0).length).toBeGreaterThan(3);
      expect(f1.filter((f) => f === 1).length).toBeGreaterThan(1);
      expect(f1.filter((f) => f > 0 && f < 1).length).toBeGreaterThan(200);
      expect(cases.filter((c) => c.references.length > 1).length).toBeGreaterThan(100);
    },
  );

  it.skipIf(ifevalData.missing !== undefined)(
    'equals rouge-score on real multi-paragraph text: IFEval prompts vs GPT-4 responses (shared/data)',
    () => {
      const cases: RougeCase[] = readFileSync(IFEVAL, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .slice(0, 120)
        .map((line) => JSON.parse(line) as { prompt: string; response: string })
        .map(({ prompt, response }) => ({
          references: [response.slice(0, 1500)],
          // A "summary": every other line of the response, after the prompt's first sentence.
          prediction: `${prompt.split('.')[0]}\n${response
            .slice(0, 1500)
            .split('\n')
            .filter((_, i) => i % 2 === 0)
            .join('\n')}`,
        }));
      for (const useStemmer of [false, true]) {
        expect(compare(cases, useStemmer).mismatches.slice(0, 10)).toEqual([]);
      }
    },
  );
});
