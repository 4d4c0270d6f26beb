import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatLineProblem,
  labelProblemsOnLines,
  parseFieldMap,
  readLabelsFile,
  resolveLabelLines,
} from '../../src/app/feedback/labels-file.js';
import type { RunTraces } from '../../src/app/feedback/run-traces.js';
import { checkLabels } from '../../src/app/feedback/write.js';
import { DatasetError } from '../../src/core/errors.js';
import { traceIdFor } from '../../src/sinks/mlflow/trace-ids.js';
import type { Assessment, TraceInfo } from '../../src/sinks/mlflow/wire.js';
import { tempDir } from '../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('feedback-unit');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string): Promise<string> {
  const target = path.join(dir, name);
  await writeFile(target, content);
  return target;
}

const judge = (name: string, value: unknown, source_type = 'LLM_JUDGE'): Assessment => ({
  assessment_id: `a-${name}-${String(value)}`,
  assessment_name: name,
  source: { source_type, source_id: 'judge' },
  feedback: { value },
});

/** A run of three rows: a yes/no judge, a 1–5 rubric judge and a boolean code scorer on each. */
function fakeRun(): RunTraces {
  const traces = new Map<string, TraceInfo>();
  const rowIds = new Map<string, string>();
  ['r1', 'r2', 'r3'].forEach((row, i) => {
    const traceId = `tr-${traceIdFor('run-1', row)}`;
    traces.set(traceId, {
      trace_id: traceId,
      tags: i === 2 ? {} : { 'mlflow.eval.requestId': row },
      assessments: [
        judge('correctness', i === 0 ? 'yes' : 'no'),
        judge('quality', i + 2),
        judge('exact_match', i === 1, 'CODE'),
        { ...judge('human_only', 'yes', 'HUMAN') },
      ],
    });
    if (i !== 2) rowIds.set(row, traceId);
  });
  return { runId: 'run-1', experimentId: '0', traces, rowIds };
}

describe('readLabelsFile', () => {
  it('reads CSV and JSONL lines with their line numbers and defaults', async () => {
    const csv = await file(
      'a.csv',
      'row_id,name,value,rationale\nr1,correctness,yes,good\n\nr2,quality,4,\n',
    );
    const read = await readLabelsFile(csv, { reviewer: 'ann' });
    expect(read.problems).toEqual([]);
    expect(read.lines).toEqual([
      {
        line: 2,
        target: { rowId: 'r1' },
        name: 'correctness',
        value: 'yes',
        reviewer: 'ann',
        rationale: 'good',
      },
      { line: 4, target: { rowId: 'r2' }, name: 'quality', value: '4', reviewer: 'ann' },
    ]);
    const jsonl = await file(
      'a.jsonl',
      `${JSON.stringify({ trace_id: 'a'.repeat(32), name: 'x', value: true, reviewer: 'bo', expected: { k: 1 } })}\n`,
    );
    const json = await readLabelsFile(jsonl);
    expect(json.lines).toEqual([
      {
        line: 1,
        target: { traceId: `tr-${'a'.repeat(32)}` },
        name: 'x',
        value: true,
        reviewer: 'bo',
        expected: { k: 1 },
      },
    ]);
  });

  it('reports every missing field of every line, not just the first', async () => {
    const jsonl = await file(
      'b.jsonl',
      [
        JSON.stringify({ row_id: 'r1', name: 'c', value: 'yes', reviewer: 'x' }),
        JSON.stringify({ name: 'c', value: 'yes' }),
        JSON.stringify({ row_id: 'r1', name: 'c', value: { a: 1 }, reviewer: 'x' }),
        '[1,2]',
      ].join('\n'),
    );
    const read = await readLabelsFile(jsonl);
    expect(read.lines).toHaveLength(1);
    expect(read.problems.map(formatLineProblem)).toEqual([
      `${jsonl}:2: trace_id: a trace id (tr-…) or a row_id`,
      `${jsonl}:2: reviewer: a reviewer id, or --reviewer`,
      `${jsonl}:3: value: a boolean, a number or text`,
      `${jsonl}:4: line: a JSON object with trace_id or row_id, name, value, reviewer`,
    ]);
  });

  it('maps an annotation export’s columns onto label fields (the mapped column wins)', async () => {
    const csv = await file(
      'studio.csv',
      'id,reviewer,annotator,sentiment,lead_time\nr1,ignored,ann@example.com,no,3.2\n',
    );
    const read = await readLabelsFile(csv, {
      name: 'correctness',
      map: parseFieldMap(['id=row_id', 'annotator=reviewer', 'sentiment=value']),
    });
    expect(read.lines).toEqual([
      { line: 2, target: { rowId: 'r1' }, name: 'correctness', value: 'no', reviewer: 'ann@example.com' },
    ]);
    expect(() => parseFieldMap(['id=row'])).toThrow(DatasetError);
  });
});

