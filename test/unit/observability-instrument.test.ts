import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { ProviderError } from '../../src/core/errors.js';
import type { ModelUnderTest } from '../../src/core/model.js';
import { withRunMetrics } from '../../src/observability/current.js';
import {
  instrumentChatEndpoint,
  instrumentModel,
  mlflowWriteKind,
} from '../../src/observability/instrument.js';
import { RunMetrics } from '../../src/observability/metrics.js';
import { openAiCompatibleKind } from '../../src/providers/openai-compatible.js';
import type { ChatEndpoint, ChatRequest, ChatResult } from '../../src/providers/provider.js';
import type { RetryEvent } from '../../src/runtime/http-endpoint.js';
import { HttpRuntime } from '../../src/runtime/http-runtime.js';
import { type FaultServer, ok, startFaultServer, status } from '../helpers/fault-server.js';

// What the instrumented model/judge endpoints record in the current run's metrics: one request per call
// (with all its retries) labelled by outcome, each retry by its reason, 429 waits in seconds, and
// nothing for a call the run itself cancelled or for code running outside a run.

/** The value of one sample line of the exposition (`name{labels}`), 0 when absent. */
async function value(metrics: RunMetrics, series: string): Promise<number> {
  const text = await metrics.text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

const request = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  messages: [{ role: 'user', content: 'hi' }],
  signal: new AbortController().signal,
  ...extra,
});

