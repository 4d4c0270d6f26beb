import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.js';
import { type JudgeServer, serveJudge } from '../../src/judges/serve-judge.js';
import type { LocalChatRequest, LocalChatResult, LocalModel } from '../../src/providers/local-model.js';
import { toChatHistory, toPlainPrompt } from '../../src/providers/local-model.js';

// The HTTP surface of serve-judge over a stand-in model (the real model's happy path is in the
// integration tier): routes, validation, the queue limit, error mapping.

interface FakeModel {
  model: LocalModel;
  requests: LocalChatRequest[];
  pending: number;
}

function fakeModel(
  answer: (request: LocalChatRequest) => Promise<LocalChatResult> | LocalChatResult,
): FakeModel {
  const state: FakeModel = { model: undefined as unknown as LocalModel, requests: [], pending: 0 };
  state.model = {
    name: 'tiny-judge',
    path: '/models/tiny-judge.gguf',
    contextSize: 4096,
    get pending() {
      return state.pending;
    },
    chat: async (request: LocalChatRequest) => {
      state.requests.push(request);
      return answer(request);
    },
    close: async () => {},
  } as unknown as LocalModel;
  return state;
}

const reply = (text: string): LocalChatResult => ({
  text,
  usage: { inputTokens: 12, outputTokens: 3, totalTokens: 15 },
  finishReason: 'stop',
  latencyMs: 1,
});

