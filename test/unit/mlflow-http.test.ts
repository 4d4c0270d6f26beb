import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { MlflowError } from '../../src/core/errors.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { freePort } from '../helpers/free-port.js';

// The MLflow client's transport against a local fake server that scripts one answer per request and
// fails the test on any request it did not expect: error mapping, retries, auth, timeouts.

type Reply = { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number };
interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server | undefined;
let client: MlflowClient | undefined;

async function fake(replies: Reply[]): Promise<{ uri: string; seen: Seen[]; unexpected: () => number }> {
  const seen: Seen[] = [];
  let unexpected = 0;
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const reply = replies.shift();
      if (reply === undefined) {
        unexpected++;
        res.writeHead(599).end();
        return;
      }
      setTimeout(() => {
        res.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.headers ?? {}) });
        res.end(
          reply.body === undefined
            ? ''
            : typeof reply.body === 'string'
              ? reply.body
              : JSON.stringify(reply.body),
        );
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { uri: `http://127.0.0.1:${port}`, seen, unexpected: () => unexpected };
}

const fast = { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5, maxTotalWaitMs: 5000 };

afterEach(async () => {
  await client?.close();
  client = undefined;
  await new Promise<void>((resolve) => (server !== undefined ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('MLflow client errors', () => {
  it('maps a 404 to MlflowError (endpoint, status, error_code, message) and treats it as absent for lookups', async () => {
    const body = { error_code: 'RESOURCE_DOES_NOT_EXIST', message: "Run '42' not found" };
    const { uri, unexpected } = await fake([
      { status: 404, body },
      { status: 404, body },
    ]);
    client = new MlflowClient({ trackingUri: uri, retry: fast });
    const error = await client.getRun('42').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowError);
    expect(error).toMatchObject({
      endpoint: 'GET /api/2.0/mlflow/runs/get',
      status: 404,
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
      retryable: false,
    });
    expect((error as Error).message).toContain("Run '42' not found");
    expect(await client.getExperimentByName('nope')).toBeUndefined();
    expect(unexpected()).toBe(0);
  });

  it('maps a 400 with its error_code and does not retry it', async () => {
    const { uri, seen } = await fake([
      { status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'bad key' } },
    ]);
    client = new MlflowClient({ trackingUri: uri, retry: fast });
    const error = await client.setTag('r', 'k', 'v').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, errorCode: 'INVALID_PARAMETER_VALUE' });
    expect(seen).toHaveLength(1);
  });

  it('explains a 401 in terms of the credentials to set', async () => {
    const { uri } = await fake([
      {
        status: 401,
        body: 'You are not authenticated.',
        headers: { 'www-authenticate': 'Basic realm="mlflow"' },
      },
    ]);
    client = new MlflowClient({ trackingUri: uri, retry: fast });
    const error = await client.getExperimentByName('x').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, retryable: false });
    expect((error as Error).message).toMatch(/rejected the credentials.*MLFLOW_TRACKING_USERNAME/);
  });
});

