import { afterEach, describe, expect, it } from 'vitest';
import type { LocalCompletionRequest, LocalCompletionResult } from '../providers/local-completion.js';
import type { LocalModel } from '../providers/local-model.js';
import { type CompletionModel, choiceLogprobs, planCompletion } from './serve-completions.js';
import { type JudgeServer, serveJudge } from './serve-judge.js';

// The completion and tokenizer routes over a stand-in model: request checks, the response layout
// lm-eval parses, batching, auth. The real model's numbers are in
// test/integration/serve-judge-completions.test.ts.

/** A word-level "tokenizer": id = position in VOCABULARY; <bos> = 0, <eos> = 1. */
const VOCABULARY = ['<bos>', '<eos>', 'The', ' sky', ' is', ' blue', ' green', '.'];

function fakeModel(options: { contextSize?: number } = {}) {
  const requests: LocalCompletionRequest[] = [];
  const model: CompletionModel & { pending: number; close: () => Promise<void>; chat: () => never } = {
    name: 'tiny',
    contextSize: options.contextSize ?? 64,
    vocabularySize: VOCABULARY.length,
    specialTokens: { bos: '<bos>', eos: '<eos>', eot: null },
    chatTemplate: undefined,
    pending: 0,
    tokenize: (text, { addBos }) => {
      const ids: number[] = [];
      let rest = text;
      while (rest !== '') {
        const id = VOCABULARY.findIndex((word) => rest.startsWith(word));
        if (id < 0) throw new Error(`cannot tokenize ${rest}`);
        ids.push(id);
        rest = rest.slice((VOCABULARY[id] as string).length);
      }
      return addBos ? [0, ...ids] : ids;
    },
    detokenize: (tokens, { specialTokens }) =>
      tokens
        .filter((token) => specialTokens || token > 1)
        .map((token) => VOCABULARY[token])
        .join(''),
    tokenPieces: (tokens) => tokens.map((token) => VOCABULARY[token] as string),
    complete: async (request): Promise<LocalCompletionResult> => {
      requests.push(request);
      // Always generates " blue" then "<eos>"; every score is -1 with " green" as the runner-up at -2.
      const generated = [5, 1].slice(0, request.maxTokens);
      const score = (token: number) => ({
        logprob: -1,
        top: [
          { token, logprob: -1 },
          { token: 6, logprob: -2 },
        ].slice(0, request.topCount),
      });
      return {
        tokens: generated,
        text: generated.includes(5) ? ' blue' : '',
        promptScores: request.scorePrompt
          ? [null, ...request.prompt.slice(1).map((token) => score(token))]
          : [],
        generatedScores: request.scoreGenerated ? generated.map((token) => score(token)) : [],
        finishReason: request.maxTokens >= 2 ? 'stop' : 'length',
        latencyMs: 1,
      };
    },
    close: async () => {},
    chat: () => {
      throw new Error('not used');
    },
  };
  return { model, requests };
}

let server: JudgeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(model: CompletionModel, apiKey?: string): Promise<JudgeServer> {
  server = await serveJudge({
    modelPath: '/models/tiny.gguf',
    port: 0,
    ...(apiKey !== undefined ? { apiKey } : {}),
    loadModel: async () => model as unknown as LocalModel,
  });
  await server.ready;
  return server;
}

