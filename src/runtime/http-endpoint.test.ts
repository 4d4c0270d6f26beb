import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  custom,
  type FaultServer,
  ok,
  raw,
  reset,
  stall,
  startFaultServer,
  status,
  truncated,
} from '../../test/helpers/fault-server.js';
import { ConfigError, ProviderError } from '../core/errors.js';
import { chatCompletionResponseSchema, chatCompletionText } from '../providers/openai-wire.js';
import type { EndpointOptions, RetryEvent } from './http-endpoint.js';
import { HttpRuntime } from './http-runtime.js';

const BODY = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
/** ms-scale backoff so the suite stays fast. */
const FAST: EndpointOptions = {
  timeoutMs: 2000,
  retry: { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20, maxTotalWaitMs: 5000 },
};

let server: FaultServer;
let runtime: HttpRuntime;

beforeEach(async () => {
  server = await startFaultServer();
  runtime = new HttpRuntime();
});

afterEach(async () => {
  await runtime.close();
  await server.close();
});

function call(
  options: EndpointOptions = {},
  extra: { signal?: AbortSignal; onRetry?: (e: RetryEvent) => void } = {},
) {
  const endpoint = runtime.endpoint(server.baseUrl, {
    ...FAST,
    ...options,
    retry: { ...FAST.retry, ...options.retry },
  });
  return endpoint.postJson('/chat/completions', BODY, { schema: chatCompletionResponseSchema, ...extra });
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected the call to fail');
}

