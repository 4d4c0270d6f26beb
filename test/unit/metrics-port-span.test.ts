import net from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { PROTOCOL_VERSION } from '../../src/executors/ray/protocol.js';
import { runWorker } from '../../src/executors/ray/worker.js';
import { type MetricsServer, startMetricsServerInRange } from '../../src/observability/server.js';

// Up to 8 judgeflow worker actors share one Ray worker pod and one JUDGEFLOW_METRICS_PORT: each serves
// /metrics on the first free port of JUDGEFLOW_METRICS_PORT_SPAN ports from it.

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

/** Binds a plain TCP server on the port (something else holding it). */
async function occupy(port: number): Promise<void> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
}

/** A base port whose next `span - 1` ports were free too a moment ago. */
async function freeRange(span: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const base = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (base + span - 1 > 65535) continue;
    let free = true;
    for (let port = base; port < base + span && free; port++) {
      const probe = net.createServer();
      free = await new Promise<boolean>((resolve) => {
        probe.once('error', () => resolve(false));
        probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
      });
    }
    if (free) return base;
  }
  throw new Error(`no ${span} consecutive free ports`);
}

async function serve(port: number, span: number): Promise<MetricsServer> {
  const server = await startMetricsServerInRange({ port, span, registry: new Registry() });
  cleanup.push(() => server.close());
  return server;
}

describe('startMetricsServerInRange', () => {
  it('takes the first free port of the span, and fails once every port is taken', async () => {
    const base = await freeRange(3);
    await occupy(base);
    expect((await serve(base, 3)).port).toBe(base + 1);
    const third = await serve(base, 3);
    expect(third.port).toBe(base + 2);
    expect((await fetch(third.url)).status).toBe(200);
    await expect(serve(base, 3)).rejects.toThrow(`ports ${base}-${base + 2} are all in use`);
  });

  it('with a span of 1 tries the port alone; port 0 is any free port', async () => {
    const base = await freeRange(2);
    await occupy(base);
    await expect(serve(base, 1)).rejects.toThrow(`port ${base} is in use`);
    expect((await serve(0, 8)).port).toBeGreaterThan(0);
  });

  it('moves on only when the port is taken: another error is thrown at once', async () => {
    const tried: number[] = [];
    const failure = Object.assign(new Error('listen EACCES'), { code: 'EACCES' });
    await expect(
      startMetricsServerInRange({ port: 9465, span: 8, registry: new Registry() }, async (options) => {
        tried.push(options.port);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(tried).toEqual([9465]);
  });
});

describe('Ray worker /metrics port', () => {
  /** Starts a worker with JUDGEFLOW_METRICS_PORT / _SPAN; resolves with its log once it is ready. */
  async function worker(env: Record<string, string>) {
    const logs: string[] = [];
    const lines: string[] = [
      JSON.stringify({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        judgeflow_version: '1.2.3',
        run_name: 'span run',
        plan: { baseDir: 'evals', scorers: [] },
        concurrency: 1,
      }),
    ];
    let ready: () => void = () => undefined;
    const isReady = new Promise<void>((resolve) => {
      ready = resolve;
    });
    let end: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    const input: AsyncIterable<string> = {
      async *[Symbol.asyncIterator]() {
        yield* lines;
        await ended;
      },
    };
    const exit = runWorker({
      input,
      write: (line) => {
        if ((JSON.parse(line) as { type: string }).type === 'ready') ready();
      },
      log: (line) => logs.push(line),
      version: '1.2.3',
      env: readEnv(env, '/tmp'),
      cwd: '/tmp',
      pid: 1,
      build: async () => ({ model: undefined, scorers: [], close: async () => undefined }),
    });
    await isReady;
    cleanup.push(async () => {
      end();
      await exit;
    });
    return logs;
  }

  it('several workers with one JUDGEFLOW_METRICS_PORT each take their own port, and say which', async () => {
    const base = await freeRange(3);
    const env = { JUDGEFLOW_METRICS_PORT: String(base), JUDGEFLOW_METRICS_PORT_SPAN: '3' };
    expect(await worker(env)).toEqual([
      `judgeflow worker: Prometheus metrics on http://127.0.0.1:${base}/metrics`,
    ]);
    expect(await worker(env)).toEqual([
      `judgeflow worker: Prometheus metrics on http://127.0.0.1:${base + 1}/metrics (port ${base} was taken)`,
    ]);
    expect((await worker(env))[0]).toContain(`:${base + 2}/metrics`);
    // A fourth finds the span full: it still becomes ready and scores, without /metrics.
    expect(await worker(env)).toEqual([
      `judgeflow worker: no /metrics: ports ${base}-${base + 2} are all in use (JUDGEFLOW_METRICS_PORT_SPAN=3)`,
    ]);
    const text = await (await fetch(`http://127.0.0.1:${base + 1}/metrics`)).text();
    expect(text).toContain('# TYPE judgeflow_scorer_duration_seconds histogram');
  });

  it('reads JUDGEFLOW_METRICS_PORT_SPAN (default 8; a bad value is the default)', () => {
    expect(readEnv({ JUDGEFLOW_METRICS_PORT_SPAN: '3' }).metricsPortSpan).toBe(3);
    expect(readEnv({}).metricsPortSpan).toBeUndefined();
    expect(readEnv({ JUDGEFLOW_METRICS_PORT_SPAN: '0' }).metricsPortSpan).toBeUndefined();
    expect(readEnv({ JUDGEFLOW_METRICS_PORT_SPAN: 'eight' }).metricsPortSpan).toBeUndefined();
  });
});
