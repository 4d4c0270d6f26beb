import { describe, expect, it } from 'vitest';
import { loggedModelName, modelConfigHash, modelIdentity } from './logged-model.js';

describe('the LoggedModel identity of a model config', () => {
  const base = {
    provider: 'openai-compatible',
    base_url: 'http://127.0.0.1:8000/v1',
    model: 'qwen',
    prompt: 'Answer: {{ inputs.question }}',
    temperature: 0,
  };

  it('is the same for the same settings in any key order', () => {
    const reordered = {
      temperature: 0,
      prompt: base.prompt,
      model: 'qwen',
      base_url: base.base_url,
      provider: base.provider,
    };
    expect(modelConfigHash(reordered)).toBe(modelConfigHash(base));
    expect(modelConfigHash(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with anything that changes the answers', () => {
    for (const change of [
      { model: 'llama' },
      { prompt: 'Q: {{ inputs.question }}' },
      { temperature: 0.7 },
      { max_tokens: 64 },
    ]) {
      expect(modelConfigHash({ ...base, ...change }), JSON.stringify(change)).not.toBe(modelConfigHash(base));
    }
  });

  it('leaves out the name, the key variable, HTTP tuning, prices, secrets and URL credentials', () => {
    const noisy = {
      ...base,
      base_url: 'http://user:hunter2@127.0.0.1:8000/v1',
      name: 'candidate',
      api_key_env: 'OTHER_KEY',
      timeout_s: 5,
      max_retries: 1,
      concurrency: 2,
      rpm: 60,
      tpm: 1000,
      prices: { input_per_million: 1, output_per_million: 2 },
      api_key: 'sk-secret',
    };
    expect(modelConfigHash(noisy)).toBe(modelConfigHash(base));
    expect(JSON.stringify(modelIdentity(noisy))).not.toMatch(/hunter2|sk-secret|OTHER_KEY/);
  });

  it('makes names MLflow accepts (no / : . % quote)', () => {
    expect(loggedModelName('openai:/gpt-4.1-mini')).toBe('openai-gpt-4-1-mini');
    expect(loggedModelName('a\'b"c%d')).toBe('a-b-c-d');
    expect(loggedModelName('...')).toBe('model');
  });
});