let server: JudgeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function post(
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${server?.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    json: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

const schema = {
  type: 'object',
  properties: { result: { type: 'string', enum: ['yes', 'no'] } },
  required: ['result'],
};

describe('serve-judge', () => {
  it('answers 503 on /health while the model loads, then 200; lists the model', async () => {
    const fake = fakeModel(() => reply('{}'));
    let finishLoading: () => void = () => {};
    const loaded = new Promise<void>((resolve) => {
      finishLoading = resolve;
    });
    server = await serveJudge({
      modelPath: '/models/tiny-judge.gguf',
      port: 0,
      loadModel: async () => loaded.then(() => fake.model),
    });
    expect((await fetch(`${server.url}/health`)).status).toBe(503);
    const early = await post({ messages: [{ role: 'user', content: 'hi' }] });
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('1');
    finishLoading();
    await server.ready;
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const models = (await (await fetch(`${server.baseUrl}/models`)).json()) as {
      data: Array<{ id: string }>;
    };
    expect(models.data.map((m) => m.id)).toEqual(['tiny-judge']);
  });

  it('turns a chat completion with response_format json_schema into a grammar-constrained call', async () => {
    const fake = fakeModel(() => reply('{"result":"yes"}'));
    server = await serveJudge({
      modelPath: 'x',
      port: 0,
      maxTokensCap: 100,
      loadModel: async () => fake.model,
    });
    await server.ready;
    const { status, json } = await post({
      model: 'anything',
      messages: [
        { role: 'developer', content: 'Judge.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Is it ' },
            { type: 'text', text: 'right?' },
          ],
        },
      ],
      max_tokens: 5000,
      response_format: { type: 'json_schema', json_schema: { name: 'v', schema, strict: true } },
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({
      object: 'chat.completion',
      model: 'tiny-judge',
      choices: [
        { index: 0, message: { role: 'assistant', content: '{"result":"yes"}' }, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
    });
    expect(fake.requests[0]).toMatchObject({
      messages: [
        { role: 'system', content: 'Judge.' },
        { role: 'user', content: 'Is it right?' },
      ],
      schema,
      maxTokens: 100,
      temperature: 0,
    });
  });

  it('rejects what it cannot do with 400/404, maps model errors, and sheds load with 503 + retry-after', async () => {
    const fake = fakeModel(async (request) => {
      const text = request.messages[0]?.content ?? '';
      if (text === 'too long')
        throw new ProviderError({
          message: 'prompt exceeds the context',
          url: 'local:x',
          kind: 'invalid_response',
          retryable: false,
        });
      if (text === 'crash')
        throw new ProviderError({ message: 'boom', url: 'local:x', kind: 'network', retryable: false });
      return reply('ok');
    });
    server = await serveJudge({ modelPath: 'x', port: 0, maxQueue: 1, loadModel: async () => fake.model });
    await server.ready;
    expect((await post('{not json')).status).toBe(400);
    expect((await post({ messages: [] })).status).toBe(400);
    expect((await post({ messages: [{ role: 'user', content: 'x' }], stream: true })).status).toBe(400);
    expect(
      (await post({ messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' } }))
        .status,
    ).toBe(200);
    expect(fake.requests.at(-1)?.schema).toEqual({ type: 'object', additionalProperties: true });
    expect((await fetch(`${server.url}/v1/embeddings`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await post({ messages: [{ role: 'user', content: 'too long' }] })).status).toBe(400);
    const crash = await post({ messages: [{ role: 'user', content: 'crash' }] });
    expect(crash.status).toBe(500);
    expect(crash.json).toMatchObject({ error: { message: expect.stringContaining('boom') } });

    fake.pending = 1;
    const busy = await post({ messages: [{ role: 'user', content: 'x' }] });
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
  });
});

describe('toChatHistory', () => {
  it('maps OpenAI roles to chat history and ends with the model turn to generate', () => {
    expect(
      toChatHistory([
        { role: 'system', content: 'S' },
        { role: 'user', content: 'U1' },
        { role: 'user', content: 'U2' },
        { role: 'assistant', content: 'A' },
        { role: 'user', content: 'U3' },
      ]),
    ).toEqual([
      { type: 'system', text: 'S' },
      { type: 'user', text: 'U1\n\nU2' },
      { type: 'model', response: ['A'] },
      { type: 'user', text: 'U3' },
      { type: 'model', response: [] },
    ]);
  });
});

describe('toPlainPrompt', () => {
  it('lays messages out as question and answer for base models', () => {
    expect(
      toPlainPrompt([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is MLflow?' },
        { role: 'user', content: 'One sentence.' },
        { role: 'assistant', content: '{"x":1' },
        { role: 'user', content: 'Fix it.' },
      ]),
    ).toBe(
      'Be brief.\n\nQuestion: What is MLflow?\n\nOne sentence.\nAnswer: {"x":1\n\nQuestion: Fix it.\nAnswer:',
    );
  });
});

describe('serve-judge --api-key', () => {
  const key = 'serve-judge-key-8f3k2';
  const body = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] });

  async function call(headers: Record<string, string>, route = '/chat/completions') {
    const response = await fetch(`${server?.baseUrl}${route}`, {
      method: route === '/models' ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      ...(route === '/models' ? {} : { body }),
    });
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  it('answers 401 without the key or with a wrong one, and serves with the right Bearer token', async () => {
    const fake = fakeModel(() => reply('ok'));
    server = await serveJudge({ modelPath: 'x', port: 0, apiKey: key, loadModel: async () => fake.model });
    await server.ready;
    const missing = await call({});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await call({ authorization: 'Bearer not-the-key' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).not.toContain('not-the-key');
    expect((await call({ authorization: key })).status).toBe(401); // not a Bearer token
    expect((await call({}, '/models')).status).toBe(401);
    expect(fake.requests).toHaveLength(0);

    const right = await call({ authorization: `Bearer ${key}` });
    expect(right.status).toBe(200);
    expect((await call({ authorization: `Bearer ${key}` }, '/models')).status).toBe(200);
    expect(fake.requests).toHaveLength(1);
    // health checks stay open (no model data in them)
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('binds to loopback unless told otherwise', async () => {
    const fake = fakeModel(() => reply('ok'));
    server = await serveJudge({ modelPath: 'x', port: 0, loadModel: async () => fake.model });
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
  });

  it('the command reads the key from --api-key-env and warns when serving beyond loopback without one', async () => {
    const { serveJudgeCommand } = await import('../../src/cli/commands/judge.js');
    const { captureIo } = await import('../helpers/cli.js');
    const stop = new AbortController();
    const { io, stderr, stdout } = captureIo({ env: { MY_JUDGE_KEY: key } });
    const running = serveJudgeCommand(
      { model: '/nonexistent/model.gguf', port: 0, host: '0.0.0.0' },
      io,
      stop.signal,
    );
    const code = await running;
    // the model file does not exist, so the command ends; the warning came first
    expect(stderr()).toContain('serving on 0.0.0.0 without --api-key');
    expect(code).not.toBe(0);
    const missing = captureIo({ env: {} });
    expect(
      await serveJudgeCommand({ port: 0, host: '127.0.0.1', apiKeyEnv: 'NOT_SET_ANYWHERE_X' }, missing.io),
    ).toBe(2);
    expect(missing.stderr()).toContain('--api-key-env NOT_SET_ANYWHERE_X');
    expect(stdout()).not.toContain(key);
  });
});
