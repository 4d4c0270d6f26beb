import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { judgeModelUri, parseJudgeModelRef } from '../../src/judges/model-ref.js';
import { JudgePrices } from '../../src/judges/prices.js';

const options = { baseDir: '/evals', field: 'judge.model' };

describe('parseJudgeModelRef', () => {
  it('parses MLflow-style URIs into the discriminated union', () => {
    expect(parseJudgeModelRef('openai:/gpt-4o-mini', options)).toEqual({
      provider: 'openai',
      model: 'gpt-4o-mini',
    });
    expect(parseJudgeModelRef('local', options)).toEqual({ provider: 'local' });
    expect(parseJudgeModelRef('local:/models/m.gguf', options)).toEqual({
      provider: 'local',
      path: '/models/m.gguf',
    });
    expect(parseJudgeModelRef('local:./m.gguf', options)).toEqual({
      provider: 'local',
      path: '/evals/m.gguf',
    });
    expect(parseJudgeModelRef('vllm:/Qwen/Qwen2.5-7B@http://gpu:8000/v1', options)).toEqual({
      provider: 'vllm',
      model: 'Qwen/Qwen2.5-7B',
      baseUrl: 'http://gpu:8000/v1',
    });
    expect(parseJudgeModelRef('openai-compatible:/llama@http://127.0.0.1:8080/v1', options)).toEqual({
      provider: 'openai-compatible',
      model: 'llama',
      baseUrl: 'http://127.0.0.1:8080/v1',
    });
  });

  it('parses Anthropic references: the URI and the object form, base URL and key variable optional', () => {
    expect(parseJudgeModelRef('anthropic:/claude-sonnet-4-5', options)).toEqual({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
    });
    expect(
      parseJudgeModelRef(
        {
          provider: 'anthropic',
          model: 'claude-haiku-4-5',
          base_url: 'http://proxy:8080',
          api_key_env: 'MY_KEY',
        },
        options,
      ),
    ).toEqual({
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      baseUrl: 'http://proxy:8080',
      apiKeyEnv: 'MY_KEY',
    });
    expect(() => parseJudgeModelRef({ provider: 'anthropic' }, options)).toThrow(/needs a model/);
    expect(() => parseJudgeModelRef('anthropic:/m@http://x/v1', options)).toThrow(ConfigError);
    expect(judgeModelUri({ provider: 'anthropic', model: 'claude-sonnet-4-5' })).toBe(
      'anthropic:/claude-sonnet-4-5',
    );
  });

  it('parses endpoint objects as the eval file writes them', () => {
    expect(
      parseJudgeModelRef(
        { provider: 'vllm', base_url: 'http://h:8000/v1', model: 'judge', api_key_env: 'VLLM_KEY' },
        options,
      ),
    ).toEqual({ provider: 'vllm', model: 'judge', baseUrl: 'http://h:8000/v1', apiKeyEnv: 'VLLM_KEY' });
    expect(parseJudgeModelRef({ provider: 'local', model: 'judge.gguf' }, options)).toEqual({
      provider: 'local',
      path: '/evals/judge.gguf',
    });
  });

  it('rejects what it cannot serve, naming the field and the accepted forms', () => {
    // anthropic:/… is served since the provider registry (issue 12); an unknown kind is still refused.
    for (const bad of [
      'gemini:/gemini-2.5-pro',
      'gpt-4o',
      'vllm:/model',
      'openai:gpt-4o',
      'http://host/v1',
    ]) {
      const error = (() => {
        try {
          parseJudgeModelRef(bad, options);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error, bad).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).field).toBe('judge.model');
    }
    expect(() => parseJudgeModelRef({ provider: 'openai-compatible', model: 'm' }, options)).toThrow(
      /base_url/,
    );
  });

  it('gives the assessment source id without URLs or key names', () => {
    expect(judgeModelUri({ provider: 'vllm', model: 'judge', baseUrl: 'http://secret-host/v1' })).toBe(
      'vllm:/judge',
    );
    expect(judgeModelUri({ provider: 'local', path: '/x/gemma-3-270m-q4_k_m.gguf' })).toBe(
      'local:/gemma-3-270m-q4_k_m',
    );
  });
});

describe('JudgePrices', () => {
  const usage = { inputTokens: 1_000_000, outputTokens: 500_000, totalTokens: 1_500_000 };
  it('prices OpenAI models from the built-in table, dated snapshots by their base name', () => {
    const prices = new JudgePrices();
    const cost = prices.cost({
      provider: 'openai',
      model: 'gpt-4o-mini-2024-07-18',
      modelUri: 'openai:/gpt-4o-mini',
      usage,
    });
    expect(cost?.totalUsd).toBeCloseTo(0.15 + 0.3);
    // gpt-4o must not be priced as gpt-4o-mini or the reverse
    expect(
      prices.cost({ provider: 'openai', model: 'gpt-4o', modelUri: 'openai:/gpt-4o', usage })?.totalUsd,
    ).toBeCloseTo(7.5);
  });
  it('prices Anthropic models from its list, dated ids by their longest listed prefix', () => {
    const prices = new JudgePrices();
    // (input $/M × 1M) + (output $/M × 0.5M); claude-opus-4-5 is not priced as claude-opus-4
    for (const [model, usd] of [
      ['claude-sonnet-4-5-20250929', 3 + 7.5],
      ['claude-opus-4-5', 5 + 12.5],
      ['claude-opus-4-20250514', 15 + 37.5],
      ['claude-3-5-haiku-latest', 0.8 + 2],
    ] as const) {
      expect(
        prices.cost({ provider: 'anthropic', model, modelUri: `anthropic:/${model}`, usage })?.totalUsd,
        model,
      ).toBeCloseTo(usd);
    }
    expect(
      prices.cost({ provider: 'anthropic', model: 'claude-9', modelUri: 'anthropic:/claude-9', usage }),
    ).toBeUndefined();
  });
  it('uses judge.prices over the table, and has no price (not zero) for unknown servers', () => {
    const prices = new JudgePrices({ 'vllm:/judge': { input_per_million: 1, output_per_million: 2 } });
    expect(
      prices.cost({ provider: 'vllm', model: 'judge', modelUri: 'vllm:/judge', usage })?.totalUsd,
    ).toBeCloseTo(2);
    expect(prices.cost({ provider: 'vllm', model: 'other', modelUri: 'vllm:/other', usage })).toBeUndefined();
    expect(
      prices.cost({ provider: 'local', model: 'gemma', modelUri: 'local:/gemma', usage })?.totalUsd,
    ).toBe(0);
  });
});
