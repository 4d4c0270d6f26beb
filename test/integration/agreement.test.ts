import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { agreementCommand } from '../../src/cli/commands/agreement.js';
import { requirePythonEnv } from '../../src/setup/python-env.js';
import { captureIo, repoRoot, tempDir } from '../helpers/cli.js';
import { testHome } from './servers/mlflow.js';

// `judgeflow agreement` end to end: the shipped relevance_to_query set (its first 3 cases) judged by
// the real local model (serve-judge, from the global setup) into the real MLflow server, read back with
// the Python `mlflow` package as a user reads it; and the same with --no-mlflow --json.

const run = promisify(execFile);
const SET = path.join(repoRoot, 'data', 'agreement', 'relevance_to_query.yaml');
const MODEL = 'gemma-3-270m-q4_k_m';
let dir: string;
let python: string;

interface AgreementRun {
  run_name: string;
  status: string;
  metrics: Record<string, number>;
  tags: Record<string, string>;
  table: { columns: string[]; ids: string[] };
  traces: Array<{
    request_id: string;
    borderline: string;
    assessments: Array<{ name: string; kind: string; value: unknown; error: boolean; source_type: string }>;
  }>;
}

beforeAll(async () => {
  dir = await tempDir('agreement-it');
  python = await requirePythonEnv(testHome(), 'mlflow');
  // The judge from an eval file's judge: section (--config): a longer timeout, one call at a time,
  // as the other tests against the shared local model use.
  await writeFile(
    path.join(dir, 'eval.yaml'),
    [
      'dataset: { records: [{ inputs: { q: "unused" } }] }',
      'scorers: [fluency]',
      'judge:',
      `  model: { provider: openai-compatible, base_url: "${inject('judgeBaseUrl')}", model: ${MODEL} }`,
      '  timeout_s: 120',
      '  concurrency: 1',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('judgeflow agreement', () => {
  it('logs one MLflow run per set: agreement metrics, tags, the cases table, a trace per case', async () => {
    const printed = captureIo({ cwd: dir });
    const experiment = `agreement-it-${Date.now()}`;
    const code = await agreementCommand(
      [SET],
      {
        config: 'eval.yaml',
        limit: 3,
        concurrency: 1,
        experiment,
        out: 'with-mlflow',
        mlflow: true,
        trackingUri: inject('mlflowUri'),
        json: true,
        progress: false,
      },
      printed.io,
    );
    const [row] = JSON.parse(printed.stdout()) as Array<Record<string, unknown>>;
    // the tiny local model may fail to answer a case: then it is counted as an error, not as a vote
    expect(code, printed.stderr()).toBe((row?.n as number) > 0 ? 0 : 1);
    expect((row?.n as number) + (row?.errors as number)).toBe(3);
    expect(row).toMatchObject({ metric: 'relevance_to_query', judge_model: `openai-compatible:/${MODEL}` });
    expect(String(row?.run_url)).toContain(inject('mlflowUri'));

    const { stdout } = await run(
      python,
      [path.join(repoRoot, 'test/python/read_agreement_run.py'), inject('mlflowUri'), String(row?.run_id)],
      { env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' }, maxBuffer: 64 * 1024 * 1024 },
    );
    const logged = JSON.parse(stdout) as AgreementRun;
    expect(logged.run_name).toBe('agreement-relevance_to_query');
    expect(logged.status).toBe('FINISHED');
    expect(logged.metrics['agreement/n']).toBe(row?.n);
    expect(logged.metrics['agreement/errors']).toBe(row?.errors);
    expect(logged.metrics['agreement/borderline_n']).toBe(0);
    if ((row?.n as number) > 0) {
      expect(logged.metrics['agreement/accuracy']).toBe(row?.accuracy);
      // the first 3 cases are all labelled yes: kappa is defined (0) unless the judge said yes to all
      if (row?.cohen_kappa !== null) expect(logged.metrics['agreement/cohen_kappa']).toBe(row?.cohen_kappa);
    }
    const digest = createHash('sha256')
      .update(await readFile(SET))
      .digest('hex');
    expect(logged.tags).toMatchObject({
      'judgeflow.agreement': 'true',
      'judgeflow.agreement.metric': 'relevance_to_query',
      'judgeflow.agreement.judge_model': `openai-compatible:/${MODEL}`,
      'judgeflow.agreement.set': 'relevance_to_query.yaml',
      'judgeflow.agreement.set_digest': digest,
      'judgeflow.agreement.kappa_weights': 'none',
    });
    expect(JSON.parse(logged.tags['mlflow.loggedArtifacts'] ?? '[]')).toEqual([
      { path: 'eval_results_table.json', type: 'table' },
      { path: 'agreement_cases.json', type: 'table' },
    ]);
    expect(logged.table.columns).toEqual([
      'id',
      'label',
      'judge_value',
      'agree',
      'borderline',
      'rationale',
      'error',
      'note',
    ]);
    expect(logged.table.ids).toEqual(['rel-001', 'rel-002', 'rel-003']);

    // a trace per case: the judge's assessment (LLM_JUDGE) and the human label (a HUMAN expectation)
    expect(logged.traces.map((t) => t.request_id)).toEqual(['rel-001', 'rel-002', 'rel-003']);
    for (const trace of logged.traces) {
      expect(trace.borderline).toBe('false');
      expect(trace.assessments).toEqual([
        { name: 'human_label', kind: 'expectation', value: 'yes', error: false, source_type: 'HUMAN' },
        expect.objectContaining({ name: 'relevance_to_query', kind: 'feedback', source_type: 'LLM_JUDGE' }),
      ]);
    }
  });

  it('--no-mlflow --json: the same numbers from files only', async () => {
    const printed = captureIo({ cwd: dir });
    const code = await agreementCommand(
      [SET],
      {
        judge: `openai-compatible:/${MODEL}@${inject('judgeBaseUrl')}`,
        limit: 3,
        concurrency: 1,
        out: 'files-only',
        mlflow: false,
        json: true,
        progress: false,
      },
      printed.io,
    );
    const rows = JSON.parse(printed.stdout()) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(code, printed.stderr()).toBe((row?.n as number) > 0 ? 0 : 1);
    expect(row).toMatchObject({ metric: 'relevance_to_query', run_url: null, run_id: null, borderline_n: 0 });
    expect((row?.n as number) + (row?.errors as number)).toBe(3);
    const outDir = path.join(dir, 'files-only', 'relevance_to_query');
    expect(row?.out_dir).toBe(outDir);
    expect(existsSync(path.join(outDir, 'mlflow-spool'))).toBe(false);
    const table = JSON.parse(await readFile(path.join(outDir, 'agreement_cases.json'), 'utf8'));
    expect(table.data.map((r: unknown[]) => r[0])).toEqual(['rel-001', 'rel-002', 'rel-003']);
    const summary = JSON.parse(await readFile(path.join(outDir, 'summary.json'), 'utf8'));
    expect(summary.metrics['agreement/n']).toBe(row?.n);
    expect(summary.mlflow).toBeUndefined();
  });
});
