import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { ConfigError, MissingComponentError } from '../../src/core/errors.js';
import { SpanRecorder } from '../../src/core/span.js';
import { emptyUsage } from '../../src/core/usage.js';
import { createJudgeResolver } from '../../src/judges/create-judge-resolver.js';
import { localModelFactory } from '../../src/judges/local-model-under-test.js';
import type { LocalModel } from '../../src/providers/local-model.js';
import { HttpRuntime } from '../../src/runtime/http-runtime.js';

let dir: string;
let modelFile: string;
const runtime = new HttpRuntime();

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'judge-resolver-'));
  modelFile = path.join(dir, 'tiny-judge.gguf');
  await writeFile(modelFile, 'not really a model');
});
afterAll(async () => {
  await runtime.close();
  await rm(dir, { recursive: true, force: true });
});

function fakeLoader() {
  const loads: string[] = [];
  let closed = 0;
  const load = async (modelPath: string): Promise<LocalModel> => {
    loads.push(modelPath);
    return {
      name: 'tiny-judge',
      chat: async () => ({
        text: '{"rationale":"r","result":"yes"}',
        usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
        finishReason: 'stop',
        latencyMs: 1,
      }),
      close: async () => {
        closed += 1;
      },
    } as unknown as LocalModel;
  };
  return { load, loads, closed: () => closed };
}

const request = {
  messages: [{ role: 'user' as const, content: 'x' }],
  schema: {},
  schemaName: 'v',
  temperature: 0,
  maxTokens: 10,
  signal: new AbortController().signal,
};

describe('createJudgeResolver', () => {
  it('defaults to openai:/gpt-4.1-mini with OPENAI_API_KEY, and to the local model without', () => {
    const withKey = createJudgeResolver(undefined, { env: readEnv({ OPENAI_API_KEY: 'sk-x' }), runtime });
    expect(withKey.resolve().modelUri).toBe('openai:/gpt-4.1-mini');
    const local = createJudgeResolver(undefined, {
      env: readEnv({ JUDGEFLOW_JUDGE_MODEL: modelFile }),
      runtime,
      loadLocalModel: fakeLoader().load,
    });
    expect(local.resolve().modelUri).toBe('local:/tiny-judge');
  });

  it('says which command installs a missing local model, and which variable holds a missing key', () => {
    const resolver = createJudgeResolver(undefined, {
      env: readEnv({ JUDGEFLOW_HOME: path.join(dir, 'empty') }),
      runtime,
    });
    expect(() => resolver.resolve()).toThrow(MissingComponentError);
    expect(() => resolver.resolve()).toThrow(/judgeflow setup --only judge/);
    expect(() =>
      resolver.resolve({ provider: 'vllm', base_url: 'http://h:1/v1', model: 'm', api_key_env: 'VLLM_KEY' }),
    ).toThrow(ConfigError);
    expect(() => resolver.resolve('openai:/gpt-4o', { field: 'scorers[1].model' })).toThrow(
      /scorers\[1\]\.model.*OPENAI_API_KEY/,
    );
  });

  it('takes run-wide settings from judge:, shares clients per reference, and loads a local model once, lazily', async () => {
    const loader = fakeLoader();
    const resolver = createJudgeResolver(
      { model: `local:${modelFile}`, temperature: 0.1, max_tokens: 64, samples: 3 },
      { env: readEnv({}), runtime, loadLocalModel: loader.load },
    );
    expect(resolver.defaults).toEqual({ temperature: 0.1, maxTokens: 64, samples: 3 });
    const a = resolver.resolve();
    const b = resolver.resolve({ provider: 'local', model: modelFile });
    expect(b).toBe(a);
    expect(loader.loads).toEqual([]);
    const [first, second] = await Promise.all([a.complete(request), b.complete(request)]);
    expect(first.model).toBe('tiny-judge');
    expect(second.usage.totalTokens).toBe(5);
    expect(loader.loads).toEqual([modelFile]);
    expect(resolver.cost?.(a, first)?.totalUsd).toBe(0);
    await resolver.close();
    expect(loader.closed()).toBe(1);
  });

  it('prices calls from judge.prices and the built-in OpenAI table', () => {
    const resolver = createJudgeResolver(
      { prices: { 'gpt-4.1-mini': { input_per_million: 10, output_per_million: 20 } } },
      { env: readEnv({ OPENAI_API_KEY: 'sk-x' }), runtime },
    );
    const response = {
      text: '',
      model: 'gpt-4.1-mini-2025-04-14',
      usage: { inputTokens: 100_000, outputTokens: 10_000, totalTokens: 110_000 },
      latencyMs: 1,
    };
    expect(resolver.cost?.(resolver.resolve(), response)?.totalUsd).toBeCloseTo(1.2);
    expect(resolver.cost?.(resolver.resolve('openai:/gpt-4o-mini'), response)?.totalUsd).toBeCloseTo(
      0.015 + 0.006,
    );
  });
});

describe('localModelFactory', () => {
  it("answers rows with the judge resolver's loaded model (one instance), recording a CHAT_MODEL span and usage", async () => {
    const loader = fakeLoader();
    const resolver = createJudgeResolver(
      { model: `local:${modelFile}` },
      { env: readEnv({}), runtime, loadLocalModel: loader.load },
    );
    const model = await localModelFactory(resolver)(
      { provider: 'local', model: modelFile, prompt: 'Q: {{ inputs.question }}', max_tokens: 32 },
      { baseDir: dir, env: readEnv({}), runtime },
    );
    expect(model.name).toBe('local:/tiny-judge');
    const recorder = new SpanRecorder();
    const root = recorder.start(null, { name: 'predict', spanType: 'CHAIN' });
    const usage = emptyUsage();
    const output = await model.predict(
      { question: 'What is MLflow?' },
      { signal: new AbortController().signal, rowId: 'r', usage, startSpan: (o) => root.startChild(o) },
    );
    expect(output).toBe('{"rationale":"r","result":"yes"}');
    expect(recorder.spans[0]).toMatchObject({
      spanType: 'CHAT_MODEL',
      inputs: { messages: [{ role: 'user', content: 'Q: What is MLflow?' }], max_tokens: 32 },
      attributes: { 'mlflow.chat.tokenUsage': { input_tokens: 3, output_tokens: 2, total_tokens: 5 } },
    });
    expect(usage.model.totalTokens).toBe(5);
    expect(usage.modelCalls).toBe(1);
    await resolver.resolve().complete(request);
    expect(loader.loads).toEqual([modelFile]);
    await resolver.close();
    expect(loader.closed()).toBe(1);
  });

  it('fails before the first row when the model file is missing', async () => {
    const resolver = createJudgeResolver(undefined, {
      env: readEnv({}),
      runtime,
      loadLocalModel: fakeLoader().load,
    });
    await expect(
      localModelFactory(resolver)(
        { provider: 'local', model: path.join(dir, 'missing.gguf') },
        { baseDir: dir, env: readEnv({}), runtime },
      ),
    ).rejects.toThrow(MissingComponentError);
  });
});
