import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/core/errors.js';
import type { RowResult } from '../../src/core/result.js';
import { emptyUsage } from '../../src/core/usage.js';
import {
  BATCH_WRITER_DETECTION_PATH,
  BATCH_WRITER_WRITE_PATH,
  batchTraceJson,
  planBatchRequests,
  probeBatchWriter,
  writeTraceBatch,
} from '../../src/sinks/mlflow/batch-writer.js';
import { MlflowClient } from '../../src/sinks/mlflow/client.js';
import { msToNanos } from '../../src/sinks/mlflow/span-encoding.js';
import { buildTraceJob, type TraceContext, type TraceJob } from '../../src/sinks/mlflow/trace-job.js';

// The batch writer's client: the body built from a TraceJob, the split into requests within the
// server's limits, detection (any non-conforming answer = absent) and error context — against a local
// fake server that fails on any request it did not expect. The real server is exercised in
// test/integration/mlflow-batch-writer.test.ts.

const context: TraceContext = {
  runId: 'f'.repeat(32),
  experimentId: '12',
  user: 'ada',
  sourceName: 'eval.yaml',
  sourceType: 'LOCAL',
};

function row(index: number, text = 'x'): RowResult {
  const start = 1_795_970_988_255.125 + index;
  return {
    id: `row-${index}`,
    index,
    inputs: { question: `q${index} ${text}` },
    outputs: `a${index}`,
    expectations: { expected_response: `a${index}` },
    tags: { topic: 'math' },
    feedbacks: [{ name: 'exact_match', value: true, source: { type: 'CODE', id: 'exact_match' } }],
    trace: {
      spans: [
        {
          spanId: '0123456789abcdef',
          parentId: null,
          name: 'predict',
          spanType: 'CHAIN',
          startTimeMs: start,
          endTimeMs: start + 20,
          inputs: { question: `q${index}` },
          outputs: `a${index}`,
          attributes: {},
          status: { code: 'OK' },
        },
      ],
    },
    usage: emptyUsage(),
    durationMs: 20,
  };
}

const jobs = (n: number, text?: string): TraceJob[] =>
  Array.from({ length: n }, (_, i) => buildTraceJob(row(i, text), context));

describe('batchTraceJson', () => {
  it('carries StartTraceV3 trace info with the assessments inline and Python span dicts', () => {
    const [job] = jobs(1) as [TraceJob];
    const text = batchTraceJson(job);
    const trace = JSON.parse(text);
    expect(trace.trace_info).toEqual({
      ...job.traceInfo,
      tags: { ...job.traceInfo.tags, 'service.name': 'judgeflow' },
      assessments: job.assessments,
    });
    expect(trace.trace_info.assessments).toHaveLength(2);
    expect(trace.spans).toHaveLength(1);
    const [span] = trace.spans;
    expect(span.trace_id).toBe(Buffer.from(job.traceIdHex, 'hex').toString('base64'));
    expect(span.span_id).toBe(Buffer.from(job.rootSpanId, 'hex').toString('base64'));
    expect(span.parent_span_id).toBeNull();
    expect(span.status).toEqual({ code: 'STATUS_CODE_OK', message: '' });
    expect(span.attributes['mlflow.spanType']).toBe('"CHAIN"');
    expect(span.attributes['mlflow.traceRequestId']).toBe(JSON.stringify(job.traceId));
    // Nanoseconds beyond 2^53 travel as exact integer literals.
    const start = msToNanos(1_795_970_988_255.125);
    expect(text).toContain(`"start_time_unix_nano":${start},`);
  });

  it('adds the OTLP resource tag only to a trace with spans (the REST path sends none without)', () => {
    const [job] = jobs(1) as [TraceJob];
    const trace = JSON.parse(batchTraceJson({ ...job, spans: [] }));
    expect(trace.spans).toEqual([]);
    expect(trace.trace_info.tags).toEqual(job.traceInfo.tags);
  });
});

describe('planBatchRequests', () => {
  const target = { experimentId: '12', runId: context.runId };

  function traceIds(body: string): string[] {
    return JSON.parse(body).traces.map((t: { trace_info: { trace_id: string } }) => t.trace_info.trace_id);
  }

  it('puts every job in exactly one request, in order, at most maxTracesPerRequest each', () => {
    const all = jobs(5);
    const requests = planBatchRequests(all, target, { maxTracesPerRequest: 2, maxRequestBytes: 10_000_000 });
    expect(requests.map((r) => r.jobs.length)).toEqual([2, 2, 1]);
    expect(requests.flatMap((r) => traceIds(r.body))).toEqual(all.map((j) => j.traceId));
    for (const request of requests) {
      const body = JSON.parse(request.body);
      expect(body.experiment_id).toBe('12');
      expect(body.run_id).toBe(context.runId);
      expect(request.bytes).toBe(Buffer.byteLength(request.body));
    }
  });

  it('keeps every body within maxRequestBytes (counted in UTF-8 bytes)', () => {
    const all = jobs(9, 'é'.repeat(300));
    const one = Buffer.byteLength(batchTraceJson(all[0] as TraceJob));
    const limit = Math.floor(one * 2.5);
    const requests = planBatchRequests(all, target, { maxTracesPerRequest: 500, maxRequestBytes: limit });
    expect(requests.length).toBeGreaterThanOrEqual(4);
    for (const request of requests) {
      expect(request.bytes).toBe(Buffer.byteLength(request.body));
      expect(request.bytes).toBeLessThanOrEqual(limit);
      expect(request.jobs.length).toBeGreaterThan(0);
    }
    expect(requests.flatMap((r) => traceIds(r.body))).toEqual(all.map((j) => j.traceId));
  });

  it('omits run_id when there is no run to link', () => {
    const [request] = planBatchRequests(
      jobs(1),
      { experimentId: '3' },
      { maxTracesPerRequest: 5, maxRequestBytes: 1e7 },
    );
    expect(Object.keys(JSON.parse(request?.body ?? '{}'))).toEqual(['experiment_id', 'traces']);
  });

  it('refuses a trace larger than a whole request', () => {
    const big = jobs(1, 'y'.repeat(5000));
    expect(() => planBatchRequests(big, target, { maxTracesPerRequest: 5, maxRequestBytes: 2000 })).toThrow(
      MlflowError,
    );
    expect(() => planBatchRequests(big, target, { maxTracesPerRequest: 5, maxRequestBytes: 2000 })).toThrow(
      /trace tr-[0-9a-f]{32} \(row row-0\) is \d+ bytes as JSON, more than the batch writer's whole request limit \(2000 bytes\)/,
    );
  });
});

