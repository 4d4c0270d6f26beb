import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchTableRows, formatBenchTable } from '../../src/app/bench/format.js';
import { benchMetricName, splitResultKey, taskMetrics } from '../../src/app/bench/metric-names.js';
import { BENCH_DEFAULTS, type BenchRequest } from '../../src/app/bench/options.js';
import { lmEvalResultsSchema } from '../../src/app/bench/protocol.js';
import { benchDigest, recordBench } from '../../src/app/bench/record-run.js';
import { buildTaskRecords, parseSamplesJsonl, requestArguments } from '../../src/app/bench/records.js';
import { compareRuns } from '../../src/app/compare/index.js';
import { DatasetError } from '../../src/core/errors.js';
import { repoRoot, tempDir } from '../helpers/cli.js';

// test/fixtures/bench holds genuine lm-eval 0.4.13 output (its generate.py made it with lm-eval's own
// evaluator and writer): a multiple-choice task (acc, acc_norm) and a generation task with two
// filters (strict-match, flexible-extract) and a corpus metric (bleu, whose per-sample values are pairs).
const fixtures = path.join(repoRoot, 'test/fixtures/bench');
const results = lmEvalResultsSchema.parse(
  JSON.parse(readFileSync(path.join(fixtures, 'results.json'), 'utf8')),
);
const samples = (task: string) => {
  const file = path.join(fixtures, `samples_${task}.jsonl`);
  return parseSamplesJsonl(readFileSync(file, 'utf8'), file);
};

describe('lm-eval metric names → MLflow names', () => {
  it('splits `<metric>,<filter>` and drops the filter none', () => {
    expect(splitResultKey('acc,none')).toEqual({ metric: 'acc', filter: 'none' });
    expect(splitResultKey('exact_match,strict-match')).toEqual({
      metric: 'exact_match',
      filter: 'strict-match',
    });
    expect(splitResultKey('alias')).toBeUndefined();
    expect(benchMetricName('arc_easy', 'acc', 'none')).toBe('arc_easy/acc');
    expect(benchMetricName('gsm8k', 'exact_match', 'flexible-extract')).toBe(
      'gsm8k/exact_match/flexible-extract',
    );
    // characters MLflow refuses in a key become _
    expect(benchMetricName('t', 'f1', 'a,b|c')).toBe('t/f1/a_b_c');
  });

  it("takes every number of lm-eval's results, stderr as <metric>_stderr, and skips N/A", () => {
    const metrics = taskMetrics(results.results);
    const byName = Object.fromEntries(metrics.map((m) => [m.name, m.value]));
    expect(byName['fx_mc/acc']).toBeCloseTo(1 / 3, 12);
    expect(byName['fx_mc/acc_stderr']).toBeCloseTo(0.210818510677892, 12);
    expect(byName['fx_mc/acc_norm']).toBeCloseTo(1 / 3, 12);
    expect(byName['fx_gen/exact_match/flexible-extract']).toBe(0.75);
    expect(byName['fx_gen/exact_match_stderr/flexible-extract']).toBe(0.25);
    expect(byName['fx_gen/bleu/strict-match']).toBeGreaterThan(0);
    for (const name of Object.keys(byName)) expect(name).not.toContain(',');
    expect(Object.keys(byName)).not.toContain('fx_mc/sample_len');
    const na = taskMetrics({ t: { 'acc,none': 0.5, 'acc_stderr,none': 'N/A', alias: 't' } });
    expect(na.map((m) => m.name)).toEqual(['t/acc']);
  });

  it('prints one table row per metric with its stderr and n', () => {
    const rows = benchTableRows(results);
    expect(rows).toContainEqual({
      task: 'fx_mc',
      metric: 'acc',
      filter: 'none',
      value: 1 / 3,
      stderr: 0.210818510677892,
      n: 6,
    });
    const table = formatBenchTable(rows);
    expect(table.split('\n')[0]).toMatch(/^task\s+metric\s+filter\s+value\s+± stderr\s+n$/);
    expect(table).toContain('0.3333');
    expect(table).toContain('flexible-extract');
  });
});

