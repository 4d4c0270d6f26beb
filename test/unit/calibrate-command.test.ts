import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CalibrationReport } from '../../src/app/calibrate/index.js';
import { calibrateCommand } from '../../src/cli/commands/calibrate.js';
import { captureIo, tempDir } from '../helpers/cli.js';

// `judgeflow calibrate --dataset` in-process, without MLflow: the printed tables, --json, the exit codes.

const DATASET = [
  'row_id,name,value,reviewer,source,samples',
  '1,correctness,yes,alice,,',
  '1,correctness,yes,bob,,',
  '1,correctness,yes,local,LLM_JUDGE,"[""yes"",""yes"",""no""]"',
  '2,correctness,no,alice,,',
  '2,correctness,no,bob,,',
  '2,correctness,yes,local,LLM_JUDGE,"[""yes"",""yes"",""yes""]"',
  '3,correctness,no,alice,,',
  '3,correctness,yes,bob,,',
  '3,correctness,no,local,LLM_JUDGE,',
  '4,correctness,yes,alice,,',
  '4,correctness,yes,bob,,',
  '4,correctness,yes,local,LLM_JUDGE,',
  '',
].join('\n');

describe('judgeflow calibrate --dataset', () => {
  it('prints the judge, the human ceiling, the confusion matrix and position consistency', async () => {
    const dir = await tempDir('calibrate-cmd');
    await writeFile(path.join(dir, 'labels.csv'), DATASET);
    await writeFile(
      path.join(dir, 'comparison.json'),
      JSON.stringify({
        pairwise: {
          judge: 'local',
          rows: [
            { ab: 'A', ba: 'A' },
            { ab: 'A', ba: 'B' },
          ],
        },
      }),
    );
    const printed = captureIo({ cwd: dir });
    const code = await calibrateCommand(
      undefined,
      { dataset: 'labels.csv', pairwise: 'comparison.json', mlflow: false },
      printed.io,
    );
    expect(code, printed.stderr()).toBe(0);
    // items 1, 2, 4 have a majority (3 is a tie): judge right on 1 and 4
    expect(printed.stdout()).toMatch(/correctness \(local\)\s+-\s+3\s+0\.667\s+0\.000/);
    // alice vs bob: 3 of 4 agree, p_e = 0.5·0.75 + 0.5·0.25 = 0.5 → kappa 0.5
    expect(printed.stdout()).toMatch(/correctness\s+2\s+4\s+0\.750\s+0\.500/);
    expect(printed.stdout()).toContain('position consistency 0.500 (1 of 2 pairs)');

    const json = captureIo({ cwd: dir });
    expect(
      await calibrateCommand(undefined, { dataset: 'labels.csv', mlflow: false, json: true }, json.io),
    ).toBe(0);
    const report = JSON.parse(json.stdout()) as CalibrationReport;
    expect(report.source).toBe('dataset');
    expect(report.judges[0]?.self_agreement).toMatchObject({ items: 2, unanimous: 0.5 });
  });

  it('exit 2 for a bad line (with its number) or no input; 1 when nothing is calibrated', async () => {
    const dir = await tempDir('calibrate-cmd');
    await writeFile(path.join(dir, 'bad.csv'), 'row_id,name,value,reviewer\n1,c,yes,alice\n2,c,yes\n');
    const bad = captureIo({ cwd: dir });
    expect(await calibrateCommand(undefined, { dataset: 'bad.csv', mlflow: false }, bad.io)).toBe(2);
    expect(bad.stderr()).toMatch(/bad\.csv:line 3/);
    const none = captureIo({ cwd: dir });
    expect(await calibrateCommand(undefined, { mlflow: false }, none.io)).toBe(2);
    await writeFile(path.join(dir, 'humans.csv'), 'row_id,name,value,reviewer\n1,c,yes,alice\n');
    const nothing = captureIo({ cwd: dir });
    expect(await calibrateCommand(undefined, { dataset: 'humans.csv', mlflow: false }, nothing.io)).toBe(1);
  });
});
