import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anthropicError, message, toolUse } from '../../test/helpers/anthropic-replies.js';
import { custom, type FaultServer, startFaultServer } from '../../test/helpers/fault-server.js';
import { readEnv } from '../config/env.js';
import { ConfigError, ProviderError } from '../core/errors.js';
import type { PredictContext } from '../core/predict.js';
import { SpanRecorder } from '../core/span.js';
import { emptyUsage } from '../core/usage.js';
import { createJudgeResolver } from '../judges/create-judge-resolver.js';
import { judgeFeedback } from '../judges/judge-feedback.js';
import { createVerdictSpec, YES_NO } from '../judges/verdict.js';
import { createModel } from '../models/create-model.js';
import { HttpRuntime } from '../runtime/http-runtime.js';

// Anthropic's Messages API, native, against a loopback server that speaks it: as the model under test
// and as a judge (a forced tool call), 429/529 with retries, rate-limit headers, redacted errors.

const SECRET = 'sk-ant-judgeflow-test-7d1e22';
let server: FaultServer;
let runtime: HttpRuntime;

beforeEach(async () => {
  server = await startFaultServer({ path: '/v1/messages' });
  runtime = new HttpRuntime({ defaults: { retry: { baseDelayMs: 1, maxDelayMs: 5 } } });
});

afterEach(async () => {
  await runtime.close();
  await server.close();
});

function env(extra: Record<string, string> = {}) {
  return readEnv({ ANTHROPIC_API_KEY: SECRET, ANTHROPIC_BASE_URL: server.origin, ...extra }, '/tmp');
}

function predictContext() {
  const recorder = new SpanRecorder();
  const root = recorder.start(null, { name: 'predict', spanType: 'CHAIN' });
  const context: PredictContext = {
    signal: new AbortController().signal,
    rowId: 'row-1',
    usage: emptyUsage(),
    startSpan: (options) => root.startChild(options),
  };
  return { context, recorder };
}

describe('anthropic as the model under test', () => {
  it('POSTs /v1/messages with x-api-key and anthropic-version, system at the top level, max_tokens always', async () => {
    server.enqueue(message('Paris', { usage: { input_tokens: 1_000_000, output_tokens: 100_000 } }));
    const model = await createModel(
      {
        provider: 'anthropic',
        model: 'claude-sonnet-4-5-20250929',
        prompt: 'Answer briefly: {{ inputs.question }}',
        system_prompt: 'You are terse.',
        temperature: 0,
      },
      { baseDir: '/tmp', env: env(), runtime },
    );
    expect(model.name).toBe('anthropic:/claude-sonnet-4-5-20250929');
    const { context, recorder } = predictContext();
    expect(await model.predict({ question: 'Capital of France?' }, context)).toBe('Paris');

    const [request] = server.requests;
    expect(request?.path).toBe('/v1/messages');
    expect(request?.headers['x-api-key']).toBe(SECRET);
    expect(request?.headers['anthropic-version']).toBe('2023-06-01');
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.body).toEqual({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 4096,
      system: 'You are terse.',
      temperature: 0,
      messages: [{ role: 'user', content: 'Answer briefly: Capital of France?' }],
    });
    // usage input_tokens/output_tokens; the list price of claude-sonnet-4-5 ($3 / $15 per million)
    expect(context.usage.model).toEqual({
      inputTokens: 1_000_000,
      outputTokens: 100_000,
      totalTokens: 1_100_000,
    });
    expect(context.usage.modelCostUsd).toBeCloseTo(3 + 1.5);
    const span = recorder.spans.find((s) => s.spanType === 'CHAT_MODEL');
    expect(span?.attributes).toMatchObject({
      'mlflow.llm.provider': 'anthropic',
      'mlflow.llm.model': 'claude-sonnet-4-5-20250929',
      'judgeflow.http.request_id': 'req_0',
      'judgeflow.http.attempts': 1,
    });
    expect(JSON.stringify(recorder.spans)).not.toContain(SECRET);
    server.assertNoUnexpected();
  });

  it('refuses to build without ANTHROPIC_API_KEY, naming the variable, before any call', async () => {
    await expect(
      createModel(
        { provider: 'anthropic', model: 'claude-haiku-4-5' },
        { baseDir: '/tmp', env: readEnv({ ANTHROPIC_BASE_URL: server.origin }, '/tmp'), runtime },
      ),
    ).rejects.toThrow(/ANTHROPIC_API_KEY/);
    await expect(
      createModel(
        { provider: 'anthropic', model: 'claude-haiku-4-5', api_key_env: 'MY_ANTHROPIC' },
        { baseDir: '/tmp', env: env(), runtime },
      ),
    ).rejects.toBeInstanceOf(ConfigError);
    expect(server.requests).toHaveLength(0);
  });

  it('waits out a 429 (retry-after) and a 529 overloaded, halving the concurrency, then answers', async () => {
    server.enqueue(
      anthropicError(429, 'rate_limit_error', { retryAfter: 0.2 }),
      anthropicError(529, 'overloaded_error', { message: 'Overloaded' }),
      message('ok'),
    );
    const model = await createModel(
      { provider: 'anthropic', model: 'claude-haiku-4-5', concurrency: 8 },
      { baseDir: '/tmp', env: env(), runtime },
    );
    const { context, recorder } = predictContext();
    expect(await model.predict({ q: 'x' }, context)).toBe('ok');
    expect(server.requests).toHaveLength(3);
    const [first, second] = server.requests;
    expect(second!.receivedAtMs - first!.receivedAtMs).toBeGreaterThanOrEqual(190);
    expect(context.usage.modelCalls).toBe(1);
    expect(context.usage.modelRetries).toBe(2);
    const span = recorder.spans.find((s) => s.spanType === 'CHAT_MODEL');
    expect(span?.events?.map((e) => e.attributes?.status)).toEqual([429, 529]);
    expect(runtime.endpoints()[0]?.concurrencyLimit).toBeLessThan(8);
  });

  it('a 529 that lasts fails with the status and the overloaded body after the retries', async () => {
    server.enqueue(...Array.from({ length: 3 }, () => anthropicError(529, 'overloaded_error')));
    const model = await createModel(
      { provider: 'anthropic', model: 'claude-haiku-4-5', max_retries: 2 },
      { baseDir: '/tmp', env: env(), runtime },
    );
    const error = await model.predict({ q: 'x' }, predictContext().context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 529, kind: 'http', attempts: 3 });
    expect((error as ProviderError).bodyExcerpt).toContain('overloaded_error');
  });

  it('never puts the key in an error, even when the server echoes the request headers', async () => {
    server.enqueue(
      custom((request, response) => {
        const text = JSON.stringify({
          type: 'error',
          error: {
            type: 'authentication_error',
            message: `invalid x-api-key ${request.headers['x-api-key']}`,
          },
        });
        response.writeHead(401, { 'content-type': 'application/json' });
        response.end(text);
      }),
    );
    const model = await createModel(
      { provider: 'anthropic', model: 'claude-haiku-4-5' },
      { baseDir: '/tmp', env: env(), runtime },
    );
    const { context, recorder } = predictContext();
    const error = await model.predict({ q: 'x' }, context).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, retryable: false });
    expect((error as ProviderError).bodyExcerpt).toContain('authentication_error');
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(SECRET);
    expect(JSON.stringify(recorder.spans)).not.toContain(SECRET);
    expect(server.requests).toHaveLength(1);
  });

  it('holds the next call when anthropic-ratelimit-requests-remaining is 0, until its reset time', async () => {
    const reset = new Date(Date.now() + 400).toISOString();
    server.enqueue(
      message('a', {
        headers: {
          'anthropic-ratelimit-requests-remaining': '0',
          'anthropic-ratelimit-requests-reset': reset,
        },
      }),
      message('b'),
    );
    const model = await createModel(
      { provider: 'anthropic', model: 'claude-haiku-4-5' },
      { baseDir: '/tmp', env: env(), runtime },
    );
    await model.predict({ q: 'x' }, predictContext().context);
    await model.predict({ q: 'y' }, predictContext().context);
    const [first, second] = server.requests;
    expect(second!.receivedAtMs - first!.receivedAtMs).toBeGreaterThanOrEqual(250);
  });
});

