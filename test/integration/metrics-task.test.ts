import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { bleu, chrf, codeExecution, evaluate, ifeval, rouge } from '../../src/index.js';
import { requirePythonEnv } from '../../src/setup/python-env.js';
import { repoRoot, tempDir } from '../helpers/cli.js';
import { testHome } from './servers/mlflow.js';

// The task metrics land in MLflow as every scorer does: one assessment per feedback on each row's
// trace, and their means as run metrics — read back with the Python `mlflow` package, as a user would.

const uri = inject('mlflowUri');
const run = promisify(execFile);

const good = 'def add(a, b):\n    return a + b\n';
const bad = 'def add(a, b):\n    return a - b\n';
const test = 'def check(candidate):\n    assert candidate(2, 3) == 5\n';
const rows = [
  { id: 'right', outputs: good },
  { id: 'wrong', outputs: bad },
].map(({ id, outputs }) => ({
  id,
  inputs: { task: 'write add(a, b)' },
  outputs,
  expectations: {
    expected_response: good,
    test,
    entry_point: 'add',
    instruction_id_list: ['keywords:existence'],
    kwargs: [{ keywords: ['return'] }],
  },
}));

describe('task metrics into MLflow', () => {
  it('writes BLEU, chrF, ROUGE, code execution and IFEval feedbacks as assessments and their means as metrics', async () => {
    const result = await evaluate({
      data: rows,
      scorers: [bleu(), chrf(), rouge({ rouge_types: ['rouge1', 'rougeL'] }), codeExecution(), ifeval()],
      mlflow: { trackingUri: uri },
      experiment: `task-metrics-${randomUUID().slice(0, 8)}`,
      outDir: path.join(await tempDir('task-metrics'), 'out'),
      env: {},
    });
    const runId = result.mlflow?.run_id ?? '';
    expect(runId).not.toBe('');

    const python = await requirePythonEnv(testHome(), 'mlflow');
    const { stdout } = await run(
      python,
      [path.join(repoRoot, 'test/python/read_run_results.py'), uri, runId],
      {
        env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const read = JSON.parse(stdout) as {
      status: string;
      metrics: Record<string, number>;
      traces: Array<{ request_id: string; assessments: string[] }>;
    };
    expect(read.status).toBe('FINISHED');
    // The identical row scores 100 and the other less; exactly one row's code passes its test.
    expect(read.metrics['bleu/mean']).toBeGreaterThan(50);
    expect(read.metrics['bleu/mean']).toBeLessThan(100);
    expect(read.metrics['chrf/mean']).toBeGreaterThan(50);
    expect(read.metrics['rouge/rouge1/mean']).toBeGreaterThan(0.5);
    expect(read.metrics['code_execution/mean']).toBe(0.5);
    // Both outputs contain the keyword: the instruction is followed on both rows.
    expect(read.metrics['ifeval/mean']).toBe(1);
    expect(read.traces.map((t) => t.request_id).sort()).toEqual(['right', 'wrong']);
    for (const trace of read.traces) {
      expect(trace.assessments).toEqual(
        expect.arrayContaining([
          'bleu',
          'chrf',
          'rouge/rouge1',
          'rouge/rougeL',
          'code_execution',
          'ifeval',
          'ifeval/prompt_loose',
        ]),
      );
    }
  });
});