describe('resolving and checking labels against a run', () => {
  it('resolves row ids by tag or by the derived trace id, and names the lines of each problem', async () => {
    const run = fakeRun();
    const csv = await file(
      'c.csv',
      [
        'trace_id,row_id,name,value,reviewer,expected',
        ',r1,correctness,YES,ann,Paris', // 2: ok, written as "yes"
        ',r3,quality,5,ann,', // 3: r3 has no tag; found by its derived id
        `tr-${'0'.repeat(32)},,correctness,no,ann,`, // 4: unknown trace
        ',r9,correctness,no,ann,', // 5: unknown row
        ',r2,quality,6,ann,', // 6: out of the 1–5 rubric
        ',r2,quality,2.5,bob,', // 7: not an integer
        ',r2,correctness,maybe,ann,', // 8: not pass/fail
        ',r1,exact_match,0,ann,', // 9: ok, a boolean
        ',r1,correctness,no,ann,', // 10: ann labelled r1 correctness at line 2
        ',r1,helpfulness,3,ann,', // 11: unknown criterion (strict)
      ].join('\n'),
    );
    const read = await readLabelsFile(csv);
    expect(read.problems).toEqual([]);
    const resolved = resolveLabelLines(run, csv, read.lines);
    expect(resolved.problems.map(formatLineProblem)).toEqual([
      `${csv}:5: row_id: a row of run run-1, got 'r9'`,
    ]);
    const checked = checkLabels(run, resolved.labels, { strict: true });
    const problems = labelProblemsOnLines(csv, resolved.lineOf, checked.problems).map(formatLineProblem);
    expect(problems).toEqual([
      `${csv}:4: trace_id: a trace of run run-1, got 'tr-${'0'.repeat(32)}'`,
      `${csv}:6: value: an integer from 1 to 5, got '6'`,
      `${csv}:7: value: an integer from 1 to 5, got '2.5'`,
      `${csv}:8: value: a pass/fail value (yes/no, true/false, 1/0, pass/fail), got 'maybe'`,
      `${csv}:10: reviewer: one label per trace, criterion and reviewer (line 2 gives this one already)`,
      `${csv}:11: name: a criterion of the run (correctness, exact_match, quality) or one given with --scale, got 'helpfulness'`,
    ]);
    const [first, second, , , , , exact] = checked.labels;
    expect(first).toMatchObject({
      value: 'yes',
      expectation: { name: 'expected_response', value: 'Paris' },
    });
    expect(second).toMatchObject({ traceId: `tr-${traceIdFor('run-1', 'r3')}`, value: 5 });
    expect(exact).toMatchObject({ name: 'exact_match', value: false });
  });

  it('accepts a new criterion without --strict, and a stated scale over the inferred one', () => {
    const run = fakeRun();
    const traceId = [...run.traces.keys()][0] as string;
    const loose = checkLabels(run, [{ traceId, name: 'helpfulness', value: '3', reviewer: 'a' }]);
    expect(loose.problems).toEqual([]);
    expect(loose.labels[0]?.value).toBe(3);
    const stated = checkLabels(run, [{ traceId, name: 'quality', value: 9, reviewer: 'a' }], {
      scales: { quality: { kind: 'rubric', min: 1, max: 10 } },
    });
    expect(stated.problems).toEqual([]);
    const blank = checkLabels(run, [{ traceId, name: 'quality', value: 3, reviewer: ' ' }]);
    expect(blank.problems).toEqual([
      { index: 0, field: 'reviewer', expected: 'a reviewer id (or --reviewer)' },
    ]);
  });
});