// ---- against a scripted local server --------------------------------------------------------

type Reply = { status: number; body: string; contentType?: string };
let server: http.Server | undefined;
let client: MlflowClient | undefined;

async function fake(replies: Reply[]) {
  const seen: Array<{ method: string; url: string; body: string }> = [];
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      const reply = replies.shift();
      if (reply === undefined) {
        res.writeHead(599).end();
        return;
      }
      res
        .writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json' })
        .end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new MlflowClient({
    trackingUri: `http://127.0.0.1:${port}`,
    retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2, maxTotalWaitMs: 100 },
  });
  return { client, seen, left: () => replies.length };
}

afterEach(async () => {
  await client?.close();
  client = undefined;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

const announced = {
  version: 1,
  mlflow_version: '3.17.2',
  max_traces_per_request: 500,
  max_request_bytes: 33554432,
};

describe('probeBatchWriter', () => {
  it('reads the announced limits', async () => {
    const { client, seen } = await fake([{ status: 200, body: JSON.stringify(announced) }]);
    expect(await probeBatchWriter(client)).toEqual({
      version: 1,
      mlflowVersion: '3.17.2',
      maxTracesPerRequest: 500,
      maxRequestBytes: 33554432,
    });
    expect(seen).toEqual([{ method: 'GET', url: BATCH_WRITER_DETECTION_PATH, body: '' }]);
  });

  it.each([
    ['a stock server 404', { status: 404, body: '{"error_code":"ENDPOINT_NOT_FOUND"}' }],
    ['an HTML page', { status: 200, body: '<!doctype html><title>MLflow</title>', contentType: 'text/html' }],
    ['another contract version', { status: 200, body: JSON.stringify({ ...announced, version: 2 }) }],
    ['missing limits', { status: 200, body: JSON.stringify({ version: 1, mlflow_version: '3.17.2' }) }],
    ['a zero limit', { status: 200, body: JSON.stringify({ ...announced, max_traces_per_request: 0 }) }],
    ['a client error', { status: 403, body: '{"error_code":"PERMISSION_DENIED"}' }],
  ])('treats %s as absent', async (_, reply) => {
    const { client, left } = await fake([reply]);
    expect(await probeBatchWriter(client)).toBeUndefined();
    expect(left()).toBe(0);
  });

  it('throws when the server gives no answer (an outage is not "absent")', async () => {
    const unreachable = new MlflowClient({
      trackingUri: 'http://127.0.0.1:9',
      retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxTotalWaitMs: 1 },
    });
    try {
      await expect(probeBatchWriter(unreachable)).rejects.toBeInstanceOf(MlflowError);
    } finally {
      await unreachable.close();
    }
  });
});

describe('writeTraceBatch', () => {
  const limits = { maxTracesPerRequest: 2, maxRequestBytes: 10_000_000 };

  it('posts the planned requests one after another and adds up the answers', async () => {
    const { client, seen } = await fake([
      { status: 200, body: '{"traces":2,"created":2,"merged":0}' },
      { status: 200, body: '{"traces":1,"created":0,"merged":1}' },
    ]);
    const all = jobs(3);
    const result = await writeTraceBatch(client, all, { experimentId: '12', runId: context.runId, limits });
    expect(result).toEqual({ traces: 3, created: 2, merged: 1, requests: 2 });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      `POST ${BATCH_WRITER_WRITE_PATH}`,
      `POST ${BATCH_WRITER_WRITE_PATH}`,
    ]);
    expect(seen.map((s) => s.body)).toEqual(
      planBatchRequests(all, { experimentId: '12', runId: context.runId }, limits).map((r) => r.body),
    );
  });

  it("names the row and trace behind the server's traces[i] in a 400", async () => {
    const { client } = await fake([
      {
        status: 400,
        body: JSON.stringify({
          error_code: 'INVALID_PARAMETER_VALUE',
          message: 'traces[1].spans[0].span_id: expected base64 of 8 bytes',
        }),
      },
    ]);
    const all = jobs(2);
    const attempt = writeTraceBatch(client, all, { experimentId: '12', limits });
    await expect(attempt).rejects.toBeInstanceOf(MlflowError);
    await expect(attempt).rejects.toMatchObject({
      status: 400,
      errorCode: 'INVALID_PARAMETER_VALUE',
      retryable: false,
      message: expect.stringContaining(`(traces[1] is row row-1, trace ${all[1]?.traceId})`),
    });
  });
});