async function call(
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${server?.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const messageOf = (result: ReturnType<typeof planCompletion>): string =>
  'status' in result && result.status !== 200 ? result.error.message : '';

describe('planCompletion', () => {
  const { model } = fakeModel({ contextSize: 24 });
  const plan = (body: unknown) => planCompletion(model, body, { maxTokensCap: 1024 });

  it('tokenizes text prompts with BOS, keeps token-id prompts as given, and reads a list as a batch', () => {
    expect(plan({ prompt: 'The sky' })).toMatchObject({
      prompts: [{ tokens: [0, 2, 3], text: 'The sky' }],
      maxTokens: 16,
      echo: false,
      logprobs: null,
      temperature: 0,
      stop: [],
    });
    expect(plan({ prompt: [2, 3], echo: true, max_tokens: 0, logprobs: 1, stop: '.' })).toMatchObject({
      prompts: [{ tokens: [2, 3], text: undefined }],
      maxTokens: 0,
      stop: ['.'],
    });
    expect(plan({ prompt: [[2], [3, 4]], max_tokens: 1 })).toMatchObject({
      prompts: [{ tokens: [2] }, { tokens: [3, 4] }],
    });
    expect(plan({ prompt: ['The', ' sky'], max_tokens: 1 })).toMatchObject({
      prompts: [{ tokens: [0, 2] }, { tokens: [0, 3] }],
    });
  });

  it('rejects what it cannot serve with a message saying what to change', () => {
    expect(messageOf(plan({ prompt: 'The', max_tokens: 0 }))).toBe(
      'max_tokens 0 is only allowed with echo: true (scoring the prompt)',
    );
    expect(messageOf(plan({ prompt: 'The', logprobs: 21 }))).toBe(
      'logprobs must be between 0 and 20, got 21',
    );
    expect(messageOf(plan({ prompt: '' }))).toBe('prompt is empty');
    expect(messageOf(plan({ prompt: [] }))).toBe('prompt is empty');
    expect(messageOf(plan({ prompt: [[2], []] }))).toBe('prompt is empty (prompt 1)');
    expect(messageOf(plan({ prompt: [2, 99] }))).toBe(
      'prompt token 99 at position 1 is not in the vocabulary (ids 0 to 7)',
    );
    expect(messageOf(plan({ prompt: [2, 3, 4, 5, 6, 7, 2, 3, 4, 5], max_tokens: 15 }))).toBe(
      'prompt of 10 tokens plus max_tokens 15 exceeds the context size of 24 tokens',
    );
    expect(messageOf(plan({ prompt: 'The', stream: true }))).toMatch(/^stream: /);
    expect(messageOf(plan({ prompt: 'The', n: 2 }))).toMatch(/^n: /);
    expect(messageOf(plan({ max_tokens: 1 }))).toMatch(/^prompt: /);
  });
});

describe('choiceLogprobs', () => {
  it('keys alternatives by token text, always includes the actual token, and keeps the larger value on a clash', () => {
    const pieces = (tokens: readonly number[]) =>
      tokens.map((token) => (token === 9 ? ' blue' : `t${token}`));
    const out = choiceLogprobs(
      { tokenPieces: pieces },
      [2, 5],
      [
        null,
        {
          logprob: -3,
          top: [
            { token: 6, logprob: -0.5 },
            { token: 9, logprob: -2 },
          ],
        },
      ],
    );
    expect(out).toEqual({
      tokens: ['t2', 't5'],
      token_logprobs: [null, -3],
      top_logprobs: [null, { t6: -0.5, ' blue': -2, t5: -3 }],
      text_offset: [0, 2],
    });
  });
});

describe('serve-judge completion routes', () => {
  it('scores an echoed token-id batch the way lm-eval parses it (first entry null, then prompt, then generated)', async () => {
    const { model, requests } = fakeModel();
    await start(model);
    const { status, json } = await call('/v1/completions', {
      model: 'whatever',
      prompt: [
        [0, 2, 3, 4],
        [0, 2, 3],
      ],
      echo: true,
      logprobs: 1,
      max_tokens: 1,
      temperature: 0,
      seed: 1234,
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({
      object: 'text_completion',
      model: 'tiny',
      usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 },
    });
    const choices = json.choices as Array<{
      index: number;
      text: string;
      finish_reason: string;
      logprobs: { tokens: string[]; token_logprobs: Array<number | null>; top_logprobs: unknown[] };
    }>;
    expect(choices.map((choice) => choice.index)).toEqual([0, 1]);
    expect(choices[0]?.text).toBe('The sky is blue');
    expect(choices[0]?.finish_reason).toBe('length');
    expect(choices[0]?.logprobs.tokens).toEqual(['<bos>', 'The', ' sky', ' is', ' blue']);
    expect(choices[0]?.logprobs.token_logprobs).toEqual([null, -1, -1, -1, -1]);
    expect(choices[0]?.logprobs.top_logprobs).toEqual([
      null,
      { The: -1 },
      { ' sky': -1 },
      { ' is': -1 },
      { ' blue': -1 },
    ]);
    expect(requests[0]).toMatchObject({
      prompt: [0, 2, 3, 4],
      maxTokens: 1,
      scorePrompt: true,
      scoreGenerated: true,
      topCount: 1,
      temperature: 0,
      seed: 1234,
    });
  });

  it('generates from text without log-probabilities unless asked, and passes stop strings on', async () => {
    const { model, requests } = fakeModel();
    await start(model);
    const { status, json } = await call('/v1/completions', {
      prompt: 'The sky is',
      max_tokens: 5,
      stop: ['.'],
    });
    expect(status).toBe(200);
    expect(json.choices).toEqual([{ index: 0, text: ' blue', logprobs: null, finish_reason: 'stop' }]);
    expect(requests[0]).toMatchObject({
      prompt: [0, 2, 3, 4],
      scorePrompt: false,
      scoreGenerated: false,
      stop: ['.'],
    });
    const rejected = await call('/v1/completions', { prompt: 'The', logprobs: 25 });
    expect(rejected).toEqual({
      status: 400,
      json: {
        error: {
          message: 'logprobs must be between 0 and 20, got 25',
          type: 'invalid_request_error',
          code: 400,
        },
      },
    });
  });

  it('serves vLLM tokenizer routes at the root, and max_model_len on /v1/models', async () => {
    const { model } = fakeModel();
    await start(model);
    expect(await call('/tokenize', { prompt: 'The sky<eos>' })).toEqual({
      status: 200,
      json: { tokens: [0, 2, 3, 1], count: 4, max_model_len: 64 },
    });
    expect((await call('/tokenize', { prompt: '<eos>', add_special_tokens: false })).json.tokens).toEqual([
      1,
    ]);
    expect(await call('/detokenize', { tokens: [0, 2, 3] })).toEqual({
      status: 200,
      json: { prompt: '<bos>The sky' },
    });
    expect((await call('/detokenize', { tokens: [2, 50] })).status).toBe(400);
    expect((await call('/tokenize', { text: 'x' })).status).toBe(400);
    expect(await call('/tokenizer_info')).toEqual({
      status: 200,
      json: {
        tokenizer_class: 'gguf',
        eos_token: '<eos>',
        bos_token: '<bos>',
        pad_token: null,
        model_max_length: 64,
      },
    });
    const models = await call('/v1/models');
    expect(models.json.data).toMatchObject([{ id: 'tiny', max_model_len: 64 }]);
    expect((await call('/v1/tokenize', { prompt: 'The' })).status).toBe(404);
  });

  it('asks for the API key on the new routes too', async () => {
    const { model } = fakeModel();
    await start(model, 'k-123');
    expect((await call('/tokenize', { prompt: 'The' })).status).toBe(401);
    expect((await call('/tokenizer_info')).status).toBe(401);
    expect((await call('/v1/completions', { prompt: 'The' })).status).toBe(401);
    expect((await call('/tokenize', { prompt: 'The' }, { authorization: 'Bearer k-123' })).status).toBe(200);
  });
});
