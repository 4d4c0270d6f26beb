import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  chatCompletionResponseSchema,
  chatCompletionText,
  chatCompletionUsage,
} from '../../src/providers/openai-wire.js';
import { HttpRuntime } from '../../src/runtime/http-runtime.js';
import { type LatencyServer, startLatencyServer, valueForSchema } from '../helpers/latency-server.js';

let server: LatencyServer | undefined;
const runtime = new HttpRuntime();

afterEach(async () => {
  await server?.close();
  server = undefined;
});

afterAll(() => runtime.close());

describe('valueForSchema', () => {
  it('fills a judge verdict schema with simple values', () => {
    const schema = {
      type: 'object',
      properties: {
        rationale: { type: 'string' },
        result: { type: 'string', enum: ['yes', 'no'] },
        score: { type: 'integer', minimum: 1, maximum: 5 },
        ratio: { type: 'number', exclusiveMinimum: 0 },
        passed: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
        maybe: { type: ['string', 'null'] },
        nested: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
      },
      required: ['rationale', 'result', 'extra'],
      additionalProperties: false,
    };
    expect(valueForSchema(schema)).toEqual({
      rationale: 'yes',
      result: 'yes',
      score: 1,
      ratio: 1,
      passed: true,
      tags: ['yes', 'yes'],
      maybe: 'yes',
      nested: { ok: true },
      extra: 'yes',
    });
    expect(valueForSchema({ enum: ['fully', 'partly'] })).toBe('fully');
    expect(valueForSchema({ anyOf: [{ type: 'null' }, { type: 'boolean' }] })).toBe(true);
  });
});

describe('latency server', () => {
  it('answers with an echo and usage, and with a schema-valid verdict for json_schema requests', async () => {
    server = await startLatencyServer({ latencyMs: 5 });
    const endpoint = runtime.endpoint(server.baseUrl);
    const echo = await endpoint.postJson(
      '/chat/completions',
      { model: 'm', messages: [{ role: 'user', content: 'What is MLflow?' }] },
      { schema: chatCompletionResponseSchema },
    );
    expect(chatCompletionText(echo.data)).toBe('echo: What is MLflow?');
    expect(chatCompletionUsage(echo.data).totalTokens).toBeGreaterThan(0);

    const verdict = await endpoint.postJson(
      '/chat/completions',
      {
        model: 'judge',
        messages: [{ role: 'user', content: 'judge this' }],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'verdict',
            schema: {
              type: 'object',
              properties: { rationale: { type: 'string' }, result: { type: 'string', enum: ['yes', 'no'] } },
              required: ['rationale', 'result'],
            },
          },
        },
      },
      { schema: chatCompletionResponseSchema },
    );
    const parsed = z
      .object({ rationale: z.string(), result: z.enum(['yes', 'no']) })
      .parse(JSON.parse(chatCompletionText(verdict.data) ?? ''));
    expect(parsed.result).toBe('yes');
    expect(server.served).toBe(2);
  });

  it('runs as its own process and prints READY <port>', async () => {
    const script = path.resolve('test/helpers/latency-server.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, '--port', '0', '--latency-ms', '1'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      const match = /^READY (\d+)$/m.exec(chunk.toString());
      expect(match).not.toBeNull();
      const response = await fetch(`http://127.0.0.1:${match![1]}/health`);
      expect(await response.json()).toEqual({ status: 'ok' });
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