describe('instrumentChatEndpoint over HTTP (fault server)', () => {
  let server: FaultServer;
  let runtime: HttpRuntime;
  beforeEach(async () => {
    server = await startFaultServer();
    runtime = new HttpRuntime({ random: () => 0 });
  });
  afterEach(async () => {
    await runtime.close();
    await server.close();
  });

  function judgeEndpoint(): ChatEndpoint {
    const chat = openAiCompatibleKind.chat;
    if (chat === undefined) throw new Error('openai-compatible builds no chat endpoint');
    const endpoint = chat(
      { provider: 'openai-compatible', model: 'judge', baseUrl: server.baseUrl },
      {
        env: readEnv({}),
        runtime,
        role: 'judge',
        field: 'judge.model',
        endpoint: {
          timeoutMs: 2000,
          retry: { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20, maxTotalWaitMs: 5000 },
        },
      },
    );
    return instrumentChatEndpoint(endpoint, 'judge');
  }

  it('counts one ok request for a call with retries, each retry by reason, and the 429 wait in seconds', async () => {
    server.enqueue(
      status(429, { retryAfterMs: 40 }),
      status(503),
      status(429, { retryAfterMs: 60 }),
      ok('fine'),
    );
    const endpoint = judgeEndpoint();
    const metrics = new RunMetrics({ run: 'r' });
    const seen: RetryEvent[] = [];
    const result = await withRunMetrics(metrics, () =>
      endpoint.prepare(request({ onRetry: (event) => seen.push(event) })).send(),
    );
    expect(result.text).toBe('fine');
    expect(server.requests).toHaveLength(4);
    // The caller's own onRetry still hears every retry.
    expect(seen.map((e) => e.error.status)).toEqual([429, 503, 429]);
    const uri = endpoint.uri;
    expect(
      await value(
        metrics,
        `judgeflow_endpoint_requests_total{run="r",role="judge",endpoint="${uri}",status="ok"}`,
      ),
    ).toBe(1);
    expect(
      await value(
        metrics,
        `judgeflow_endpoint_request_duration_seconds_count{run="r",role="judge",endpoint="${uri}"}`,
      ),
    ).toBe(1);
    expect(
      await value(metrics, 'judgeflow_endpoint_retries_total{run="r",role="judge",reason="rate_limited"}'),
    ).toBe(2);
    expect(
      await value(metrics, 'judgeflow_endpoint_retries_total{run="r",role="judge",reason="server_error"}'),
    ).toBe(1);
    // Only the 429s' waits, as the runtime waited them (what the retry events say).
    const rateLimitedWait =
      seen.filter((e) => e.error.status === 429).reduce((s, e) => s + e.delayMs, 0) / 1000;
    expect(rateLimitedWait).toBeGreaterThan(0);
    expect(await value(metrics, 'judgeflow_rate_limit_wait_seconds_total{run="r",role="judge"}')).toBeCloseTo(
      rateLimitedWait,
      6,
    );
  });

  it('counts a call that exhausted its retries on 500s once, as server_error', async () => {
    server.enqueue(status(500), status(500), status(500), status(500));
    const endpoint = judgeEndpoint();
    const metrics = new RunMetrics({ run: 'r' });
    await expect(withRunMetrics(metrics, () => endpoint.prepare(request()).send())).rejects.toBeInstanceOf(
      ProviderError,
    );
    expect(server.requests).toHaveLength(4);
    const uri = endpoint.uri;
    expect(
      await value(
        metrics,
        `judgeflow_endpoint_requests_total{run="r",role="judge",endpoint="${uri}",status="server_error"}`,
      ),
    ).toBe(1);
    expect(
      await value(metrics, 'judgeflow_endpoint_retries_total{run="r",role="judge",reason="server_error"}'),
    ).toBe(3);
    expect(await value(metrics, 'judgeflow_rate_limit_wait_seconds_total{run="r",role="judge"}')).toBe(0);
  });

  it('does not count a call the run cancelled', async () => {
    server.enqueue(status(503), status(503), status(503), status(503));
    const endpoint = judgeEndpoint();
    const metrics = new RunMetrics({ run: 'r' });
    const stop = new AbortController();
    const call = withRunMetrics(metrics, () =>
      endpoint.prepare(request({ signal: stop.signal, onRetry: () => stop.abort() })).send(),
    );
    await expect(call).rejects.toMatchObject({ kind: 'aborted' });
    const text = await metrics.text();
    expect(text).not.toMatch(/^judgeflow_endpoint_requests_total\{/m);
    expect(text).not.toMatch(/^judgeflow_endpoint_request_duration_seconds_count\{/m);
  });
});

/** An endpoint whose `send` fails (or succeeds) as scripted, and which reports the retries it is given. */
function fakeEndpoint(
  outcome: () => Promise<ChatResult>,
  retries: RetryEvent[] = [],
): ChatEndpoint & { requests: ChatRequest[] } {
  const requests: ChatRequest[] = [];
  return {
    uri: 'fake:/judge',
    provider: 'openai-compatible',
    model: 'judge',
    requests,
    prepare(req) {
      requests.push(req);
      return {
        body: { fake: true },
        send: async () => {
          for (const event of retries) req.onRetry?.(event);
          return outcome();
        },
      };
    },
  };
}

const providerError = (kind: ProviderError['kind'], status?: number) =>
  new ProviderError({
    message: `fake ${kind} ${status ?? ''}`,
    url: 'http://fake/v1/chat/completions',
    kind,
    ...(status !== undefined ? { status } : {}),
    retryable: false,
  });

describe('instrumentChatEndpoint: request status', () => {
  it.each([
    ['rate_limited', providerError('http', 429)],
    ['server_error', providerError('http', 502)],
    ['client_error', providerError('http', 400)],
    ['server_error', providerError('invalid_response', 200)],
    ['timeout', providerError('timeout')],
    ['network_error', providerError('network')],
    ['client_error', new Error('not a provider error')],
  ])('%s for %s', async (expected, error) => {
    const metrics = new RunMetrics({ run: 'r' });
    const endpoint = instrumentChatEndpoint(
      fakeEndpoint(() => Promise.reject(error)),
      'model',
    );
    await expect(withRunMetrics(metrics, () => endpoint.prepare(request()).send())).rejects.toBe(error);
    expect(
      await value(
        metrics,
        `judgeflow_endpoint_requests_total{run="r",role="model",endpoint="fake:/judge",status="${expected}"}`,
      ),
    ).toBe(1);
    const text = await metrics.text();
    expect(text.match(/^judgeflow_endpoint_requests_total\{/gm)).toHaveLength(1);
  });

  it('records nothing for an aborted call, and passes the request through untouched outside a run', async () => {
    const metrics = new RunMetrics({ run: 'r' });
    const aborted = instrumentChatEndpoint(
      fakeEndpoint(() => Promise.reject(providerError('aborted'))),
      'judge',
    );
    await expect(withRunMetrics(metrics, () => aborted.prepare(request()).send())).rejects.toMatchObject({
      kind: 'aborted',
    });
    expect(await metrics.text()).not.toMatch(/^judgeflow_endpoint_requests_total\{/m);

    const inner = fakeEndpoint(() => Promise.resolve({ text: 'x' } as ChatResult));
    const outside = instrumentChatEndpoint(inner, 'judge');
    const req = request();
    await outside.prepare(req).send();
    expect(inner.requests[0]).toBe(req);
  });

  it('labels retries with the failure that caused them, and adds only rate-limited waits', async () => {
    const metrics = new RunMetrics({ run: 'r' });
    const retries: RetryEvent[] = [
      { attempt: 1, delayMs: 1500, fromRetryAfter: true, error: providerError('http', 429) },
      { attempt: 2, delayMs: 250, fromRetryAfter: false, error: providerError('timeout') },
      { attempt: 3, delayMs: 500, fromRetryAfter: false, error: providerError('http', 429) },
      { attempt: 4, delayMs: 100, fromRetryAfter: false, error: providerError('network') },
    ];
    const endpoint = instrumentChatEndpoint(
      fakeEndpoint(() => Promise.resolve({ text: 'x' } as ChatResult), retries),
      'judge',
    );
    await withRunMetrics(metrics, () => endpoint.prepare(request()).send());
    expect(
      await value(metrics, 'judgeflow_endpoint_retries_total{run="r",role="judge",reason="rate_limited"}'),
    ).toBe(2);
    expect(
      await value(metrics, 'judgeflow_endpoint_retries_total{run="r",role="judge",reason="timeout"}'),
    ).toBe(1);
    expect(
      await value(metrics, 'judgeflow_endpoint_retries_total{run="r",role="judge",reason="network_error"}'),
    ).toBe(1);
    expect(await value(metrics, 'judgeflow_rate_limit_wait_seconds_total{run="r",role="judge"}')).toBe(2);
    expect(
      await value(
        metrics,
        'judgeflow_endpoint_requests_total{run="r",role="judge",endpoint="fake:/judge",status="ok"}',
      ),
    ).toBe(1);
  });
});

describe('instrumentModel', () => {
  function model(predict: ModelUnderTest['predict']): ModelUnderTest {
    return { name: 'module:./predict.ts#predict', predict, close: async () => undefined };
  }

  it('counts each predict as one model request of the given URI; a cancelled one not at all', async () => {
    const metrics = new RunMetrics({ run: 'r' });
    const context = { signal: new AbortController().signal } as Parameters<ModelUnderTest['predict']>[1];
    const okModel = instrumentModel(
      model(async () => 'answer'),
      'module:./predict.ts#predict',
    );
    const failing = instrumentModel(
      model(async () => {
        throw providerError('http', 503);
      }),
      'module:./predict.ts#predict',
    );
    const cancelled = instrumentModel(
      model(async () => {
        throw providerError('aborted');
      }),
      'module:./predict.ts#predict',
    );
    await withRunMetrics(metrics, async () => {
      expect(await okModel.predict({}, context)).toBe('answer');
      expect(await okModel.predict({}, context)).toBe('answer');
      await expect(failing.predict({}, context)).rejects.toBeInstanceOf(ProviderError);
      await expect(cancelled.predict({}, context)).rejects.toBeInstanceOf(ProviderError);
    });
    const series = (status: string) =>
      `judgeflow_endpoint_requests_total{run="r",role="model",endpoint="module:./predict.ts#predict",status="${status}"}`;
    expect(await value(metrics, series('ok'))).toBe(2);
    expect(await value(metrics, series('server_error'))).toBe(1);
    expect(
      await value(
        metrics,
        'judgeflow_endpoint_request_duration_seconds_count{run="r",role="model",endpoint="module:./predict.ts#predict"}',
      ),
    ).toBe(3);
    expect(okModel.name).toBe('module:./predict.ts#predict');
  });
});

describe('mlflowWriteKind', () => {
  it.each([
    ['POST', '/api/3.0/mlflow/traces', 'trace'],
    ['PATCH', '/api/3.0/mlflow/traces/tr-1/tags', 'trace'],
    ['POST', '/api/2.0/mlflow/runs/log-batch', 'batch'],
    ['POST', '/api/2.0/mlflow/runs/log-metric', 'metrics'],
    ['PUT', '/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/summary.json', 'artifact'],
    ['POST', '/api/2.0/mlflow/runs/create', 'run'],
    ['POST', '/api/2.0/mlflow/runs/update', 'run'],
    ['POST', '/api/2.0/mlflow/experiments/create', 'run'],
  ])('%s %s is a %s write', (method, path, kind) => {
    expect(mlflowWriteKind(method, path)).toBe(kind);
  });

  it.each([
    ['GET', '/api/2.0/mlflow/runs/get'],
    ['GET', '/api/2.0/mlflow/experiments/get-by-name'],
    ['POST', '/api/2.0/mlflow/runs/search'],
    ['POST', '/api/3.0/mlflow/traces/search'],
    ['POST', '/api/2.0/mlflow/experiments/get-by-name'],
    ['GET', '/health'],
    ['POST', '/health'],
    ['GET', '/version'],
  ])('%s %s is not a write', (method, path) => {
    expect(mlflowWriteKind(method, path)).toBeUndefined();
  });
});
