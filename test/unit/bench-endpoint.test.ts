import { describe, expect, it } from 'vitest';
import { probeLogprobs } from '../../src/app/bench/endpoint.js';
import { BenchTaskError } from '../../src/app/bench/errors.js';

/** A server that scores prompts (echo + logprobs) but has no tokenizer routes, as Ray Serve LLM. */
const scoresWithoutTokenizer: typeof fetch = async (input) => {
  const url = String(input);
  if (url.endsWith('/v1/completions'))
    return new Response(
      JSON.stringify({
        choices: [{ index: 0, text: 'Hello world!', logprobs: { token_logprobs: [null, -1.5, -0.2] } }],
      }),
      { status: 200, headers: { 'content-type': 'application/json' } },
    );
  return new Response('{"detail":"Not Found"}', { status: 404 });
};

const options = {
  baseUrl: 'http://server.test/v1',
  tasks: ['arc_easy'],
  model: 'judge',
  fetch: scoresWithoutTokenizer,
};

describe('the log-likelihood preflight', () => {
  it('without /tokenizer_info: exit-2 error naming the task and the way out (--tokenizer)', async () => {
    const error = await probeLogprobs(options).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BenchTaskError);
    expect((error as BenchTaskError).code).toBe('no_logprobs');
    expect((error as Error).message).toMatch(/arc_easy is a log-likelihood task/);
    expect((error as Error).message).toMatch(/tokenizer_info answered HTTP 404/);
    expect((error as Error).message).toMatch(/--tokenizer/);
  });

  it('with a local tokenizer the echo logprobs are enough', async () => {
    await expect(probeLogprobs({ ...options, localTokenizer: true })).resolves.toBeUndefined();
  });
});
