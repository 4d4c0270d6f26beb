import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/commands/run.js';
import { captureIo, noMlflowRun, tempDir } from '../helpers/cli.js';

// code_execution and pass_at_k from an eval file, end to end through the CLI (--no-mlflow): HumanEval-
// style rows (prompt + completion, tests defining check, an entry point) with recorded outputs.

const rows = [
  {
    id: 'square',
    inputs: { prompt: 'def square(x):\n' },
    outputs: {
      code: '    return x * x\n',
      samples: ['    return x * x\n', '    return x + x\n', '    return x ** 2\n'],
    },
    expectations: { test: 'def check(f):\n    assert f(3) == 9', entry_point: 'square' },
  },
  {
    id: 'negate',
    inputs: { prompt: 'def negate(x):\n' },
    outputs: { code: '    return x\n', samples: ['    return x\n', '    return -x\n', '    return 0 - x\n'] },
    expectations: { test: 'def check(f):\n    assert f(2) == -2', entry_point: 'negate' },
  },
];

describe('code metrics from an eval file', () => {
  it('runs code_execution and pass_at_k and reports their run metrics', async () => {
    const dir = await tempDir('code-metrics');
    await writeFile(path.join(dir, 'rows.jsonl'), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    await writeFile(
      path.join(dir, 'eval.yaml'),
      [
        'dataset: {path: rows.jsonl}',
        'scorers:',
        '  - {type: code_execution, prompt_key: prompt, output_key: code, timeout_s: 5, max_parallel: 2}',
        '  - {type: pass_at_k, prompt_key: prompt, output_key: samples, k: [1, 2], timeout_s: 5, max_parallel: 2}',
        '',
      ].join('\n'),
    );
    const out = path.join(dir, 'out');
    const { io, stderr } = captureIo();
    const code = await runCommand(path.join(dir, 'eval.yaml'), { ...noMlflowRun, out }, io);
    expect(code, stderr()).toBe(0);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
      metrics: Record<string, number>;
    };
    expect(summary.metrics['code_execution/mean']).toBe(0.5);
    // square: 2 of 3 pass, negate: 2 of 3 pass.
    expect(summary.metrics['pass_at_k/pass_at_1/mean']).toBeCloseTo(2 / 3, 12);
    expect(summary.metrics['pass_at_k/pass_at_2/mean']).toBeCloseTo(1, 12);
    const results = (await readFile(path.join(out, 'results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; feedbacks?: unknown; assessments?: unknown });
    expect(JSON.stringify(results.find((r) => r.id === 'negate'))).toContain('AssertionError');
  });
});