describe('records from lm-eval samples', () => {
  it('reads both argument layouts (lists in memory, gen_args_i once written)', () => {
    const [first] = samples('fx_mc');
    expect(requestArguments(first as never)[1]).toEqual([expect.stringContaining('Question:'), ' blue']);
    expect(requestArguments({ ...(first as object), arguments: [['ctx', ' x']] } as never)).toEqual([
      ['ctx', ' x'],
    ]);
  });

  it('multiple choice: prompt, choices, the chosen choice and per-choice loglikelihoods, target as text', () => {
    const built = buildTaskRecords({
      task: 'fx_mc',
      outputType: 'multiple_choice',
      samples: samples('fx_mc'),
    });
    expect(built.records).toHaveLength(6);
    const first = built.records[0];
    expect(first?.id).toBe('fx_mc/0');
    expect(first?.inputs).toEqual({
      task: 'fx_mc',
      doc_id: 0,
      prompt:
        'Question: What is frozen water called?\nAnswer: ice\n\nQuestion: What color is the sky on a clear day?\nAnswer:',
      choices: ['green', 'blue', 'red'],
    });
    // loglikelihoods -9.26, -5.7, -5.88: "blue" wins
    expect(first?.outputs).toEqual({ response: 'blue', loglikelihoods: [-9.26, -5.7, -5.88] });
    expect(first?.expectations).toEqual({ expected_response: 'blue' });
    expect(built.feedbacks.get('fx_mc/0')).toEqual([
      { name: 'fx_mc/acc', value: 1, source: { type: 'CODE', id: 'lm_eval' } },
      { name: 'fx_mc/acc_norm', value: 1, source: { type: 'CODE', id: 'lm_eval' } },
    ]);
    expect(built.feedbackNames).toEqual(['fx_mc/acc', 'fx_mc/acc_norm']);
    // the per-sample values average to lm-eval's task metric
    const accs = [...built.feedbacks.values()].map(
      (f) => f.find((x) => x.name === 'fx_mc/acc')?.value as number,
    );
    expect(accs.reduce((a, b) => a + b, 0) / accs.length).toBeCloseTo(
      results.results.fx_mc?.['acc,none'] as number,
      12,
    );
  });

  it('generation with two filters: one record per document, one feedback per (metric, filter), corpus metrics skipped with a note', () => {
    const built = buildTaskRecords({
      task: 'fx_gen',
      outputType: 'generate_until',
      samples: samples('fx_gen'),
    });
    expect(built.records.map((r) => r.id)).toEqual(['fx_gen/0', 'fx_gen/1', 'fx_gen/2', 'fx_gen/3']);
    const second = built.records[1];
    expect(second?.outputs).toEqual({
      response: ' The answer is 3',
      filtered_responses: { 'strict-match': ' The answer is 3', 'flexible-extract': '3' },
      raw_response: ' The answer is 3',
    });
    expect(second?.expectations).toEqual({ expected_response: '3' });
    expect(built.feedbacks.get('fx_gen/1')?.map((f) => [f.name, f.value])).toEqual([
      ['fx_gen/exact_match/strict-match', 0],
      ['fx_gen/exact_match/flexible-extract', 1],
    ]);
    expect(built.notes).toEqual([
      expect.stringMatching(/^fx_gen\/bleu\/strict-match: per-sample values are lists/),
      expect.stringMatching(/^fx_gen\/bleu\/flexible-extract: per-sample values are lists/),
    ]);
  });

  it('a chat prompt (lm-eval wraps the messages JSON in a one-element tuple) is the messages text', () => {
    const [first] = samples('fx_gen');
    const messages = '[{"role": "user", "content": "Q: What is 2 + 3?"}]';
    const chat = { ...(first as object), arguments: { gen_args_0: { arg_0: [messages], arg_1: {} } } };
    const built = buildTaskRecords({
      task: 'fx_gen',
      outputType: 'generate_until',
      samples: [chat as never],
    });
    expect(built.records[0]?.inputs.prompt).toBe(messages);
  });

  it("reads Python's bare NaN as null (no feedback) and names file and line of a line that is no sample", () => {
    const line = readFileSync(path.join(fixtures, 'samples_fx_mc.jsonl'), 'utf8').split('\n')[0] as string;
    const nan = line.replace('"acc": 1.0', '"acc": NaN');
    const parsed = parseSamplesJsonl(`${nan}\n`, 'x.jsonl');
    const built = buildTaskRecords({ task: 'fx_mc', outputType: 'multiple_choice', samples: parsed });
    expect(built.feedbacks.get('fx_mc/0')?.map((f) => f.name)).toEqual(['fx_mc/acc_norm']);
    expect(() => parseSamplesJsonl(`${line}\n{"doc_id": 1}\n`, 'bad.jsonl')).toThrow(DatasetError);
    expect(() => parseSamplesJsonl(`${line}\n{"doc_id": 1}\n`, 'bad.jsonl')).toThrow(/bad\.jsonl:line 2/);
  });
});

