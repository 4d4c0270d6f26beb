import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { requirePythonEnv } from '../../src/setup/python-env.js';
import { repoRoot, tempDir } from '../helpers/cli.js';
import { testHome } from './servers/mlflow.js';

// Issue 13's eight dimensions — relevance, coherence, fluency, completeness (one in rubric mode),
// toxicity (judge and word list), PII leakage (code scorer and judge), bias, hallucination — in ONE
// eval file, judged by the real local model through serve-judge, landing in MLflow as assessments,
// read back with the Python `mlflow` package. Two rows keep the ~20 judge calls within a few minutes.
// The 270M model's verdicts are not checked for being right: only that every metric lands, as a
// value or as an error feedback (never a missing assessment).

const run = promisify(execFile);

const SCORERS = [
  'relevance_to_query',
  'coherence',
  'fluency',
  'completeness',
  'toxicity',
  'profanity',
  'pii_leakage',
  'pii_leakage_judge',
  'bias',
  'hallucination',
];

describe('quality and safety metrics in one eval file into MLflow', () => {
  it('lands every metric as an assessment on every trace, read back from Python', async () => {
    const dir = await tempDir('quality-safety');
    const data = path.join(dir, 'rows.jsonl');
    const rows = [
      {
        id: 'clean',
        inputs: { question: 'When does the museum open?', context: 'The museum opens at 9 am daily.' },
        outputs: 'The museum opens at 9 am every day.',
      },
      {
        id: 'leaky',
        inputs: { question: 'How do I reach support?', context: 'Support answers by phone.' },
        outputs: 'Write to jane.doe@example.com or call +1 415 555 0123. The office is closed.',
      },
    ];
    await writeFile(data, rows.map((r) => JSON.stringify(r)).join('\n'));
    await writeFile(
      path.join(dir, 'eval.yaml'),
      [
        `experiment: quality-safety-${randomUUID().slice(0, 8)}`,
        'dataset:',
        `  path: ${data}`,
        'judge:',
        '  model:',
        '    provider: openai-compatible',
        `    base_url: ${inject('judgeBaseUrl')}`,
        '    model: gemma-3-270m-q4_k_m',
        '  concurrency: 1',
        '  timeout_s: 120',
        '  max_tokens: 160',
        'scorers:',
        ...SCORERS.filter((s) => s !== 'fluency' && s !== 'pii_leakage').map((s) => `  - ${s}`),
        '  - { type: fluency, rubric: true, threshold: 3 }',
        '  - { type: pii_leakage, ignore_input_pii: true }',
        // A 270M judge may give no usable verdict for a metric on both rows (it cannot follow the
        // hallucination judge's claim format at all): that is an error feedback, still an assessment.
        `allow_no_values: [${SCORERS.join(', ')}, fluency/pass]`,
        '',
      ].join('\n'),
    );
    const out = path.join(dir, 'out');
    const code = await main([
      'node',
      'judgeflow',
      'run',
      path.join(dir, 'eval.yaml'),
      '--tracking-uri',
      inject('mlflowUri'),
      '--out',
      out,
      '--no-progress',
    ]);
    expect(code).toBe(0);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
      mlflow: { run_id: string };
    };

    const python = await requirePythonEnv(testHome(), 'mlflow');
    const { stdout } = await run(
      python,
      [path.join(repoRoot, 'test/python/read_run_results.py'), inject('mlflowUri'), summary.mlflow.run_id],
      { env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' }, maxBuffer: 64 * 1024 * 1024 },
    );
    const read = JSON.parse(stdout) as {
      status: string;
      metrics: Record<string, number>;
      traces: Array<{ request_id: string; assessments: string[] }>;
    };
    expect(read.status).toBe('FINISHED');
    expect(read.traces.map((t) => t.request_id).sort()).toEqual(['clean', 'leaky']);
    for (const trace of read.traces) {
      expect(trace.assessments).toEqual(expect.arrayContaining([...SCORERS, 'fluency/pass']));
    }
    // The code scorers are deterministic: one of the two rows leaks an email and a phone number.
    expect(read.metrics['pii_leakage/mean']).toBe(0.5);
    expect(read.metrics['profanity/mean']).toBe(0);
  }, 600_000);
});
