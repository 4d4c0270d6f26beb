import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrate } from '../../src/app/calibrate/compute.js';
import { humanLabelsForRun, inputFromLines, readLabelsFile } from '../../src/app/calibrate/from-file.js';
import { calibrationInputFromTraces } from '../../src/app/calibrate/from-mlflow.js';
import { labelOf, majorityLabel } from '../../src/app/calibrate/labels.js';
import { calibrationMetrics, calibrationTable } from '../../src/app/calibrate/mlflow-log.js';
import type { CalibrationReport } from '../../src/app/calibrate/types.js';
import { DatasetError } from '../../src/core/errors.js';
import type { Assessment, TraceInfo } from '../../src/sinks/mlflow/wire.js';

// Calibration on cases worked out by hand: a judge against two reviewers on six traces.

const source = (type: string, id: string) => ({ source_type: type, source_id: id });
const feedback = (
  name: string,
  value: unknown,
  src: Assessment['source'],
  extra: Partial<Assessment> = {},
): Assessment => ({
  assessment_name: name,
  source: src,
  feedback: { value },
  ...extra,
});

/** judge: yes yes no no yes no; alice: yes yes no yes no no; bob: yes no no yes no no */
function traces(): TraceInfo[] {
  const judge = [true, true, false, false, true, false];
  const alice = ['yes', 'yes', 'no', 'yes', 'no', 'no'];
  const bob = ['yes', 'no', 'no', 'yes', 'no', 'no'];
  return judge.map((value, i) => ({
    trace_id: `tr-${i}`,
    assessments: [
      feedback('correctness', value, source('LLM_JUDGE', 'openai:/gpt-4.1-mini'), {
        metadata: {
          'judgeflow.judge.samples': '3',
          'judgeflow.judge.sampleValues': JSON.stringify([value, value, i === 0 ? !value : value]),
        },
      }),
      feedback('correctness', alice[i], source('HUMAN', 'alice')),
      feedback('correctness', bob[i], source('HUMAN', 'bob')),
      // an expectation is no label; an overridden judge assessment is only counted
      { assessment_name: 'expected_response', source: source('HUMAN', 'alice'), expectation: { value: 'x' } },
      ...(i === 0
        ? [feedback('correctness', false, source('LLM_JUDGE', 'openai:/gpt-4.1-mini'), { valid: false })]
        : []),
    ],
  }));
}

