import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, evaluate, exactMatch, levenshtein, scorer } from '../../src/index.js';
import { tempDir } from '../helpers/cli.js';

describe('evaluate() (library)', () => {
  it('runs a predict function and scorers over records and returns metrics and where results are', async () => {
    const out = path.join(await tempDir('evaluate'), 'out');
    const seen: string[] = [];
    const result = await evaluate({
      data: [
        { inputs: { question: 'capital of France?' }, expectations: { expected_response: 'Paris' } },
        { inputs: { question: 'capital of Italy?' }, expectations: { expected_response: 'Rome' } },
        { inputs: { question: 'capital of Spain?' }, expectations: { expected_response: 'Madrid' } },
        {
          id: 'recorded',
          inputs: { question: 'ignored' },
          outputs: 'Paris',
          expectations: { expected_response: 'Paris' },
        },
      ],
      predictFn: async ({ question }, context) => {
        seen.push(String(question));
        const span = context.startSpan({ name: 'lookup', spanType: 'RETRIEVER', inputs: { question } });
        span.end({ outputs: ['doc'] });
        return String(question).includes('France')
          ? 'Paris'
          : String(question).includes('Italy')
            ? 'Rome'
            : 'Barcelona';
      },
      scorers: [
        exactMatch(),
        levenshtein({ name: 'similarity', aggregations: ['mean', 'min'] }),
        scorer(({ outputs }) => String(outputs).length, { name: 'answer_length', aggregations: ['max'] }),
        'json_valid',
      ],
      outDir: out,
      env: {},
    });
    expect(seen.sort()).toEqual(['capital of France?', 'capital of Italy?', 'capital of Spain?']);
    expect(result.metrics['exact_match/mean']).toBeCloseTo(0.75, 12);
    expect(result.metrics['answer_length/max']).toBe(9);
    expect(result.metrics['similarity/min']).toBeLessThan(1);
    expect(result.metrics['json_valid/mean']).toBe(0);
    expect(result.summary.rows).toBe(4);
    expect(result.mlflow).toBeUndefined();
    const lines = (await readFile(result.resultsPath, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    const predicted = lines.find((l) => l.inputs.question === 'capital of Spain?');
    expect(predicted.trace.spans.map((s: { name: string }) => s.name).sort()).toEqual(['lookup', 'predict']);
    expect(JSON.parse(await readFile(result.summaryPath, 'utf8')).metrics).toEqual(result.metrics);
  });

  it('refuses rows without outputs when no predict function is given', async () => {
    await expect(
      evaluate({
        data: [{ inputs: { q: 'x' } }],
        scorers: [exactMatch()],
        outDir: path.join(await tempDir('e2'), 'o'),
        env: {},
      }),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});
