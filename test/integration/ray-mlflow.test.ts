import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { type RunCliOptions, runCommand } from '../../src/cli/commands/run.js';
import { MlflowClient } from '../../src/sinks/mlflow/index.js';
import { captureIo, tempDir } from '../helpers/cli.js';
import { rayContext, writeEvalFolder } from './ray-fixtures.js';

/**
 * `judgeflow run --executor ray` into a real MLflow server, with a Node worker that kills itself
 * (SIGKILL) in the middle of the run: the run completes and MLflow holds exactly one trace per row,
 * each with exactly its assessments — the driver is the only writer and the first result wins.
 */
describe('Ray run into MLflow', () => {
  it('survives a worker SIGKILL with every row exactly once in MLflow', async () => {
    const ray = await rayContext();
    const trackingUri = inject('mlflowUri');
    const marker = path.join(await tempDir('ray-kill'), 'killed-once');
    const { dir } = writeEvalFolder({
      rows: 30,
      sleepMs: 50,
      extraFiles: {
        'killer.ts': [
          "import { existsSync, writeFileSync } from 'node:fs';",
          `const marker = ${JSON.stringify(marker)};`,
          '/** Kills its own worker process once, on the 10th row, then scores normally. */',
          'export function killOnce({ inputs }: { inputs: { question: string } }) {',
          "  if (inputs.question.endsWith(' 10') && !existsSync(marker)) {",
          '    writeFileSync(marker, String(process.pid));',
          "    process.kill(process.pid, 'SIGKILL');",
          '  }',
          '  return true;',
          '}',
          '',
        ].join('\n'),
      },
    });
    const evalPath = path.join(dir, 'eval.yaml');
    const text = await readFile(evalPath, 'utf8');
    await writeFile(
      evalPath,
      `${text}  - { type: module, path: ./killer.ts, export: killOnce, name: survived }\n`,
    );

    const out = path.join(await tempDir('ray-mlflow-out'), 'out');
    const options: RunCliOptions = {
      failUnder: [],
      mlflow: true,
      trackingUri,
      experiment: 'judgeflow-ray-mlflow',
      executor: 'ray',
      ray: ray.address,
      rayPython: ray.python,
      workers: 2,
      workerConcurrency: 4,
      progress: false,
      out,
    };
    const { io, stderr } = captureIo({ env: { JUDGEFLOW_HOME: ray.home } });
    const code = await runCommand(evalPath, options, io);
    expect(code, stderr()).toBe(0);
    expect(existsSync(marker)).toBe(true);

    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.rows).toBe(30);
    const runId: string = summary.mlflow.run_id;
    const experimentId: string = summary.mlflow.experiment_id;

    const client = new MlflowClient({ trackingUri });
    try {
      const traces = [];
      for await (const trace of client.searchAllTraces({
        experimentIds: [experimentId],
        filter: `attributes.run_id = '${runId}'`,
      })) {
        traces.push(trace);
      }
      expect(traces).toHaveLength(30);
      const requestIds = traces.map((t) => t.tags?.['mlflow.eval.requestId']);
      expect(new Set(requestIds).size).toBe(30);
      for (const trace of traces) {
        const info = await client.getTraceInfo(trace.trace_id);
        const names = (info?.assessments ?? [])
          .filter((a) => a.feedback !== undefined)
          .map((a) => a.assessment_name)
          .sort();
        // exact_match, says_answer, questionLength, survived: each exactly once
        expect(names).toEqual(['exact_match', 'questionLength', 'says_answer', 'survived']);
      }
      const run = await client.getRun(runId);
      expect(run.info.status).toBe('FINISHED');
      const metrics = Object.fromEntries((run.data?.metrics ?? []).map((m) => [m.key, m.value]));
      expect(metrics['survived/mean']).toBe(1);
    } finally {
      await client.close();
    }
  });
});
