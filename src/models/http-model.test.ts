import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FaultServer, ok, startFaultServer, status } from '../../test/helpers/fault-server.js';
import { readEnv } from '../config/env.js';
import { ConfigError, ProviderError } from '../core/errors.js';
import type { PredictContext } from '../core/predict.js';
import { SpanRecorder } from '../core/span.js';
import { emptyUsage } from '../core/usage.js';
import { HttpRuntime } from '../runtime/http-runtime.js';
import { createOpenAiCompatibleModel, type HttpModelConfig, renderPrompt } from './http-model.js';

const SECRET = 'sk-judgeflow-test-4f9a1c';

let server: FaultServer;
let runtime: HttpRuntime;

beforeEach(async () => {
  server = await startFaultServer();
  runtime = new HttpRuntime({ defaults: { retry: { baseDelayMs: 1, maxDelayMs: 5 } } });
});

afterEach(async () => {
  await runtime.close();
  await server.close();
});

/** A predict context like the pipeline's: spans open under a root span in a recorder. */
function predictContext(signal: AbortSignal = new AbortController().signal) {
  const recorder = new SpanRecorder();
  const root = recorder.start(null, { name: 'predict', spanType: 'CHAIN' });
  const context: PredictContext = {
    signal,
    rowId: 'row-1',
    usage: emptyUsage(),
    startSpan: (options) => root.startChild(options),
  };
  return { context, recorder, root };
}

function model(config: Partial<HttpModelConfig> = {}, env: Record<string, string> = {}) {
  return createOpenAiCompatibleModel(
    {
      provider: 'openai-compatible',
      base_url: server.baseUrl,
      model: 'qa-model',
      ...config,
    } as HttpModelConfig,
    { env: readEnv({ MODEL_KEY: SECRET, ...env }, '/tmp'), runtime },
  );
}

