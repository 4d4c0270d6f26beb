import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { writeResultsTable } from '../../src/sinks/mlflow/results-table.js';
import { traceIdFor } from '../../src/sinks/mlflow/trace-ids.js';
import { isTraced, parseTracePolicy, rowFailed } from '../../src/sinks/mlflow/trace-policy.js';

describe('mlflow.traces', () => {
  it('parses all, failed and sample:<fraction>', () => {
    expect(parseTracePolicy('all')).toEqual({ mode: 'all' });
    expect(parseTracePolicy(' failed ')).toEqual({ mode: 'failed' });
    expect(parseTracePolicy('sample:0.25')).toEqual({ mode: 'sample', fraction: 0.25 });
    expect(parseTracePolicy('sample:1')).toEqual({ mode: 'sample', fraction: 1 });
  });

  it.each([
    ['sometimes', 'unknown value "sometimes"'],
    ['sample:0', 'the sample fraction "0" is not in (0, 1]'],
    ['sample:1.01', 'the sample fraction "1.01" is not in (0, 1]'],
    ['sample:-0.5', 'is not in (0, 1]'],
    ['sample:', 'the sample fraction "" is not in (0, 1]'],
    ['sample:half', 'the sample fraction "half" is not in (0, 1]'],
  ])('rejects %s naming the field and what was expected', (text, message) => {
    let error: unknown;
    try {
      parseTracePolicy(text, { field: 'mlflow.traces', file: 'eval.yaml' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(message);
    expect((error as ConfigError).message).toContain('"all", "failed" or "sample:<fraction>"');
    expect((error as ConfigError).field).toBe('mlflow.traces');
    expect((error as ConfigError).exitCode).toBe(2);
  });

  it('failed: a row error, a scorer error, or a failing pass/fail verdict', () => {
    const ok = { id: 'a', feedbacks: [{ value: true }, { value: 'yes' }, { value: 0.2 }] };
    expect(rowFailed(ok)).toBe(false);
    expect(rowFailed({ id: 'b', feedbacks: [], error: { code: 'X', message: 'y' } })).toBe(true);
    expect(rowFailed({ id: 'c', feedbacks: [{ error: { code: 'SCORER_ERROR' } }] })).toBe(true);
    expect(rowFailed({ id: 'd', feedbacks: [{ value: false }] })).toBe(true);
    expect(rowFailed({ id: 'e', feedbacks: [{ value: ' No ' }] })).toBe(true);
  });

  it('sample: deterministic per row id, close to the fraction over many rows', () => {
    const policy = parseTracePolicy('sample:0.3');
    const ids = Array.from({ length: 10_000 }, (_, i) => `row-${i}`);
    const first = ids.filter((id) => isTraced(policy, { id, feedbacks: [] }));
    const second = ids.filter((id) => isTraced(policy, { id, feedbacks: [] }));
    expect(second).toEqual(first);
    expect(first.length / ids.length).toBeGreaterThan(0.28);
    expect(first.length / ids.length).toBeLessThan(0.32);
    expect(ids.every((id) => isTraced(parseTracePolicy('sample:1'), { id, feedbacks: [] }))).toBe(true);
  });
});

describe('the results table', () => {
  it('holds every row in mlflow.log_table layout, with the trace id only for traced rows', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'results-table-'));
    try {
      const lines = [
        {
          id: 'r1',
          inputs: { q: 'one' },
          outputs: 'a',
          expectations: { expected_response: 'a' },
          tags: {},
          feedbacks: [{ name: 'exact_match', value: true, source: { type: 'CODE', id: 'exact_match' } }],
          duration_ms: 3,
        },
        {
          id: 'r2',
          inputs: { q: 'two' },
          outputs: 'b',
          expectations: {},
          tags: { level: 'hard' },
          feedbacks: [
            { name: 'exact_match', value: false, source: { type: 'CODE', id: 'exact_match' } },
            {
              name: 'judge',
              error: { code: 'JUDGE_OUTPUT', message: 'not JSON' },
              source: { type: 'LLM_JUDGE', id: 'local' },
            },
          ],
          duration_ms: 4,
        },
      ];
      await writeFile(path.join(dir, 'results.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
      const file = await writeResultsTable({
        outDir: dir,
        runId: 'run1',
        policy: parseTracePolicy('failed'),
        feedbackNames: ['exact_match', 'judge'],
      });
      const table = JSON.parse(await readFile(file as string, 'utf8')) as {
        columns: string[];
        data: unknown[][];
      };
      expect(table.columns).toEqual([
        'request_id',
        'trace_id',
        'inputs',
        'outputs',
        'expectations',
        'tags',
        'error',
        'duration_ms',
        'exact_match/value',
        'exact_match/rationale',
        'exact_match/error',
        'judge/value',
        'judge/rationale',
        'judge/error',
      ]);
      expect(table.data[0]).toEqual([
        'r1',
        null,
        { q: 'one' },
        'a',
        { expected_response: 'a' },
        {},
        null,
        3,
        true,
        null,
        null,
        null,
        null,
        null,
      ]);
      expect(table.data[1]?.[1]).toBe(`tr-${traceIdFor('run1', 'r2')}`);
      expect(table.data[1]?.slice(8)).toEqual([false, null, null, null, null, 'JUDGE_OUTPUT: not JSON']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
