import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type FaultServer,
  ok,
  reset,
  stall,
  startFaultServer,
  status,
} from '../../test/helpers/fault-server.js';
import { freePort } from '../../test/helpers/free-port.js';
import { type AttemptResult, withRetries } from './retry-loop.js';
import { retryAfterMs, shouldRetry } from './retry-policy.js';
import { send } from './transport.js';

// The one retry loop over the one transport, against a scripted loopback server: which failures are
// retried for an idempotent request and which only when the request provably never arrived.

const POLICY = { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5, maxTotalWaitMs: 5000 };
let server: FaultServer;

beforeEach(async () => {
  server = await startFaultServer();
});
afterEach(async () => {
  await server.close();
});

/** POSTs through `send` + `withRetries` as every client does; resolves with the status, or the last failure. */
function post(url: string, idempotent: boolean, timeoutMs = 2000) {
  return withRetries<number, string>({
    policy: POLICY,
    attempt: async (): Promise<AttemptResult<number, string>> => {
      const sent = await send({ url, method: 'POST', headers: {}, body: '{}', timeoutMs });
      if (!sent.ok) {
        return {
          ok: false,
          error: sent.failure.kind,
          retry: shouldRetry(sent.failure.retryClass, idempotent),
        };
      }
      if (sent.status < 300) return { ok: true, value: sent.status };
      return {
        ok: false,
        error: `HTTP ${sent.status}`,
        retry: shouldRetry({ status: sent.status }, idempotent),
        retryAfterMs: retryAfterMs(sent.headers),
      };
    },
  });
}

describe('one retry policy', () => {
  const url = () => `${server.baseUrl}/chat/completions`;

  it('an idempotent request is retried after 5xx, a reset and a timeout', async () => {
    server.enqueue(status(500), reset(), stall(300), ok('x'));
    await expect(post(url(), true, 150)).resolves.toBe(200);
    expect(server.requests).toHaveLength(4);
  });

  it('a request that may have been processed is not repeated unless it is idempotent', async () => {
    server.enqueue(status(500));
    await expect(post(url(), false)).rejects.toBe('HTTP 500');
    server.enqueue(reset());
    await expect(post(url(), false)).rejects.toBe('network');
    server.enqueue(stall(300));
    await expect(post(url(), false, 150)).rejects.toBe('timeout');
    expect(server.requests).toHaveLength(3);
  });

  it('a request turned away unprocessed (429, 503, 529) is retried either way, honouring retry-after', async () => {
    server.enqueue(status(429, { retryAfter: 0.1 }), status(503), status(529), ok('x'));
    const started = Date.now();
    await expect(post(url(), false)).resolves.toBe(200);
    expect(server.requests).toHaveLength(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('a request that never reached the server (connection refused) is retried either way', async () => {
    const port = await freePort();
    let attempts = 0;
    const error = await withRetries<never, string>({
      policy: POLICY,
      attempt: async () => {
        attempts += 1;
        const sent = await send({
          url: `http://127.0.0.1:${port}/x`,
          method: 'POST',
          headers: {},
          timeoutMs: 1000,
        });
        if (sent.ok) throw new Error('unexpected answer');
        expect(sent.failure.code).toBe('ECONNREFUSED');
        return { ok: false, error: sent.failure.kind, retry: shouldRetry(sent.failure.retryClass, false) };
      },
    }).catch((e: unknown) => e);
    expect(error).toBe('network');
    expect(attempts).toBe(POLICY.maxRetries + 1);
  });

  it('other 4xx are never retried; the loop reports why it stopped', async () => {
    server.enqueue(status(400), status(409));
    const reasons: string[] = [];
    const run = (idempotent: boolean) =>
      withRetries<number, number>({
        policy: POLICY,
        attempt: async () => {
          const sent = await send({ url: url(), method: 'POST', headers: {}, body: '{}', timeoutMs: 1000 });
          if (!sent.ok) throw new Error('transport');
          return { ok: false, error: sent.status, retry: shouldRetry({ status: sent.status }, idempotent) };
        },
        giveUp: (error, attempts, reason) => {
          reasons.push(`${error}:${attempts}:${reason}`);
          return error;
        },
      });
    await expect(run(true)).rejects.toBe(400);
    await expect(run(false)).rejects.toBe(409);
    expect(reasons).toEqual(['400:1:not-retryable', '409:1:not-retryable']);
  });
});
