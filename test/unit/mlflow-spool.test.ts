import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RowResult } from '../../src/core/result.js';
import { emptyUsage } from '../../src/core/usage.js';
import { Spool, type SpoolState } from '../../src/sinks/mlflow/spool.js';

let outDir: string;

const row = (id: string): RowResult => ({
  id,
  index: 0,
  inputs: { q: id },
  outputs: 'a',
  expectations: {},
  tags: {},
  feedbacks: [],
  trace: { spans: [] },
  usage: emptyUsage(),
  durationMs: 1,
});

const state: SpoolState = {
  version: 1,
  tracking_uri: 'http://127.0.0.1:5000',
  run_key: 'k',
  experiment_name: 'e',
  start: { start_time: 1, tags: [], params: [], experiment_tags: [] },
  context: { user: 'u', source_name: 's', source_type: 'LOCAL' },
};

beforeEach(async () => {
  outDir = await mkdtemp(path.join(os.tmpdir(), 'spool-'));
});

afterEach(async () => {
  await rm(outDir, { recursive: true, force: true });
});

describe('Spool', () => {
  it('appends complete row jobs as JSONL and reads them back in order, resumably', async () => {
    const spool = new Spool(outDir);
    expect(
      await spool.append([
        { kind: 'row', result: row('a') },
        { kind: 'row', result: row('b') },
      ]),
    ).toEqual([0, 1]);
    expect(await spool.append([{ kind: 'link', trace_ids: ['tr-1'] }])).toEqual([2]);
    const first = await spool.read(0, 2);
    expect(first.map((e) => e.line)).toEqual([0, 1]);
    expect(first[0]?.entry).toEqual({ kind: 'row', result: row('a') });
    const rest = await spool.read(2, 10);
    expect(rest).toEqual([{ line: 2, entry: { kind: 'link', trace_ids: ['tr-1'] } }]);
    expect(spool.pendingLines).toBe(3);
    const lines = (await readFile(path.join(outDir, 'mlflow-spool', 'rows.jsonl'), 'utf8'))
      .trim()
      .split('\n');
    expect(lines).toHaveLength(3);
  });

  it('skips delivered lines and compacts them away; removes the spool when nothing is left', async () => {
    const spool = new Spool(outDir);
    await spool.writeState(state);
    await spool.append(['a', 'b', 'c'].map((id) => ({ kind: 'row' as const, result: row(id) })));
    spool.markDone([0, 2]);
    expect((await spool.read(0, 10)).map((e) => e.line)).toEqual([1]);
    expect(await spool.compact({ keepState: true })).toBe(1);
    const reopened = new Spool(outDir);
    await reopened.open();
    expect(reopened.pendingLines).toBe(1);
    expect(
      (await reopened.read(0, 10)).map((e) => (e.entry.kind === 'row' ? e.entry.result.id : '')),
    ).toEqual(['b']);
    expect(await reopened.readState()).toEqual(state);
    reopened.markDone([0]);
    expect(await reopened.compact({ keepState: false })).toBe(0);
    expect(existsSync(path.join(outDir, 'mlflow-spool'))).toBe(false);
    expect(Spool.existsIn(outDir)).toBe(false);
  });

  it('refuses a state file that is not a spool state', async () => {
    const spool = new Spool(outDir);
    await spool.writeState({ ...state, version: 2 } as unknown as SpoolState);
    await expect(spool.readState()).rejects.toThrow(/not a judgeflow MLflow spool state/);
  });
});
