import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { testHome } from './servers/judge.js';

// serve-judge's completion and tokenizer routes over the real local model (Gemma 3 270M), as lm-eval's
// `local-completions` uses them: echoed prompt scores, greedy generation, determinism, errors, and one
// real lm-eval round trip. Few model calls: the machine is shared.

const judgeBaseUrl = inject('judgeBaseUrl');
const serverRoot = judgeBaseUrl.replace(/\/v1$/, '');

interface Logprobs {
  tokens: string[];
  token_logprobs: Array<number | null>;
  top_logprobs: Array<Record<string, number> | null>;
  text_offset: number[];
}
interface Choice {
  index: number;
  text: string;
  logprobs: Logprobs | null;
  finish_reason: string;
}
interface Completion {
  choices: Choice[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

async function post<T = Record<string, unknown>>(
  route: string,
  body: unknown,
): Promise<{ status: number; json: T }> {
  const response = await fetch(`${serverRoot}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as T };
}

async function tokenize(prompt: string, addSpecialTokens: boolean): Promise<number[]> {
  const { status, json } = await post<{ tokens: number[] }>('/tokenize', {
    prompt,
    add_special_tokens: addSpecialTokens,
  });
  expect(status).toBe(200);
  return json.tokens;
}

async function complete(body: Record<string, unknown>): Promise<Completion> {
  const { status, json } = await post<Completion>('/v1/completions', body);
  expect(status, JSON.stringify(json)).toBe(200);
  return json;
}

const PROMPT = 'The capital of France is Paris. The capital of Italy is';

describe('serve-judge /v1/completions on the local model', () => {
  it('echoes one score per prompt token plus the generated one, each a sane log-probability', async () => {
    const tokens = await tokenize(PROMPT, true);
    const completion = await complete({ prompt: PROMPT, echo: true, logprobs: 5, max_tokens: 1 });
    const choice = completion.choices[0] as Choice;
    const logprobs = choice.logprobs as Logprobs;
    expect(completion.usage).toEqual({
      prompt_tokens: tokens.length,
      completion_tokens: 1,
      total_tokens: tokens.length + 1,
    });
    expect(logprobs.tokens).toHaveLength(tokens.length + 1);
    expect(logprobs.token_logprobs).toHaveLength(tokens.length + 1);
    expect(logprobs.tokens[0]).toBe('<bos>');
    expect(logprobs.token_logprobs[0]).toBeNull();
    expect(logprobs.top_logprobs[0]).toBeNull();
    expect(choice.text.startsWith(PROMPT)).toBe(true);
    expect(choice.finish_reason).toBe('length');
    for (let index = 1; index < logprobs.tokens.length; index += 1) {
      const value = logprobs.token_logprobs[index] as number;
      const top = logprobs.top_logprobs[index] as Record<string, number>;
      expect(Number.isFinite(value) && value <= 0).toBe(true);
      // the actual token is always among the alternatives, with its own value
      expect(top[logprobs.tokens[index] as string]).toBe(value);
      expect(Object.keys(top).length).toBeGreaterThanOrEqual(5);
      expect(Object.keys(top).length).toBeLessThanOrEqual(6);
      const values = Object.values(top);
      expect(Math.max(...values)).toBeGreaterThanOrEqual(value);
      const mass = values.reduce((sum, logprob) => sum + Math.exp(logprob), 0);
      expect(mass).toBeLessThanOrEqual(1 + 1e-6);
      expect(mass).toBeGreaterThan(0);
    }
    // the generated token is the greedy one: its value is its position's maximum
    const last = logprobs.tokens.length - 1;
    expect(logprobs.token_logprobs[last]).toBe(
      Math.max(...Object.values(logprobs.top_logprobs[last] as Record<string, number>)),
    );
    // a well-known continuation is likely, a nonsense one is not
    expect(logprobs.token_logprobs[logprobs.tokens.lastIndexOf(' capital')] as number).toBeGreaterThan(-3);
  });

  it('scores a prompt token the same from the two-pass prompt scoring and the full distribution of generation', async () => {
    const prompt = await tokenize(PROMPT, true);
    // Generated tokens after the first are scored from node-llama-cpp's full probability map; the same
    // tokens echoed back as prompt are scored from the two passes.
    const generated = await complete({ prompt: [prompt], max_tokens: 3, logprobs: 3, temperature: 0 });
    const fromGeneration = generated.choices[0]?.logprobs as Logprobs;
    expect(fromGeneration.tokens).toHaveLength(3);
    const generatedTokens: number[] = [];
    for (const piece of fromGeneration.tokens.slice(0, 2)) {
      const ids = await tokenize(piece, false);
      expect(ids).toHaveLength(1);
      generatedTokens.push(ids[0] as number);
    }
    const echoed = await complete({
      prompt: [[...prompt, ...generatedTokens.slice(0, 2)]],
      echo: true,
      max_tokens: 0,
      logprobs: 3,
    });
    const fromEcho = echoed.choices[0]?.logprobs as Logprobs;
    expect(fromEcho.tokens).toHaveLength(prompt.length + 2);
    expect(echoed.choices[0]?.finish_reason).toBe('length');
    expect(fromEcho.tokens.slice(-2)).toEqual(fromGeneration.tokens.slice(0, 2));
    const second = prompt.length + 1;
    expect(fromEcho.token_logprobs[second]).toBeCloseTo(fromGeneration.token_logprobs[1] as number, 4);
    const echoTop = fromEcho.top_logprobs[second] as Record<string, number>;
    for (const [token, value] of Object.entries(fromGeneration.top_logprobs[1] as Record<string, number>)) {
      expect(echoTop[token]).toBeCloseTo(value, 4);
    }
  });

  it('gives bit-identical numbers for the same request whatever ran before it or beside it', async () => {
    const request = { prompt: [await tokenize(PROMPT, true)], echo: true, logprobs: 2, max_tokens: 1 };
    const first = await complete(request);
    await complete({ prompt: 'Something else entirely, to change the model state.', max_tokens: 4 });
    const [second, , third] = await Promise.all([
      complete(request),
      complete({ prompt: 'Once upon a time', echo: true, logprobs: 1, max_tokens: 2 }),
      complete(request),
    ]);
    expect(second?.choices[0]?.logprobs).toEqual(first.choices[0]?.logprobs);
    expect(third?.choices[0]?.logprobs).toEqual(first.choices[0]?.logprobs);
  });

  it('generates greedily from text or token ids alike, and stops at a stop string or max_tokens', async () => {
    const fromText = await complete({ prompt: PROMPT, max_tokens: 12, temperature: 0, stop: ['.', '\n'] });
    const fromTokens = await complete({
      prompt: [await tokenize(PROMPT, true)],
      max_tokens: 12,
      temperature: 0,
      stop: ['.', '\n'],
    });
    const text = fromText.choices[0]?.text as string;
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toMatch(/[.\n]/);
    expect(fromTokens.choices[0]?.text).toBe(text);
    expect(fromText.choices[0]?.finish_reason).toBe(fromTokens.choices[0]?.finish_reason);
    const short = await complete({ prompt: PROMPT, max_tokens: 2 });
    expect(short.choices[0]?.finish_reason).toBe('length');
    expect(short.usage.completion_tokens).toBe(2);
  });

  it('leaves chat completions as they were: the same chat answer before and after completion requests', async () => {
    const chat = {
      messages: [{ role: 'user', content: 'Is the sky blue? Answer yes or no.' }],
      max_tokens: 20,
      temperature: 0,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'verdict',
          schema: {
            type: 'object',
            properties: { answer: { type: 'string', enum: ['yes', 'no'] } },
            required: ['answer'],
          },
        },
      },
    };
    const before = await post<{ choices: Array<{ message: { content: string } }> }>(
      '/v1/chat/completions',
      chat,
    );
    await complete({ prompt: 'Once upon a time', echo: true, logprobs: 1, max_tokens: 3 });
    const after = await post<{ choices: Array<{ message: { content: string } }> }>(
      '/v1/chat/completions',
      chat,
    );
    expect(before.status).toBe(200);
    expect(after.json.choices[0]?.message.content).toBe(before.json.choices[0]?.message.content);
    expect(JSON.parse(after.json.choices[0]?.message.content as string)).toHaveProperty('answer');
  });

  it('answers 400 with what to change for requests it cannot serve', async () => {
    const message = async (body: Record<string, unknown>) => {
      const { status, json } = await post<{ error: { message: string } }>('/v1/completions', body);
      expect(status).toBe(400);
      return json.error.message;
    };
    expect(await message({ prompt: 'hello '.repeat(3500), max_tokens: 1000 })).toMatch(
      /^prompt of \d+ tokens plus max_tokens 1000 exceeds the context size of 4096 tokens$/,
    );
    expect(await message({ prompt: 'Hi', logprobs: 21 })).toBe('logprobs must be between 0 and 20, got 21');
    expect(await message({ prompt: 'Hi', max_tokens: 0 })).toContain(
      'max_tokens 0 is only allowed with echo',
    );
    expect(await message({ prompt: [2, 10_000_000] })).toMatch(
      /prompt token 10000000 at position 1 is not in the vocabulary/,
    );
    expect(await message({ prompt: '' })).toBe('prompt is empty');
  });
});

describe('serve-judge tokenizer routes on the local model', () => {
  it('round-trips text through /tokenize and /detokenize, maps special-token text to its id, and describes the tokenizer', async () => {
    const text = 'Zürich, 東京 and <b>tags</b> stay intact.';
    const plain = await tokenize(text, false);
    const withBos = await tokenize(text, true);
    expect(withBos).toEqual([2, ...plain]);
    const { json } = await post<{ prompt: string }>('/detokenize', { tokens: plain });
    expect(json.prompt).toBe(text);
    const info = (await (await fetch(`${serverRoot}/tokenizer_info`)).json()) as Record<string, unknown>;
    expect(info).toMatchObject({
      tokenizer_class: 'gguf',
      eos_token: '<eos>',
      bos_token: '<bos>',
      model_max_length: 4096,
    });
    // lm-eval's RemoteTokenizer finds the ids this way
    expect((await tokenize(info.eos_token as string, false))[0]).toBe(1);
    expect((await tokenize(info.bos_token as string, false))[0]).toBe(2);
  });
});

/** The lm-eval venv `judgeflow setup` creates (JUDGEFLOW_HOME/venvs/lmeval). */
const lmevalPython = path.join(testHome(), 'venvs', 'lmeval', 'bin', 'python');
const haveLmeval = existsSync(lmevalPython);
if (!haveLmeval)
  console.warn(`skipping the lm-eval round trip: ${lmevalPython} not found (judgeflow setup creates it)`);

const ROUND_TRIP = `
import json, sys
from lm_eval.api.instance import Instance
from lm_eval.models.openai_completions import LocalCompletionsAPI

lm = LocalCompletionsAPI(base_url=sys.argv[1], model="local", tokenizer_backend="remote",
                         num_concurrent=1, max_retries=1)
context = "Question: Which planet is known as the Red Planet?\\nAnswer:"
scores = lm.loglikelihood([
    Instance(request_type="loglikelihood", doc={}, arguments=(context, " Mars"), idx=0),
    Instance(request_type="loglikelihood", doc={}, arguments=(context, " the Moon"), idx=1),
], disable_tqdm=True)
texts = lm.generate_until([
    Instance(request_type="generate_until", doc={}, arguments=("The capital of France is", {"until": ["."], "max_gen_toks": 12}), idx=0),
], disable_tqdm=True)
print(json.dumps({"loglikelihood": [[float(value), bool(greedy)] for value, greedy in scores],
                  "generate_until": texts, "eot_token_id": lm.eot_token_id}))
`;

function runPython(python: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TOKENIZERS_PARALLELISM: 'false' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`python exited with ${code}:\n${stderr}`)),
    );
  });
}

describe.skipIf(!haveLmeval)('lm-eval local-completions against serve-judge', () => {
  it('scores choices and generates through tokenizer_backend=remote, matching direct requests', async () => {
    const stdout = await runPython(lmevalPython, ['-c', ROUND_TRIP, `${judgeBaseUrl}/completions`]);
    const result = JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
      loglikelihood: Array<[number, boolean]>;
      generate_until: string[];
      eot_token_id: number;
    };
    expect(result.eot_token_id).toBe(1);
    expect(result.loglikelihood).toHaveLength(2);
    for (const [value] of result.loglikelihood) expect(Number.isFinite(value) && value < 0).toBe(true);
    expect(result.generate_until).toHaveLength(1);
    expect((result.generate_until[0] as string).trim().length).toBeGreaterThan(0);
    expect(result.generate_until[0]).not.toContain('.');

    // lm-eval's number is the sum of the continuation's echoed scores (it sends no BOS itself)
    const context = await tokenize('Question: Which planet is known as the Red Planet?\nAnswer:', false);
    const whole = await tokenize('Question: Which planet is known as the Red Planet?\nAnswer: Mars', false);
    const direct = await complete({
      prompt: [whole],
      echo: true,
      logprobs: 1,
      max_tokens: 1,
      temperature: 0,
      seed: 1234,
    });
    const echoed = ((direct.choices[0] as Choice).logprobs as Logprobs).token_logprobs.slice(
      context.length,
      -1,
    ) as number[];
    expect(result.loglikelihood[0]?.[0]).toBe(echoed.reduce((sum, value) => sum + value, 0));
  });
});