describe('HttpEndpoint retries', () => {
  it('429 with retry-after (seconds): waits as asked, then succeeds on attempt 2', async () => {
    server.enqueue(status(429, { retryAfter: 0.2 }), ok('Paris'));
    const retries: RetryEvent[] = [];
    const response = await call({}, { onRetry: (event) => retries.push(event) });
    expect(chatCompletionText(response.data)).toBe('Paris');
    expect(response.attempts).toBe(2);
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect(second!.receivedAtMs - first!.receivedAtMs).toBeGreaterThanOrEqual(190);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ attempt: 1, delayMs: 200, fromRetryAfter: true });
    expect(retries[0]!.error.status).toBe(429);
    server.assertNoUnexpected();
  });

  it('honours retry-after-ms', async () => {
    server.enqueue(status(503, { retryAfterMs: 120 }), ok('ok'));
    const response = await call();
    expect(response.attempts).toBe(2);
    const [first, second] = server.requests;
    expect(second!.receivedAtMs - first!.receivedAtMs).toBeGreaterThanOrEqual(110);
  });

  it('500 then success', async () => {
    server.enqueue(status(500), ok('fine'));
    const response = await call();
    expect(chatCompletionText(response.data)).toBe('fine');
    expect(response.attempts).toBe(2);
    expect(response.status).toBe(200);
  });

  it('gives up after max retries with the last failure and the attempt count', async () => {
    server.enqueue(status(500), status(502), status(500), ok('too late'));
    const error = await failure(call({ retry: { maxRetries: 2 } }));
    expect(error).toMatchObject({ kind: 'http', status: 500, retryable: true, attempts: 3 });
    expect(error.message).toContain('after 3 attempts');
    expect(error.bodyExcerpt).toContain('scripted HTTP 500');
    expect(server.requests).toHaveLength(3);
    expect(server.pending).toBe(1);
  });

  it('stops at once when retry-after would cross the total wait budget', async () => {
    server.enqueue(status(429, { retryAfter: 30 }), ok('never'));
    const error = await failure(call({ retry: { maxTotalWaitMs: 1000 } }));
    expect(error).toMatchObject({ kind: 'http', status: 429, attempts: 1 });
    expect(error.message).toContain('retry budget');
    expect(server.requests).toHaveLength(1);
  });

  it('a stall past the timeout is retried, then fails with kind timeout', async () => {
    server.enqueue(stall(5000), stall(5000), stall(5000));
    const error = await failure(call({ timeoutMs: 100, retry: { maxRetries: 2 } }));
    expect(error).toMatchObject({ kind: 'timeout', retryable: true, attempts: 3 });
    expect(error.status).toBeUndefined();
    expect(server.requests).toHaveLength(3);
  });

  it('a stall past the timeout is retried and succeeds when the next answer is fast', async () => {
    server.enqueue(stall(5000), ok('fast'));
    const response = await call({ timeoutMs: 100 });
    expect(chatCompletionText(response.data)).toBe('fast');
    expect(response.attempts).toBe(2);
  });

  it('the timeout covers a body that stops arriving', async () => {
    server.enqueue(stall(5000, ok('late')), ok('fast'));
    const response = await call({ timeoutMs: 100 });
    expect(response.attempts).toBe(2);
  });

  it('a reset connection is retried', async () => {
    server.enqueue(reset(), ok('after reset'));
    const response = await call();
    expect(chatCompletionText(response.data)).toBe('after reset');
    expect(response.attempts).toBe(2);
  });

  it('a body truncated in transit is retried', async () => {
    server.enqueue(
      truncated({ choices: [{ message: { role: 'assistant', content: 'x'.repeat(200) } }] }),
      ok('whole'),
    );
    const response = await call();
    expect(chatCompletionText(response.data)).toBe('whole');
    expect(response.attempts).toBe(2);
  });

  it('a 400 is not retried', async () => {
    server.enqueue(status(400, { body: '{"error":{"message":"bad request: max_tokens"}}' }), ok('unused'));
    const error = await failure(call());
    expect(error).toMatchObject({ kind: 'http', status: 400, retryable: false, attempts: 1 });
    expect(error.message).toContain('max_tokens');
    expect(server.requests).toHaveLength(1);
    expect(server.pending).toBe(1);
  });

  it('keeps the request id of a failure', async () => {
    server.enqueue(status(404, { headers: { 'x-request-id': 'req_123' } }));
    const error = await failure(call());
    expect(error.requestId).toBe('req_123');
  });

  it('a body that is not JSON fails as invalid_response, with the excerpt, not retried', async () => {
    server.enqueue(raw('<html>gateway</html>'), ok('unused'));
    const error = await failure(call());
    expect(error).toMatchObject({ kind: 'invalid_response', status: 200, retryable: false, attempts: 1 });
    expect(error.bodyExcerpt).toBe('<html>gateway</html>');
    expect(server.requests).toHaveLength(1);
  });

  it('a body of the wrong shape fails schema validation as invalid_response', async () => {
    server.enqueue(raw('{"choices":[]}'));
    const error = await failure(call());
    expect(error.kind).toBe('invalid_response');
    expect(error.message).toContain('choices');
  });

  it('never puts request headers (the API key) in errors', async () => {
    const secret = 'sk-test-SECRET-0123456789';
    server.enqueue(status(401), reset(), reset());
    const endpoint = runtime.endpoint(server.baseUrl, {
      ...FAST,
      retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 },
      headers: { Authorization: `Bearer ${secret}` },
    });
    const schema = z.unknown();
    const httpError = await failure(endpoint.postJson('/chat/completions', BODY, { schema }));
    const networkError = await failure(endpoint.postJson('/chat/completions', BODY, { schema }));
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${secret}`);
    expect(networkError.kind).toBe('network');
    for (const error of [httpError, networkError]) {
      expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(secret);
      expect(JSON.stringify({ ...error, message: error.message })).not.toContain(secret);
    }
  });
});

describe('HttpEndpoint adaptive concurrency', () => {
  it('429s lower the limit and successes raise it back', async () => {
    const options: EndpointOptions = {
      maxConcurrency: 8,
      retry: { maxRetries: 5, baseDelayMs: 1, maxDelayMs: 2 },
    };
    const endpoint = runtime.endpoint(server.baseUrl, { ...FAST, ...options });
    expect(endpoint.concurrencyLimit).toBe(8);

    // A burst: eight calls at once, all answered 429 — one halving for the burst.
    server.enqueue(...Array.from({ length: 8 }, () => status(429, { retryAfterMs: 30 })));
    server.enqueue(...Array.from({ length: 8 }, () => ok('ok')));
    const limits: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, () =>
        endpoint.postJson('/chat/completions', BODY, {
          schema: chatCompletionResponseSchema,
          onRetry: () => limits.push(endpoint.concurrencyLimit),
        }),
      ),
    );
    expect(limits[0]).toBe(4);

    // Persistent 429s on one call: 4 → 2 → 1.
    server.enqueue(status(429), status(429), ok('ok'));
    const seen: number[] = [];
    await endpoint.postJson('/chat/completions', BODY, {
      schema: chatCompletionResponseSchema,
      onRetry: () => seen.push(endpoint.concurrencyLimit),
    });
    expect(seen.at(-1)).toBe(1);
    expect(endpoint.concurrencyLimit).toBe(2);

    // At a low limit, calls wait in the queue: the server never sees more than the limit at once.
    server.reset();
    server.enqueue(...Array.from({ length: 4 }, () => ok('ok', { delayMs: 20 })));
    await Promise.all(
      Array.from({ length: 4 }, () =>
        endpoint.postJson('/chat/completions', BODY, { schema: chatCompletionResponseSchema }),
      ),
    );
    expect(server.maxInFlight).toBeLessThanOrEqual(3);

    // Enough successes bring it back to the configured max.
    server.enqueue(...Array.from({ length: 40 }, () => ok('ok')));
    for (let i = 0; i < 40; i += 1) {
      await endpoint.postJson('/chat/completions', BODY, { schema: chatCompletionResponseSchema });
    }
    expect(endpoint.concurrencyLimit).toBe(8);
    expect(endpoint.stats()).toMatchObject({ concurrencyLimit: 8, inFlight: 0, queued: 0, failures: 0 });
  });
});

describe('HttpEndpoint cancellation', () => {
  it('aborting ends a stalled call promptly with kind aborted', async () => {
    server.enqueue(stall(20_000));
    const controller = new AbortController();
    const pending = failure(call({ timeoutMs: 30_000 }, { signal: controller.signal }));
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error('Ctrl-C'));
    const sentinel = new Promise<'still running'>((resolve) => setTimeout(resolve, 5000, 'still running'));
    const outcome = await Promise.race([pending, sentinel]);
    expect(outcome).toBeInstanceOf(ProviderError);
    expect(outcome).toMatchObject({ kind: 'aborted', retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('aborting during a backoff wait ends the call without another attempt', async () => {
    server.enqueue(status(429, { retryAfter: 20 }), ok('never'));
    const controller = new AbortController();
    const pending = failure(
      call(
        { retry: { maxTotalWaitMs: 60_000 } },
        { signal: controller.signal, onRetry: () => controller.abort() },
      ),
    );
    const error = await pending;
    expect(error.kind).toBe('aborted');
    expect(server.requests).toHaveLength(1);
  });

  it('destroying the runtime fails a call in flight and retries nothing', async () => {
    server.enqueue(stall(20_000), ok('never'));
    const pending = failure(call({ timeoutMs: 30_000 }));
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await runtime.destroy();
    const error = await pending;
    expect(['aborted', 'network']).toContain(error.kind);
    expect(server.requests).toHaveLength(1);
  });

  it('an already aborted signal sends nothing', async () => {
    const error = await failure(call({}, { signal: AbortSignal.abort() }));
    expect(error.kind).toBe('aborted');
    expect(server.requests).toHaveLength(0);
  });
});

describe('HttpEndpoint rate limits', () => {
  it('spaces calls by the requests-per-minute budget', async () => {
    server.enqueue(...Array.from({ length: 4 }, () => ok('ok')));
    const endpoint = runtime.endpoint(server.baseUrl, {
      ...FAST,
      requestsPerMinute: 1200,
      rateBurstSeconds: 0,
    });
    await Promise.all(
      Array.from({ length: 4 }, () =>
        endpoint.postJson('/chat/completions', BODY, { schema: chatCompletionResponseSchema }),
      ),
    );
    // 1200 rpm = one call per 50 ms: four calls span at least 150 ms. Measured over the whole run,
    // not per gap: on a loaded machine one arrival can be late and shrink the next gap (a CI run saw
    // 37 ms), while an unlimited endpoint would send all four within a few ms.
    const times = server.requests.map((r) => r.receivedAtMs);
    expect(times).toHaveLength(4);
    expect(times[3]! - times[0]!).toBeGreaterThanOrEqual(120);
  });

  it('holds calls when the server says its request budget is spent, until its reset', async () => {
    server.enqueue(
      ok('first', {
        headers: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '150ms' },
      }),
      ok('second'),
    );
    const endpoint = runtime.endpoint(server.baseUrl, FAST);
    await endpoint.postJson('/chat/completions', BODY, { schema: chatCompletionResponseSchema });
    await endpoint.postJson('/chat/completions', BODY, { schema: chatCompletionResponseSchema });
    const [first, second] = server.requests;
    expect(second!.receivedAtMs - first!.receivedAtMs).toBeGreaterThanOrEqual(140);
  });
});

describe('HttpRuntime', () => {
  it('hands out one endpoint per base URL and options', () => {
    const a = runtime.endpoint(server.baseUrl, { maxConcurrency: 4 });
    expect(runtime.endpoint(`${server.baseUrl}/`, { maxConcurrency: 4 })).toBe(a);
    expect(runtime.endpoint(server.baseUrl, { maxConcurrency: 5 })).not.toBe(a);
    expect(a.baseUrl).toBe(server.baseUrl);
  });

  it('keeps connections alive across calls', async () => {
    server.enqueue(ok('a'), ok('b'), ok('c'), ok('d'));
    const endpoint = runtime.endpoint(server.baseUrl, FAST);
    for (let i = 0; i < 4; i += 1)
      await endpoint.postJson('/chat/completions', BODY, { schema: chatCompletionResponseSchema });
    // Without keep-alive every call would arrive on a fresh connection (a new client port).
    const ports = new Set(server.requests.map((r) => r.remotePort));
    expect(server.requests).toHaveLength(4);
    expect(ports.size).toBeLessThan(4);
  });
});

describe('secrets in error bodies and base URLs', () => {
  const key = 'jf-test-key-7Qm2Zx9Lr4';
  const queryToken = 'qtok-55aa66bb77';

  it('scrubs the Authorization header a server echoes in a 400 from the message and the excerpt', async () => {
    server.enqueue(
      custom((request, response) => {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            error: { message: `bad request; you sent ${request.headers.authorization} and ${request.path}` },
          }),
        );
      }),
    );
    const endpoint = runtime.endpoint(`${server.baseUrl}?token=${queryToken}`, {
      ...FAST,
      headers: { authorization: `Bearer ${key}` },
    });
    const error = await failure(
      endpoint.postJson('/chat/completions', BODY, { schema: chatCompletionResponseSchema }),
    );
    // the server did receive both (the echo is real), yet neither is in what the error carries
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${key}`);
    expect(server.requests[0]?.path).toContain(queryToken);
    const everything = `${error.message}\n${error.bodyExcerpt}\n${error.url}\n${inspect(error)}`;
    expect(everything).not.toContain(key);
    expect(everything).not.toContain(queryToken);
    expect(error.bodyExcerpt).toContain('[REDACTED]');
    expect(error.status).toBe(400);
  });

  it('refuses a base URL that is not http(s) with a ConfigError naming base_url', () => {
    expect(() => runtime.endpoint('ftp://user:pw123456@files.example/v1')).toThrow(ConfigError);
    try {
      runtime.endpoint('ftp://user:pw123456@files.example/v1');
    } catch (error) {
      expect((error as ConfigError).field).toBe('base_url');
      expect((error as Error).message).not.toContain('pw123456');
    }
    expect(() => runtime.endpoint('not a url')).toThrow(ConfigError);
  });
});