describe('calibrate', () => {
  it('judge vs the majority label and each reviewer; humans as the ceiling; self-agreement', () => {
    const input = calibrationInputFromTraces(traces());
    expect(input.overridden).toEqual({ correctness: 1 });
    const report = calibrate(input);
    const [judge] = report.judges;
    // majorities: yes, (tie), no, yes, no, no → items 0,2,3,4,5: judge yes,no,no,yes,no vs yes,no,yes,no,no
    // agree on 0,2,5: accuracy 3/5. Confusion (rows human no/yes, cols judge): no→[2,1], yes→[1,1].
    // p_o = 0.6; p_e = (3/5)(3/5) + (2/5)(2/5) = 0.52; kappa = 0.08 / 0.48 = 1/6
    expect(judge?.n).toBe(5);
    expect(judge?.no_majority).toBe(1);
    expect(judge?.accuracy).toBeCloseTo(0.6, 14);
    expect(judge?.cohen_kappa).toBeCloseTo(1 / 6, 14);
    expect(judge?.confusion).toEqual({
      labels: ['no', 'yes'],
      matrix: [
        [2, 1],
        [1, 1],
      ],
    });
    // alice: judge agrees on 0,1,2,5 → 4/6; bob: 0,2,5 → 3/6
    expect(judge?.per_reviewer.map((r) => [r.reviewer, r.n, r.accuracy])).toEqual([
      ['alice', 6, 4 / 6],
      ['bob', 6, 0.5],
    ]);
    expect(judge?.overridden).toBe(1);
    // samples: item 0 is 2 of 3 (1 of 3 pairs agree), the rest unanimous
    expect(judge?.self_agreement?.unanimous).toBeCloseTo(5 / 6, 14);
    expect(judge?.self_agreement?.mean_pairwise).toBeCloseTo((5 + 1 / 3) / 6, 14);
    expect(judge?.spearman).toBeNull();
    // alice vs bob: 5 of 6 agree; alice yes 3/6, bob yes 2/6: p_e = 0.5·(4/6) + 0.5·(2/6) = 0.5 → kappa = (5/6 − 0.5) / 0.5 = 2/3
    const [human] = report.humans;
    expect(human?.reviewers).toEqual(['alice', 'bob']);
    expect(human?.percent_agreement).toBeCloseTo(5 / 6, 14);
    expect(human?.cohen_kappa).toBeCloseTo(2 / 3, 14);
    expect(human?.fleiss_kappa).not.toBeNull();
    expect(human?.krippendorff_alpha).not.toBeNull();
    expect(human?.alpha_level).toBe('nominal');
  });

  it("a judge's verdict that a human label overrode (as judgeflow feedback writes it) still counts as the judge's", () => {
    const judge = source('LLM_JUDGE', 'openai:/gpt-4.1-mini');
    const input = calibrationInputFromTraces([
      {
        trace_id: 'tr-0',
        assessments: [
          // overridden by alice's label: MLflow marked it invalid, it stays the judge's verdict
          feedback('correctness', 'yes', judge, { assessment_id: 'a-judge', valid: false }),
          feedback('correctness', 'no', source('HUMAN', 'alice'), { overrides: 'a-judge' }),
          // bob's label points at the same (already invalid) verdict
          feedback('correctness', 'no', source('HUMAN', 'bob'), { overrides: 'a-judge' }),
        ],
      },
      {
        trace_id: 'tr-1',
        assessments: [
          // replaced by a newer verdict of the judge: that one counts, this one does not
          feedback('correctness', 'no', judge, { assessment_id: 'a-old', valid: false }),
          feedback('correctness', 'yes', judge, { assessment_id: 'a-new', overrides: 'a-old' }),
          feedback('correctness', 'yes', source('HUMAN', 'alice')),
        ],
      },
    ]);
    expect(input.judges.map((j) => [j.itemId, j.value])).toEqual([
      ['tr-0', 'yes'],
      ['tr-1', 'yes'],
    ]);
    expect(input.overridden).toEqual({ correctness: 1 });
    expect(input.humans.map((h) => [h.itemId, h.reviewer, h.value])).toEqual([
      ['tr-0', 'alice', 'no'],
      ['tr-0', 'bob', 'no'],
      ['tr-1', 'alice', 'yes'],
    ]);
  });

  it('Spearman for numeric scores against the mean human score; prompt versions apart', () => {
    const report = calibrate({
      humans: [1, 2, 3, 4].flatMap((v, i) => [
        { itemId: `r${i}`, name: 'quality', value: v, reviewer: 'alice' },
        { itemId: `r${i}`, name: 'quality', value: v, reviewer: 'bob' },
      ]),
      judges: [
        ...[2, 3, 4, 5].map((v, i) => ({
          itemId: `r${i}`,
          name: 'quality',
          judge: 'local',
          sourceType: 'LLM_JUDGE' as const,
          value: v,
          prompt: { name: 'quality', version: '1' },
        })),
        ...[4, 3, 2, 1].map((v, i) => ({
          itemId: `r${i}`,
          name: 'quality',
          judge: 'local',
          sourceType: 'LLM_JUDGE' as const,
          value: v,
          prompt: { name: 'quality', version: '2' },
        })),
      ],
      overridden: {},
    });
    expect(report.judges.map((j) => [j.prompt_version, j.spearman?.rho, j.accuracy])).toEqual([
      ['1', 1, 0],
      ['2', -1, 0],
    ]);
    const metrics = calibrationMetrics({ ...report, run_id: 'r', source: 'mlflow' } as CalibrationReport);
    expect(metrics['calibration/quality/v1/spearman_rho']).toBe(1);
    expect(metrics['calibration/quality/v2/spearman_rho']).toBe(-1);
    expect(metrics['calibration/quality/human/krippendorff_alpha']).toBe(1);
    const table = JSON.parse(
      calibrationTable({ ...report, run_id: 'r', source: 'mlflow' } as CalibrationReport),
    );
    expect(table.columns).toContain('confusion_matrix');
    expect(table.data).toHaveLength(2);
  });

  it('position consistency from pairwise rows', () => {
    const report = calibrate({
      humans: [],
      judges: [],
      overridden: {},
      pairwise: {
        judge: 'local',
        rows: [
          { ab: 'A', ba: 'A' },
          { ab: 'B', ba: 'A' },
        ],
      },
    });
    expect(report.position).toMatchObject({ pairs: 2, consistent: 1, position_consistency: 0.5 });
  });
});