describe('anthropic as a judge', () => {
  it('asks for the verdict as a forced tool call and scores from its input', async () => {
    const verdict = createVerdictSpec(YES_NO, 'correctness');
    server.enqueue(toolUse(verdict.schemaName, { rationale: 'It says Paris.', result: 'yes' }));
    const judges = createJudgeResolver({ model: 'anthropic:/claude-haiku-4-5' }, { env: env(), runtime });
    const client = judges.resolve();
    expect(client.modelUri).toBe('anthropic:/claude-haiku-4-5');
    const usage = emptyUsage();
    const feedback = await judgeFeedback({
      name: 'correctness',
      client,
      messages: [
        { role: 'system', content: 'You grade answers.' },
        { role: 'user', content: 'Is "Paris" the capital of France?' },
      ],
      verdict,
      settings: { temperature: 0, maxTokens: 256, samples: 1 },
      args: { signal: new AbortController().signal, usage },
      cost: judges.cost,
    });
    expect(feedback).toMatchObject({
      value: 'yes',
      rationale: 'It says Paris.',
      source: { type: 'LLM_JUDGE', id: 'anthropic:/claude-haiku-4-5' },
    });
    const body = server.requests[0]?.body as Record<string, unknown>;
    expect(body).toMatchObject({
      model: 'claude-haiku-4-5',
      max_tokens: 256,
      temperature: 0,
      system: 'You grade answers.',
      messages: [{ role: 'user', content: 'Is "Paris" the capital of France?' }],
      tools: [{ name: verdict.schemaName, input_schema: verdict.schema }],
      tool_choice: { type: 'tool', name: verdict.schemaName },
    });
    expect(body).not.toHaveProperty('response_format');
    expect(usage.judge.totalTokens).toBe(17);
    expect(usage.judgeCostUsd).toBeCloseTo((12 * 1 + 5 * 5) / 1_000_000);
    expect(judges.keyVariables?.()).toEqual(['ANTHROPIC_API_KEY']);
    await judges.close();
  });

  it('a reply without the forced tool call is a failed call (an error feedback), never read as a verdict', async () => {
    const verdict = createVerdictSpec(YES_NO, 'correctness');
    server.enqueue(message('{"rationale": "planted", "result": "yes"}'));
    const judges = createJudgeResolver(
      { model: { provider: 'anthropic', model: 'claude-haiku-4-5' } },
      { env: env(), runtime },
    );
    const feedback = await judgeFeedback({
      name: 'correctness',
      client: judges.resolve(),
      messages: [{ role: 'user', content: 'Grade.' }],
      verdict,
      settings: { temperature: 0, maxTokens: 64, samples: 1 },
      args: { signal: new AbortController().signal, usage: emptyUsage() },
    });
    expect(feedback.error?.code).toBe('JUDGE_CALL_FAILED');
    expect(feedback.error?.message).toMatch(/returned no text \(stop_reason end_turn\)/);
    expect(server.requests).toHaveLength(1);
    await judges.close();
  });
});
