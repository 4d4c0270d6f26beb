// The summarization metrics from an eval file, end to end through `judgeflow run --no-mlflow`.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/commands/run.js';
import { captureIo, noMlflowRun, tempDir } from '../helpers/cli.js';
import { runParity } from '../helpers/parity.js';

const options = noMlflowRun;

const rows = [
  {
    inputs: { text: 'The council approved the new park on Monday. Work starts in May.' },
    outputs: 'The council approved a new park.\nWork starts in May.',
    expectations: { expected_response: 'Council approves new park.\nConstruction begins in May.' },
  },
  {
    inputs: { text: 'Shares of the company fell 5% after earnings missed estimates.' },
    outputs: 'Company shares fell after missing earnings estimates.',
    expectations: {
      expected_response: [
        'Shares dropped 5% on an earnings miss.',
        'Company shares fell 5% after weak earnings.',
      ],
    },
  },
];

describe('rouge from an eval file', () => {
  it('runs two rouge entries (plain and stemmed) and writes per-type feedbacks and run metrics equal to rouge-score', async () => {
    const dir = await tempDir('rouge');
    await writeFile(path.join(dir, 'data.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
    await writeFile(
      path.join(dir, 'eval.yaml'),
      [
        'experiment: summarization',
        'dataset: { path: data.jsonl }',
        'scorers:',
        '  - rouge',
        '  - { type: rouge, name: rouge_stemmed, use_stemmer: true, rouge_types: [rouge1, rougeLsum] }',
      ].join('\n'),
    );
    const out = path.join(dir, 'out');
    const { io, stderr } = captureIo();
    // A quality gate on one ROUGE type (the eval file's fail_under keys cannot hold a '/' in the name).
    const gates = ['rouge_stemmed/rouge1/mean=0.1'];
    expect(
      await runCommand(path.join(dir, 'eval.yaml'), { ...options, out, failUnder: gates }, io),
      stderr(),
    ).toBe(0);
    const failing = captureIo();
    const strict = { ...options, out: `${out}-strict`, failUnder: ['rouge/rouge2/mean=0.99'] };
    expect(await runCommand(path.join(dir, 'eval.yaml'), strict, failing.io)).not.toBe(0);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
      metrics: Record<string, number>;
    };
    const reference = runParity<{ scores: Array<Record<string, [number, number, number]>> }>(
      'test/parity/summarization/rouge_reference.py',
      [],
      JSON.stringify({
        cases: rows.map((r) => ({
          references: [r.expectations.expected_response].flat(),
          prediction: r.outputs,
        })),
        rouge_types: ['rouge1', 'rougeLsum'],
        use_stemmer: true,
      }),
    );
    for (const type of ['rouge1', 'rougeLsum']) {
      const mean = (reference.scores[0]![type]![2] + reference.scores[1]![type]![2]) / 2;
      expect(summary.metrics[`rouge_stemmed/${type}/mean`]).toBeCloseTo(mean, 12);
    }
    expect(
      Object.keys(summary.metrics)
        .filter((k) => k.startsWith('rouge/'))
        .sort(),
    ).toEqual(['rouge/rouge1/mean', 'rouge/rouge2/mean', 'rouge/rougeL/mean', 'rouge/rougeLsum/mean']);
    const results = (await readFile(path.join(out, 'results.jsonl'), 'utf8')).trim().split('\n');
    const second = JSON.parse(results[1]!) as {
      feedbacks: Array<{ name: string; metadata?: Record<string, string> }>;
    };
    expect(
      second.feedbacks.find((f) => f.name === 'rouge_stemmed/rouge1')?.metadata?.reference_index,
    ).toMatch(/^[01]$/);
  });
});