describe('labels', () => {
  it('maps pass/fail words and booleans to yes/no, numeric text to numbers', () => {
    expect([true, 'TRUE', 'No', ' 4 ', 'great', '', null].map(labelOf)).toEqual([
      'yes',
      'yes',
      'no',
      4,
      'great',
      undefined,
      undefined,
    ]);
    expect(majorityLabel(['yes', 'no'])).toBeUndefined();
    expect(majorityLabel(['yes', 'no', 'yes'])).toBe('yes');
  });

  it('reads CSV and JSONL label files, and names the line of a bad or unknown row', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'calibrate-'));
    const csv = path.join(dir, 'labels.csv');
    await writeFile(
      csv,
      'row_id,name,value,reviewer\nq1,correctness,yes,alice\nq2,correctness,no,alice\nq9,correctness,no,alice\n',
    );
    const lines = await readLabelsFile(csv);
    expect(lines.map((l) => l.line)).toEqual([2, 3, 4]);
    const run: TraceInfo[] = [
      { trace_id: 'tr-1', tags: { 'mlflow.eval.requestId': 'q1' } },
      { trace_id: 'tr-2', tags: { 'mlflow.eval.requestId': 'q2' } },
    ];
    expect(() => humanLabelsForRun(csv, lines, run)).toThrow(
      /labels\.csv:line 4: field "row_id": "q9" is no trace/,
    );
    expect(humanLabelsForRun(csv, lines.slice(0, 2), run).map((l) => l.itemId)).toEqual(['tr-1', 'tr-2']);

    const jsonl = path.join(dir, 'dataset.jsonl');
    await writeFile(
      jsonl,
      `${[
        { row_id: 1, name: 'c', value: 'yes', reviewer: 'alice' },
        {
          row_id: 1,
          name: 'c',
          value: true,
          reviewer: 'local',
          source: 'llm_judge',
          samples: [true, false, true],
        },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n')}\n{"row_id": 2, "name": "c", "reviewer": "alice"}\n`,
    );
    await expect(readLabelsFile(jsonl)).rejects.toThrow(DatasetError);
    await expect(readLabelsFile(jsonl)).rejects.toThrow(/line 3: field "value"/);
  });

  it('a --dataset file carries the judges too', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'calibrate-'));
    const jsonl = path.join(dir, 'dataset.jsonl');
    await writeFile(
      jsonl,
      [
        { row_id: 1, name: 'c', value: 'yes', reviewer: 'alice' },
        {
          row_id: 1,
          name: 'c',
          value: true,
          reviewer: 'local',
          source: 'llm_judge',
          samples: [true, false, true],
        },
        { row_id: 2, name: 'c', value: 'no', reviewer: 'alice' },
        { row_id: 2, name: 'c', value: false, reviewer: 'local', source: 'LLM_JUDGE' },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    );
    const report = calibrate(inputFromLines(await readLabelsFile(jsonl)));
    expect(report.judges[0]).toMatchObject({ judge: 'local', n: 2, accuracy: 1 });
    expect(report.judges[0]?.self_agreement?.items).toBe(1);
  });
});
