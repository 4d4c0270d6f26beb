import { describe, expect, it } from 'vitest';
import type { DatasetRow } from '../core/record.js';
import type { RowResult } from '../core/result.js';
import type { RowPipeline } from '../runner/pipeline.js';
import { createLocalExecutor } from './local.js';

function slowPipeline(state: { inFlight: number; max: number; started: string[] }, delayMs = 5): RowPipeline {
  return {
    model: {
      name: 'slow',
      async predict(inputs) {
        state.inFlight += 1;
        state.max = Math.max(state.max, state.inFlight);
        state.started.push(String(inputs.i));
        await new Promise((r) => setTimeout(r, delayMs));
        state.inFlight -= 1;
        return inputs.i;
      },
      close: async () => undefined,
    },
    scorers: [],
    close: async () => undefined,
  };
}

async function* rows(n: number, pulled: { count: number }): AsyncGenerator<DatasetRow> {
  for (let i = 0; i < n; i++) {
    pulled.count += 1;
    yield { record: { id: `r${i}`, inputs: { i } }, index: i, location: { source: 'mem', line: i + 1 } };
  }
}

describe('local executor', () => {
  it('keeps at most `concurrency` rows in flight and pulls rows only as slots free up', async () => {
    const state = { inFlight: 0, max: 0, started: [] as string[] };
    const pulled = { count: 0 };
    const results: RowResult[] = [];
    let maxAhead = 0;
    const executor = createLocalExecutor({ pipeline: slowPipeline(state), concurrency: 4 });
    await executor.execute(rows(40, pulled), {
      signal: new AbortController().signal,
      onResult: (r) => {
        results.push(r);
        maxAhead = Math.max(maxAhead, pulled.count - results.length);
      },
    });
    expect(results).toHaveLength(40);
    expect(new Set(results.map((r) => r.id)).size).toBe(40);
    expect(state.max).toBe(4);
    // never more rows pulled from the source than finished + in flight
    expect(maxAhead).toBeLessThanOrEqual(4);
  });

  it('stops dispatching when the signal aborts, and still reports rows in flight', async () => {
    const state = { inFlight: 0, max: 0, started: [] as string[] };
    const controller = new AbortController();
    const results: RowResult[] = [];
    const executor = createLocalExecutor({ pipeline: slowPipeline(state, 10), concurrency: 2 });
    await executor.execute(rows(100, { count: 0 }), {
      signal: controller.signal,
      onResult: (r) => {
        results.push(r);
        if (results.length === 5) controller.abort();
      },
    });
    expect(results.length).toBeGreaterThanOrEqual(5);
    expect(results.length).toBeLessThan(10);
    // every dispatched row was reported: none was dropped halfway
    expect(results.length).toBe(state.started.length);
  });

  it('stops dispatching when admit says stop, and holds rows back while it says wait (budgets)', async () => {
    const state = { inFlight: 0, max: 0, started: [] as string[] };
    const results: RowResult[] = [];
    const executor = createLocalExecutor({ pipeline: slowPipeline(state, 1), concurrency: 1 });
    await executor.execute(rows(50, { count: 0 }), {
      signal: new AbortController().signal,
      onResult: (r) => results.push(r),
      admit: () => (results.length >= 7 ? 'stop' : 'dispatch'),
    });
    expect(results).toHaveLength(7);

    // `wait`: no row is dispatched until one in flight finishes, then admit is asked again
    const waiting = { inFlight: 0, max: 0, started: [] as string[] };
    const finished: RowResult[] = [];
    const pool = createLocalExecutor({ pipeline: slowPipeline(waiting, 5), concurrency: 4 });
    await pool.execute(rows(12, { count: 0 }), {
      signal: new AbortController().signal,
      onResult: (r) => finished.push(r),
      // at most two rows in flight, whatever the pool's concurrency
      admit: () => (waiting.inFlight >= 2 ? 'wait' : 'dispatch'),
    });
    expect(finished).toHaveLength(12);
    expect(waiting.max).toBe(2);
  });

  it('drops the results of rows aborted in flight (second Ctrl-C)', async () => {
    const state = { inFlight: 0, max: 0, started: [] as string[] };
    const stop = new AbortController();
    const abortRows = new AbortController();
    const results: RowResult[] = [];
    const executor = createLocalExecutor({ pipeline: slowPipeline(state, 20), concurrency: 3 });
    setTimeout(() => {
      stop.abort();
      abortRows.abort();
    }, 5);
    await executor.execute(rows(10, { count: 0 }), {
      signal: stop.signal,
      abortRows: abortRows.signal,
      onResult: (r) => results.push(r),
    });
    expect(results).toHaveLength(0);
  });

  it('returns at once when rows are aborted, even if a row ignores its signal (a hung call)', async () => {
    const stop = new AbortController();
    const abortRows = new AbortController();
    const results: RowResult[] = [];
    let release: () => void = () => undefined;
    const hung: RowPipeline = {
      model: {
        name: 'hung',
        // never looks at its signal; finishes only when the test releases it
        predict: (inputs) =>
          inputs.i === 0
            ? Promise.resolve('fast')
            : new Promise((resolve) => (release = () => resolve('late'))),
        close: async () => undefined,
      },
      scorers: [],
      close: async () => undefined,
    };
    const executor = createLocalExecutor({ pipeline: hung, concurrency: 2 });
    const running = executor.execute(rows(5, { count: 0 }), {
      signal: stop.signal,
      abortRows: abortRows.signal,
      onResult: (r) => {
        results.push(r);
        if (r.id === 'r0') {
          // the first row finished; the next one hangs: interrupt now
          setTimeout(() => {
            stop.abort();
            abortRows.abort();
          }, 10);
        }
      },
    });
    await running;
    expect(results.map((r) => r.id)).toEqual(['r0']);
    release();
  });
});
