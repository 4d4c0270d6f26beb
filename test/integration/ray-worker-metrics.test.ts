import { rmSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetRow } from '../../src/core/record.js';
import type { RowResult } from '../../src/core/result.js';
import { createRayExecutor, type RayWorkerInfo } from '../../src/executors/ray/index.js';
import { freePort } from '../helpers/free-port.js';
import { rayContext, rayEnv, writeEvalFolder } from './ray-fixtures.js';
import { type RayHead, startRayHead } from './servers/ray.js';

// The Ray workers' own /metrics in a real Ray run (`--executor ray --workers 2`): both judgeflow worker
// actors run on one Ray node, as up to 8 share a Ray worker pod on the cluster, with the same
// JUDGEFLOW_METRICS_PORT in their environment. Each must serve on its own port of the span, and their
// scorer and model-request counters, summed, must account for every row. The variables reach the
// workers the way they do in a pod: through the environment of the Ray node (here a head started for
// this file), not through the driver.
const ROWS = 40;
const SCORERS = 3;
const SPAN = 4;
const RUN = 'worker metrics';

let head: RayHead | undefined;
let base: number;
let ray: Awaited<ReturnType<typeof rayContext>>;
let dir: string | undefined;

beforeAll(async () => {
  ray = await rayContext();
  base = await freePortRange(SPAN);
  head = await startRayHead({
    home: ray.home,
    env: { JUDGEFLOW_METRICS_PORT: String(base), JUDGEFLOW_METRICS_PORT_SPAN: String(SPAN) },
  });
});
afterAll(async () => {
  await head?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('Ray workers serve /metrics', () => {
  it('two worker actors on one node serve on two ports of the span; their scorer counts add up to rows × scorers', async () => {
    const made = writeEvalFolder({ rows: ROWS, sleepMs: 150 });
    dir = made.dir;
    const ports = Array.from({ length: SPAN }, (_, i) => base + i);
    const results: RowResult[] = [];
    const logs: string[] = [];
    let workers: RayWorkerInfo[] = [];

    // Scrape every port while the run goes on.
    const answered = new Set<number>();
    let midRunCount = 0;
    let scraping = true;
    const poller = (async () => {
      while (scraping) {
        const seen = await scrapeAll(ports);
        for (const port of seen.keys()) answered.add(port);
        if (results.length < ROWS) {
          midRunCount = Math.max(midRunCount, total(seen, 'judgeflow_scorer_duration_seconds_count'));
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    // The workers end with the run, so the final scrape happens once every result is in, before the
    // row stream ends (the stream holds the run open until then).
    let finalScrape: Map<number, Sample[]> | undefined;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* rows(): AsyncGenerator<DatasetRow> {
      for (const row of made.rows) yield row;
      await released;
    }

    const executor = createRayExecutor({
      plan: made.plan,
      env: rayEnv(head!.address),
      home: ray.home,
      python: ray.python,
      workers: 2,
      workerConcurrency: 4,
      runName: RUN,
      log: (line) => logs.push(line),
      onWorkers: (w) => {
        workers = w;
      },
    });
    await executor.execute(rows(), {
      signal: new AbortController().signal,
      onResult: (result) => {
        results.push(result);
        if (results.length === ROWS) {
          void scrapeAll(ports)
            .then((seen) => {
              finalScrape = seen;
            })
            .finally(release);
        }
      },
    });
    scraping = false;
    await poller;

    expect(results).toHaveLength(ROWS);
    expect(workers).toHaveLength(2);
    expect(finalScrape, logs.join('\n')).toBeDefined();
    const final = finalScrape!;
    // Two distinct ports of the span answered, one per worker actor.
    expect([...final.keys()].sort()).toEqual([base, base + 1]);
    for (const port of final.keys()) answered.add(port);
    expect([...answered].sort()).toEqual([base, base + 1]);
    // Every row ran every scorer in exactly one worker; each worker scored some rows.
    expect(total(final, 'judgeflow_scorer_duration_seconds_count')).toBe(ROWS * SCORERS);
    for (const samples of final.values()) {
      expect(sum(samples, 'judgeflow_scorer_duration_seconds_count')).toBeGreaterThan(0);
      // labelled with the run's name from the handshake
      const scorerSamples = samples.filter((s) => s.name === 'judgeflow_scorer_duration_seconds_count');
      expect(new Set(scorerSamples.map((s) => s.labels.run))).toEqual(new Set([RUN]));
    }
    const failed = results.filter((r) => r.error !== undefined).length;
    expect(failed).toBe(0);
    // The module model answered the rows without recorded outputs (every third row), once each.
    const modelCalls = made.rows.filter((row) => row.record.outputs === undefined).length;
    expect(total(final, 'judgeflow_endpoint_requests_total', { role: 'model', status: 'ok' })).toBe(
      modelCalls,
    );
    // Rows, tokens and cost come from the driver only.
    expect(total(final, 'judgeflow_rows_total')).toBe(0);
    // A scrape during the run already saw scored rows.
    expect(midRunCount).toBeGreaterThan(0);
    expect(midRunCount).toBeLessThanOrEqual(ROWS * SCORERS);
  });
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Samples of the text exposition: `name{labels} value`. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = pair[2] as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

function sum(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((acc, s) => acc + s.value, 0);
}

function total(scrapes: Map<number, Sample[]>, name: string, where: Record<string, string> = {}): number {
  let acc = 0;
  for (const samples of scrapes.values()) acc += sum(samples, name, where);
  return acc;
}

/** The ports that answered `/metrics`, with their samples. */
async function scrapeAll(ports: number[]): Promise<Map<number, Sample[]>> {
  const seen = new Map<number, Sample[]>();
  await Promise.all(
    ports.map(async (port) => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
          signal: AbortSignal.timeout(2000),
        });
        if (response.ok) seen.set(port, parse(await response.text()));
      } catch {
        // nothing listens there (yet, or any more)
      }
    }),
  );
  return seen;
}

/** A base port whose next `span - 1` ports are free too (a moment ago, on 127.0.0.1). */
async function freePortRange(span: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const start = await freePort();
    if (start + span - 1 > 65535) continue;
    let free = true;
    for (let port = start + 1; port < start + span && free; port++) free = await isFree(port);
    if (free) return start;
  }
  throw new Error(`no ${span} consecutive free ports found`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