describe('MLflow client retries', () => {
  it('retries 429 and 503 for any call, honouring retry-after', async () => {
    const { uri, seen } = await fake([
      { status: 429, headers: { 'retry-after': '0' } },
      { status: 503 },
      { status: 200, body: { experiment_id: '5' } },
    ]);
    client = new MlflowClient({ trackingUri: uri, retry: fast });
    expect(await client.createExperiment({ name: 'x' })).toBe('5');
    expect(seen).toHaveLength(3);
  });

  it('retries a 500 for an idempotent write but never for a create (its answer may be lost)', async () => {
    const { uri, seen } = await fake([
      { status: 500, body: { error_code: 'INTERNAL_ERROR', message: 'db' } },
      { status: 200, body: {} },
      { status: 500, body: { error_code: 'INTERNAL_ERROR', message: 'db' } },
    ]);
    client = new MlflowClient({ trackingUri: uri, retry: fast });
    await client.setTag('r', 'k', 'v');
    expect(seen).toHaveLength(2);
    const error = await client.createRun({ experimentId: '1', startTime: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 500, errorCode: 'INTERNAL_ERROR', retryable: true });
    expect(seen).toHaveLength(3);
  });

  it('retries a create when the server was not reachable at all (it never saw the request)', async () => {
    const port = await freePort();
    client = new MlflowClient({ trackingUri: `http://127.0.0.1:${port}`, retry: { ...fast, maxRetries: 2 } });
    const started = Date.now();
    const error = await client.createRun({ experimentId: '1', startTime: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowError);
    expect(error).toMatchObject({ status: undefined, retryable: true });
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('times out a slow answer; does not repeat a timed-out create', async () => {
    const { uri, seen } = await fake([{ status: 200, body: {}, delayMs: 2000 }]);
    client = new MlflowClient({ trackingUri: uri, retry: fast, timeoutMs: 200 });
    const error = await client.createRun({ experimentId: '1', startTime: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: true });
    expect((error as Error).message).toContain('timed out');
    expect(seen).toHaveLength(1);
  });

  it('rejects a response that does not have the expected shape', async () => {
    const { uri } = await fake([{ status: 200, body: { something: 'else' } }]);
    client = new MlflowClient({ trackingUri: uri, retry: fast });
    await expect(client.createExperiment({ name: 'x' })).rejects.toThrow(/unexpected response/);
  });
});

describe('MLflow client auth and paths', () => {
  it('sends Basic auth from MLFLOW_TRACKING_USERNAME/PASSWORD on every request, artifacts included', async () => {
    const { uri, seen } = await fake([
      { status: 200, body: {} },
      { status: 200, body: {} },
    ]);
    const env = readEnv({ MLFLOW_TRACKING_USERNAME: 'admin', MLFLOW_TRACKING_PASSWORD: 'pw' });
    client = new MlflowClient({ trackingUri: `${uri}/prefix/`, env, retry: fast });
    await client.setTag('r', 'k', 'v');
    await client.uploadArtifact({
      artifactUri: 'mlflow-artifacts:/1/abc/artifacts',
      path: 'dir/a b.json',
      body: '{}',
    });
    const basic = `Basic ${Buffer.from('admin:pw').toString('base64')}`;
    expect(seen.map((s) => s.headers.authorization)).toEqual([basic, basic]);
    expect(seen[0]?.url).toBe('/prefix/api/2.0/mlflow/runs/set-tag');
    expect(seen[1]).toMatchObject({
      method: 'PUT',
      url: '/prefix/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/dir/a%20b.json',
      body: '{}',
    });
  });

  it('sends Bearer auth from MLFLOW_TRACKING_TOKEN when no username is set', async () => {
    const { uri, seen } = await fake([{ status: 200, body: {} }]);
    client = new MlflowClient({
      trackingUri: uri,
      env: readEnv({ MLFLOW_TRACKING_TOKEN: 't0k' }),
      retry: fast,
    });
    await client.setTag('r', 'k', 'v');
    expect(seen[0]?.headers.authorization).toBe('Bearer t0k');
  });

  it('refuses artifact locations the proxy cannot write, and non-http tracking URIs', () => {
    client = new MlflowClient({ trackingUri: 'http://127.0.0.1:1' });
    expect(() => client?.artifactProxyPath('s3://bucket/x', 'a')).toThrow(MlflowError);
    expect(client.artifactProxyPath('mlflow-artifacts://host:5000/1/r/artifacts', 'x.json')).toBe(
      '/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/x.json',
    );
    expect(() => new MlflowClient({ trackingUri: 'file:///tmp/mlruns' })).toThrow(/not an http/);
  });

  it('reports OTLP as unsupported when the server has no /v1/traces', async () => {
    const { uri } = await fake([{ status: 404, body: 'Not Found' }]);
    client = new MlflowClient({ trackingUri: uri, retry: fast });
    expect(await client.logSpansOtlp('1', { resourceSpans: [] })).toBe('unsupported');
  });
});
