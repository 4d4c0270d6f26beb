import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../config/env.js';
import type { ModelConfig } from '../config/schema.js';
import { ConfigError } from '../core/errors.js';
import type { ModelUnderTest } from '../core/model.js';
import type { PredictContext } from '../core/predict.js';
import { SpanRecorder } from '../core/span.js';
import { emptyUsage } from '../core/usage.js';
import { HttpRuntime } from '../runtime/http-runtime.js';
import { type CreateModelContext, createModel } from './create-model.js';
import { fromFunction } from './from-function.js';

let dir: string;
const runtime = new HttpRuntime();

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'judgeflow-models-'));
  await writeFile(
    path.join(dir, 'predict.ts'),
    [
      'interface Inputs { question: string }',
      'interface PredictContext {',
      '  startSpan(options: { name: string; spanType?: string; inputs?: unknown }): { end(o?: { outputs?: unknown }): void };',
      '  usage: { model: { totalTokens: number } };',
      '}',
      'export async function answer(inputs: Inputs, context: PredictContext): Promise<{ answer: string }> {',
      "  const span = context.startSpan({ name: 'lookup', spanType: 'RETRIEVER', inputs });",
      "  span.end({ outputs: ['doc'] });",
      '  context.usage.model.totalTokens += 7;',
      '  return { answer: inputs.question.toUpperCase() };',
      '}',
      'export const notAFunction = 42;',
    ].join('\n'),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await runtime.close();
});

function context(overrides: Partial<CreateModelContext> = {}): CreateModelContext {
  return { baseDir: dir, env: readEnv({}, dir), runtime, ...overrides };
}

function predictContext() {
  const recorder = new SpanRecorder();
  const root = recorder.start(null, { name: 'predict', spanType: 'CHAIN' });
  const ctx: PredictContext = {
    signal: new AbortController().signal,
    rowId: 'r',
    usage: emptyUsage(),
    startSpan: (options) => root.startChild(options),
  };
  return { ctx, recorder };
}

describe('createModel', () => {
  it('module: loads a TypeScript predict function by path and export, relative to the eval file', async () => {
    const model = await createModel(
      { provider: 'module', path: './predict.ts', export: 'answer' },
      context(),
    );
    expect(model.name).toBe('module:./predict.ts#answer');
    const { ctx, recorder } = predictContext();
    expect(await model.predict({ question: 'what is mlflow?' }, ctx)).toEqual({ answer: 'WHAT IS MLFLOW?' });
    expect(recorder.spans.map((s) => s.name)).toEqual(['lookup']);
    expect(ctx.usage.model.totalTokens).toBe(7);
  });

  it('module: an export that is not a function is a ConfigError naming model.export', async () => {
    const config: ModelConfig = { provider: 'module', path: './predict.ts', export: 'notAFunction' };
    await expect(createModel(config, context())).rejects.toMatchObject({
      name: 'ConfigError',
      field: 'model.export',
    });
  });

  it('module: a missing file or export is a ConfigError', async () => {
    await expect(
      createModel({ provider: 'module', path: './nope.ts', export: 'x' }, context()),
    ).rejects.toBeInstanceOf(ConfigError);
    await expect(
      createModel({ provider: 'module', path: './predict.ts', export: 'missing' }, context()),
    ).rejects.toThrow(/answer/);
  });

  it('http providers build an openai-compatible model', async () => {
    const model = await createModel(
      { provider: 'vllm', base_url: 'http://127.0.0.1:9/v1', model: 'served' },
      context(),
    );
    expect(model.name).toBe('vllm:/served');
    await expect(
      createModel({ provider: 'openai-compatible', model: 'x' }, context()),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it('local: uses the plugged-in factory, or says it is unavailable', async () => {
    await expect(createModel({ provider: 'local' }, context())).rejects.toBeInstanceOf(ConfigError);
    const local: ModelUnderTest = fromFunction(() => 'local answer', 'local:/gemma');
    const model = await createModel(
      { provider: 'local', max_tokens: 8 },
      context({
        localFactory: async (config) => (config.max_tokens === 8 ? local : fromFunction(() => 'wrong')),
      }),
    );
    // the factory's model, wrapped so its calls count as model requests in the run's metrics
    expect(model.name).toBe('local:/gemma');
    const signal = new AbortController().signal;
    await expect(
      model.predict({}, { signal, rowId: 'r1' } as unknown as Parameters<ModelUnderTest['predict']>[1]),
    ).resolves.toBe('local answer');
  });
});

describe('fromFunction', () => {
  it('wraps sync and async functions; a sync throw becomes a rejection', async () => {
    const { ctx } = predictContext();
    expect(await fromFunction((inputs) => inputs.a).predict({ a: 1 }, ctx)).toBe(1);
    expect(await fromFunction(async () => 'async').predict({}, ctx)).toBe('async');
    const throwing = fromFunction(() => {
      throw new Error('boom');
    });
    await expect(throwing.predict({}, ctx)).rejects.toThrow('boom');
    expect(throwing.name).toBe('predict_fn');
  });
});
