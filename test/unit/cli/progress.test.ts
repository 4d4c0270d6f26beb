import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressReporter } from '../../../src/cli/progress.js';

function stream() {
  const out = new PassThrough() as unknown as NodeJS.WriteStream & { text: string };
  out.text = '';
  (out as unknown as PassThrough).on('data', (chunk) => {
    out.text += String(chunk);
  });
  return out;
}

describe('progress while MLflow writes lag behind scoring', () => {
  it('says when every row is scored, then shows rows written of rows taken and an ETA', async () => {
    const out = stream();
    const progress = createProgressReporter({ stream: out, intervalS: 0.02 });
    progress.onEvent({ type: 'run-start', runName: 'r', totalRows: 100, startedAt: new Date() });
    progress.onEvent({ type: 'scoring-end', rows: 100, scoringSeconds: 1.5 });
    progress.onEvent({
      type: 'sink-progress',
      sink: 'mlflow',
      progress: { accepted: 100, written: 20, spooled: 0 },
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    progress.onEvent({
      type: 'sink-progress',
      sink: 'mlflow',
      progress: { accepted: 100, written: 40, spooled: 0 },
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    progress.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text).toContain('all 100 rows scored in 1.5s; finishing writes');
    expect(out.text).toMatch(/MLflow 40\/100 written \(\d+(\.\d)? rows\/s\) · ~[\d.]+s to write/);
  });

  it('shows nothing about writes while they keep up', async () => {
    const out = stream();
    const progress = createProgressReporter({ stream: out, intervalS: 0.02 });
    progress.onEvent({ type: 'run-start', runName: 'r', totalRows: 10, startedAt: new Date() });
    progress.onEvent({
      type: 'sink-progress',
      sink: 'mlflow',
      progress: { accepted: 10, written: 10, spooled: 0 },
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    progress.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text).not.toContain('written');
  });
});