function request(overrides: Partial<BenchRequest> = {}): BenchRequest {
  return {
    tasks: ['fx_mc', 'fx_gen'],
    endpoint: { kind: 'remote', baseUrl: 'http://127.0.0.1:1/v1' },
    api: 'completions',
    seed: 0,
    batchSize: 1,
    concurrency: 2,
    includePaths: [],
    executor: 'local',
    addBosToken: false,
    workers: 2,
    experiment: 'x',
    mlflow: false,
    applyChatTemplate: false,
    bootstrapIters: 1000,
    maxRetries: BENCH_DEFAULTS.maxRetries,
    timeoutS: BENCH_DEFAULTS.timeoutS,
    ...overrides,
  };
}

async function recordFixture(outDir: string) {
  return recordBench({
    request: request(),
    results,
    resultsFile: path.join(fixtures, 'results.json'),
    samplesFiles: {
      fx_mc: path.join(fixtures, 'samples_fx_mc.jsonl'),
      fx_gen: path.join(fixtures, 'samples_fx_gen.jsonl'),
    },
    tasks: [
      { name: 'fx_mc', outputType: 'multiple_choice', digest: 'aaa' },
      { name: 'fx_gen', outputType: 'generate_until', digest: 'bbb' },
    ],
    model: 'fake',
    baseUrl: 'http://127.0.0.1:1/v1',
    shards: 2,
    lmEvalVersion: '0.4.13',
    outDir,
    env: {},
    log: () => undefined,
  });
}

describe('recordBench (files only)', () => {
  it('writes one row per document through evaluateWith, task metrics in summary.json, lm-eval files beside', async () => {
    const dir = await tempDir('bench-record');
    const out = path.join(dir, 'run');
    const recorded = await recordFixture(out);
    const rows = (await readFile(path.join(out, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; feedbacks: Array<{ name: string; value: unknown }> });
    expect(rows.map((r) => r.id).sort()).toEqual(
      [
        'fx_gen/0',
        'fx_gen/1',
        'fx_gen/2',
        'fx_gen/3',
        ...Array.from({ length: 6 }, (_, i) => `fx_mc/${i}`),
      ].sort(),
    );
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.rows).toBe(10);
    expect(summary.metrics['fx_mc/acc']).toBeCloseTo(1 / 3, 12);
    expect(summary.metrics['fx_mc/acc_stderr']).toBeCloseTo(0.210818510677892, 12);
    expect(summary.metrics['fx_mc/acc/mean']).toBeCloseTo(1 / 3, 12);
    expect(summary.metrics['fx_gen/exact_match/flexible-extract/mean']).toBe(0.75);
    expect(summary.dataset).toEqual({
      name: 'bench:fx_mc,fx_gen',
      digest: benchDigest([
        { name: 'fx_gen', digest: 'bbb' },
        { name: 'fx_mc', digest: 'aaa' },
      ]),
      rows: 10,
    });
    expect(recorded.lmEvalDir).toBe(path.join(out, 'lm_eval'));
    expect(JSON.parse(await readFile(path.join(out, 'lm_eval/results.json'), 'utf8')).lm_eval_version).toBe(
      '0.4.13',
    );
    expect(await readFile(path.join(out, 'lm_eval/configs/fx_gen.yaml'), 'utf8')).toContain(
      'output_type: generate_until',
    );
    expect(await readFile(path.join(out, 'lm_eval/samples_fx_mc.jsonl'), 'utf8')).toContain('"doc_id": 5');
  });

  it('two bench runs compare: rows pair by <task>/<doc_id>, the per-sample metrics are the compared metrics', async () => {
    const dir = await tempDir('bench-compare');
    await recordFixture(path.join(dir, 'a'));
    await recordFixture(path.join(dir, 'b'));
    const comparison = await compareRuns({
      a: path.join(dir, 'a'),
      b: path.join(dir, 'b'),
      cwd: dir,
      env: {},
    });
    expect(comparison.rows).toHaveLength(10);
    const names = comparison.metrics.map((m) => m.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'fx_mc/acc',
        'fx_mc/acc_norm',
        'fx_gen/exact_match/strict-match',
        'fx_gen/exact_match/flexible-extract',
      ]),
    );
    const acc = comparison.metrics.find((m) => m.name === 'fx_mc/acc');
    expect(acc?.a.mean).toBeCloseTo(1 / 3, 12);
    expect(acc?.diff).toBe(0);
    expect(comparison.dataset_override).toBe(false);
  });
});