describe('openai-compatible provider', () => {
  it('renders the prompt, sends the system prompt and settings with the key as Bearer, returns the text', async () => {
    server.enqueue(ok('Paris', { usage: { prompt_tokens: 21, completion_tokens: 2, total_tokens: 23 } }));
    const m = model({
      prompt: 'Answer briefly: {{ inputs.question }}',
      system_prompt: 'You are terse.',
      temperature: 0,
      max_tokens: 32,
      api_key_env: 'MODEL_KEY',
    });
    expect(m.name).toBe('openai-compatible:/qa-model');
    const { context, recorder, root } = predictContext();
    const output = await m.predict({ question: 'Capital of France?' }, context);
    root.end();
    expect(output).toBe('Paris');

    const [request] = server.requests;
    expect(request!.path).toBe('/v1/chat/completions');
    expect(request!.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(request!.body).toEqual({
      model: 'qa-model',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Answer briefly: Capital of France?' },
      ],
      temperature: 0,
      max_tokens: 32,
    });

    const span = recorder.spans.find((s) => s.spanType === 'CHAT_MODEL');
    expect(span).toBeDefined();
    expect(span!.parentId).toBe(root.spanId);
    expect(span!.status.code).toBe('OK');
    expect(span!.inputs).toMatchObject({ messages: (request!.body as { messages: unknown }).messages });
    expect(span!.attributes).toMatchObject({
      'mlflow.llm.model': 'qa-model',
      'mlflow.llm.provider': 'openai-compatible',
      'mlflow.chat.tokenUsage': { input_tokens: 21, output_tokens: 2, total_tokens: 23 },
      'judgeflow.http.attempts': 1,
    });
    expect(context.usage.model).toEqual({ inputTokens: 21, outputTokens: 2, totalTokens: 23 });
    expect(context.usage.modelCalls).toBe(1);
    server.assertNoUnexpected();
  });

  it('records retries on the span', async () => {
    server.enqueue(status(429, { retryAfterMs: 1 }), ok('fine'));
    const { context, recorder } = predictContext();
    expect(await model().predict({ q: 'x' }, context)).toBe('fine');
    const span = recorder.spans.find((s) => s.spanType === 'CHAT_MODEL')!;
    expect(span.attributes['judgeflow.http.attempts']).toBe(2);
    expect(span.events?.filter((e) => e.name === 'retry')).toHaveLength(1);
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
    // one request, one retry: summary.json reports them apart
    expect(context.usage.modelCalls).toBe(1);
    expect(context.usage.modelRetries).toBe(1);
  });

  it('sends a token limit only when configured, in the field the provider accepts', async () => {
    const sent = async (config: Partial<HttpModelConfig>, env: Record<string, string> = {}) => {
      server.reset();
      server.enqueue(ok('x'));
      const m =
        config.provider === 'openai'
          ? createOpenAiCompatibleModel({ model: 'o4-mini', ...config } as HttpModelConfig, {
              env: readEnv({ OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: server.baseUrl, ...env }, '/tmp'),
              runtime,
            })
          : model(config);
      await m.predict({ q: 'x' }, predictContext().context);
      return server.requests[0]!.body as Record<string, unknown>;
    };
    // not configured: no limit at all (a reasoning model answers 400 to an unasked-for max_tokens)
    const none = await sent({});
    expect(none).not.toHaveProperty('max_tokens');
    expect(none).not.toHaveProperty('max_completion_tokens');
    expect(await sent({ provider: 'openai' })).not.toHaveProperty('max_tokens');
    // OpenAI: max_completion_tokens; other servers: max_tokens
    const openai = await sent({ provider: 'openai', max_tokens: 64 });
    expect(openai.max_completion_tokens).toBe(64);
    expect(openai).not.toHaveProperty('max_tokens');
    expect(await sent({ max_tokens: 64 })).toMatchObject({ max_tokens: 64 });
    // configurable either way
    const reasoningBehindProxy = await sent({ max_tokens: 64, token_limit_field: 'max_completion_tokens' });
    expect(reasoningBehindProxy.max_completion_tokens).toBe(64);
    expect(reasoningBehindProxy).not.toHaveProperty('max_tokens');
    const legacyOpenAi = await sent({ provider: 'openai', max_tokens: 8, token_limit_field: 'max_tokens' });
    expect(legacyOpenAi).toMatchObject({ max_tokens: 8 });
    expect(legacyOpenAi).not.toHaveProperty('max_completion_tokens');
  });

  it('prices the model under test: model.prices, else OpenAI list prices; cost on the span and in usage', async () => {
    server.enqueue(
      ok('a', { usage: { prompt_tokens: 1_000_000, completion_tokens: 500_000, total_tokens: 1_500_000 } }),
    );
    const priced = model({ prices: { input_per_million: 2, output_per_million: 10 } });
    const { context, recorder } = predictContext();
    await priced.predict({ q: 'x' }, context);
    expect(context.usage.modelCostUsd).toBeCloseTo(7);
    expect(context.usage.costUsd).toBeCloseTo(7);
    expect(context.usage.judgeCostUsd).toBe(0);
    const span = recorder.spans.find((s) => s.spanType === 'CHAT_MODEL')!;
    expect(span.attributes['mlflow.llm.cost']).toEqual({ input_cost: 2, output_cost: 5, total_cost: 7 });

    server.enqueue(
      ok('b', { usage: { prompt_tokens: 1_000_000, completion_tokens: 0, total_tokens: 1_000_000 } }),
    );
    const listed = createOpenAiCompatibleModel(
      { provider: 'openai', model: 'gpt-4o-mini' } as HttpModelConfig,
      {
        env: readEnv({ OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: server.baseUrl }, '/tmp'),
        runtime,
      },
    );
    const second = predictContext();
    await listed.predict({ q: 'x' }, second.context);
    expect(second.context.usage.modelCostUsd).toBeCloseTo(0.15);

    // an unknown price is no cost, never a guess
    server.enqueue(ok('c', { usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 } }));
    const third = predictContext();
    await model().predict({ q: 'x' }, third.context);
    expect(third.context.usage.costUsd).toBe(0);
  });

  it('a failed call ends the span with an error and never exposes the API key', async () => {
    server.enqueue(status(401, { body: '{"error":{"message":"invalid api key"}}' }));
    const { context, recorder } = predictContext();
    const m = model({ api_key_env: 'MODEL_KEY' });
    const error = await m.predict({ q: 'x' }, context).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 401, kind: 'http', retryable: false });
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(SECRET);
    const span = recorder.spans.find((s) => s.spanType === 'CHAT_MODEL')!;
    expect(span.status.code).toBe('ERROR');
    expect(JSON.stringify(recorder.spans)).not.toContain(SECRET);
    // the request reached the server: it counts as a call, though it failed
    expect(context.usage.modelCalls).toBe(1);
    expect(context.usage.modelRetries).toBe(0);
  });

  it('provider openai defaults to OPENAI_API_KEY and OPENAI_BASE_URL', async () => {
    server.enqueue(ok('hi'));
    const m = createOpenAiCompatibleModel({ provider: 'openai', model: 'gpt-4o-mini' } as HttpModelConfig, {
      env: readEnv({ OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: server.baseUrl }, '/tmp'),
      runtime,
    });
    const { context } = predictContext();
    expect(await m.predict({ question: 'hello' }, context)).toBe('hi');
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(m.name).toBe('openai:/gpt-4o-mini');
  });

  it('rejects bad configuration before any call', () => {
    const env = readEnv({}, '/tmp');
    const build = (config: Partial<HttpModelConfig>) => () =>
      createOpenAiCompatibleModel({ provider: 'vllm', model: 'm', ...config } as HttpModelConfig, {
        env,
        runtime,
      });
    expect(build({})).toThrow(ConfigError);
    expect(build({})).toThrow(/base_url/);
    expect(build({ base_url: server.baseUrl, api_key_env: 'MISSING_KEY' })).toThrow(/MISSING_KEY/);
    expect(build({ base_url: server.baseUrl, prompt: 'Say {{ outputs }}' })).toThrow(/model\.prompt/);
    expect(() =>
      createOpenAiCompatibleModel({ provider: 'openai', model: 'gpt' } as HttpModelConfig, { env, runtime }),
    ).toThrow(/OPENAI_API_KEY/);
    expect(server.requests).toHaveLength(0);
  });

  it('an aborted row ends its call', async () => {
    const { context } = predictContext(AbortSignal.abort());
    await expect(model().predict({ q: 'x' }, context)).rejects.toMatchObject({ kind: 'aborted' });
    expect(server.requests).toHaveLength(0);
  });
});

describe('renderPrompt', () => {
  it('uses the only string input as it is', () => {
    expect(renderPrompt(undefined, { question: 'What is MLflow?' })).toBe('What is MLflow?');
  });
  it('renders other inputs as JSON', () => {
    expect(renderPrompt(undefined, { question: 'Q', context: 'C' })).toBe('{"question":"Q","context":"C"}');
    expect(renderPrompt(undefined, { n: 3 })).toBe('{"n":3}');
  });
  it('renders a template over inputs, JSON for non-strings', () => {
    expect(renderPrompt('Q: {{ inputs.q }} / {{ inputs.meta }}', { q: 'x', meta: { a: 1 } })).toBe(
      'Q: x / {"a":1}',
    );
  });
  it('fails on a missing input', () => {
    expect(() => renderPrompt('{{ inputs.missing }}', { q: 'x' })).toThrow(/inputs\.missing/);
  });
});
