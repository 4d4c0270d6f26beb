import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  evaluate,
  exactMatch,
  JudgeflowError,
  type RowResult,
  type RunStartInfo,
  type RunSummary,
  type Sink,
} from '../../src/index.js';
import { tempDir } from '../helpers/cli.js';

// A library user's sink (`evaluate({sinks})`) is an extension point: it receives what the built-in
// sinks receive, and its failures are handled the way theirs are (src/core/sink.ts).

const records = [
  { id: 'a', inputs: { q: 'capital of France?' }, expectations: { expected_response: 'Paris' } },
  { id: 'b', inputs: { q: 'capital of Italy?' }, expectations: { expected_response: 'Rome' } },
  { id: 'c', inputs: { q: 'capital of Spain?' }, expectations: { expected_response: 'Madrid' } },
];
const predictFn = async ({ q }: Record<string, unknown>) => (String(q).includes('France') ? 'Paris' : 'Rome');

/** A sink that records every call; `fail` makes one of its methods throw. */
function recordingSink(name: string, fail?: 'start' | 'write' | 'finish' | 'progress') {
  const calls = {
    started: undefined as RunStartInfo | undefined,
    rows: [] as RowResult[],
    finished: undefined as { summary: RunSummary; wait: boolean | undefined } | undefined,
    resultsJsonlAtFinish: undefined as string | undefined,
  };
  const sink: Sink = {
    name,
    async start(info) {
      if (fail === 'start') throw new Error(`${name} cannot start`);
      calls.started = info;
    },
    write(result) {
      if (fail === 'write' && result.id === 'b') throw new Error(`${name} drops b`);
      calls.rows.push(result);
    },
    async finish(summary, options) {
      // built-in sinks come first: results.jsonl is complete when a user sink finishes
      calls.resultsJsonlAtFinish = await readFile(
        path.join(calls.started?.outDir ?? '', 'results.jsonl'),
        'utf8',
      );
      calls.finished = { summary: structuredClone(summary), wait: options?.wait };
      if (fail === 'finish') throw new Error(`${name} lost its connection`);
      return {};
    },
    progress() {
      if (fail === 'progress') throw new Error(`${name} has no idea`);
      return { accepted: calls.rows.length, written: 0, spooled: 0 };
    },
  };
  return { sink, calls };
}

/** evaluate() over the three records with these sinks, into a fresh folder. */
async function evaluateWith(sinks: Sink[], out: string) {
  return evaluate({ data: records, predictFn, scorers: [exactMatch()], sinks, outDir: out, env: {} });
}

let warnings: string[] = [];
const onWarning = (warning: Error) => warnings.push(warning.message);
beforeEach(() => {
  warnings = [];
  process.on('warning', onWarning);
});
afterEach(() => {
  process.off('warning', onWarning);
});

describe('evaluate({sinks}): a user sink', () => {
  it('gets the run start, every row result and the summary, after the built-in files', async () => {
    const out = path.join(await tempDir('user-sink'), 'out');
    const { sink, calls } = recordingSink('mine');
    const result = await evaluate({
      data: records,
      predictFn,
      scorers: [exactMatch()],
      sinks: [sink],
      outDir: out,
      runName: 'with-my-sink',
      env: {},
    });
    expect(calls.started).toMatchObject({ runName: 'with-my-sink', outDir: out, totalRows: 3 });
    expect(calls.started?.dataset.rows).toBe(3);
    expect(calls.rows.map((r) => r.id).sort()).toEqual(['a', 'b', 'c']);
    const b = calls.rows.find((r) => r.id === 'b');
    expect(b?.outputs).toBe('Rome');
    expect(b?.feedbacks.map((f) => [f.name, f.value])).toEqual([['exact_match', true]]);
    expect(calls.finished?.wait).toBe(true);
    expect(calls.finished?.summary.rows).toBe(3);
    expect(calls.finished?.summary.metrics).toEqual(result.metrics);
    expect(calls.resultsJsonlAtFinish?.trim().split('\n')).toHaveLength(3);
  });

  it('is only added: results.jsonl and summary.json are written as without it', async () => {
    const out = path.join(await tempDir('user-sink-added'), 'out');
    const { sink } = recordingSink('mine');
    const result = await evaluateWith([sink], out);
    expect((await readFile(result.resultsPath, 'utf8')).trim().split('\n')).toHaveLength(3);
    expect(JSON.parse(await readFile(result.summaryPath, 'utf8')).rows).toBe(3);
  });

  it('failing to start ends the run before any row is scored', async () => {
    const out = path.join(await tempDir('user-sink-start'), 'out');
    const failing = recordingSink('broken', 'start');
    let predicted = 0;
    await expect(
      evaluate({
        data: records,
        predictFn: async (inputs) => {
          predicted++;
          return predictFn(inputs);
        },
        scorers: [exactMatch()],
        sinks: [failing.sink],
        outDir: out,
        env: {},
      }),
    ).rejects.toThrow('broken cannot start');
    expect(predicted).toBe(0);
    expect(failing.calls.rows).toEqual([]);
    expect(existsSync(path.join(out, 'summary.json'))).toBe(false);
  });

  it('throwing on a row is a warning; the run and the other sinks go on', async () => {
    const out = path.join(await tempDir('user-sink-write'), 'out');
    const failing = recordingSink('flaky', 'write');
    const other = recordingSink('steady');
    const result = await evaluateWith([failing.sink, other.sink], out);
    expect(result.summary.rows).toBe(3);
    expect(warnings).toContain('sink flaky failed to take row b: flaky drops b');
    expect(failing.calls.rows.map((r) => r.id).sort()).toEqual(['a', 'c']);
    expect(other.calls.rows.map((r) => r.id).sort()).toEqual(['a', 'b', 'c']);
    expect(failing.calls.finished?.summary.rows).toBe(3);
  });

  it('throwing in finish fails the run after every other sink finished and summary.json was written', async () => {
    const out = path.join(await tempDir('user-sink-finish'), 'out');
    const failing = recordingSink('remote', 'finish');
    const other = recordingSink('after');
    const error = await evaluateWith([failing.sink, other.sink], out).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JudgeflowError);
    expect((error as Error).message).toBe('writing results failed: remote: remote lost its connection');
    expect(other.calls.finished?.summary.rows).toBe(3);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.rows).toBe(3);
    expect(summary.drain_s).toBeGreaterThanOrEqual(0);
    expect((await readFile(path.join(out, 'results.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(3);
  });

  it('throwing in progress() does not end the run', async () => {
    const out = path.join(await tempDir('user-sink-progress'), 'out');
    const failing = recordingSink('vague', 'progress');
    const events: string[] = [];
    const result = await evaluate({
      data: records,
      // long enough for the runner's once-a-second progress poll to ask the sink
      predictFn: async (inputs) => {
        await new Promise((resolve) => setTimeout(resolve, 1200));
        return predictFn(inputs);
      },
      scorers: [exactMatch()],
      sinks: [failing.sink],
      outDir: out,
      env: {},
      onEvent: (event) => events.push(event.type),
    });
    expect(result.summary.rows).toBe(3);
    expect(events).toContain('run-end');
    expect(events).not.toContain('sink-progress');
  });

  it('that is not a sink is a ConfigError naming which one and what is wrong', async () => {
    const half = { name: 'half', write: () => undefined } as unknown as Sink;
    const out = path.join(await tempDir('user-sink-bad'), 'out');
    const error = await evaluateWith([recordingSink('fine').sink, half], out).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('sinks[1]');
    expect((error as Error).message).toContain('wrong or missing: start, finish');
  });
});
