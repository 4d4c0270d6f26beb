import { describe, expect, it } from 'vitest';
import { firstStop, MIN_LOGPROB, scoreFromCandidates, scoreOf } from './local-completion.js';

// The arithmetic behind prompt scoring, on made-up logits: the two-pass reconstruction must give the
// same numbers as a full softmax (the real model's agreement is checked in the integration tier).

const logits = [2.5, -1, 0.25, 7, 3.5, -30, 6.9, 1];
const logSumExp = Math.log(logits.reduce((sum, logit) => sum + Math.exp(logit), 0));
const rawLogprob = (token: number) => (logits[token] as number) - logSumExp;
const argmax = 3;

/** What the second pass hands back: the top `k` after `bias` on `target`, renormalized among themselves. */
function candidates(target: number, bias: number, k: number): Map<number, number> {
  const biased = logits.map((logit, token) => (token === target ? logit + bias : logit));
  const top = biased
    .map((logit, token) => ({ token, logit }))
    .sort((a, b) => b.logit - a.logit)
    .slice(0, k);
  const total = top.reduce((sum, entry) => sum + Math.exp(entry.logit), 0);
  return new Map(top.map((entry) => [entry.token, Math.exp(entry.logit) / total]));
}

describe('scoreFromCandidates', () => {
  it('recovers raw log-probabilities of an unlikely token and the top alternatives from the two passes', () => {
    const score = scoreFromCandidates({
      anchor: { argmax, logprob: rawLogprob(argmax) },
      candidates: candidates(5, 40, 3),
      target: 5,
      bias: 40,
      topCount: 2,
    });
    expect(score?.logprob).toBeCloseTo(rawLogprob(5), 9);
    expect(score?.top.map((entry) => entry.token)).toEqual([3, 6]);
    expect(score?.top[0]?.logprob).toBe(rawLogprob(argmax));
    expect(score?.top[1]?.logprob).toBeCloseTo(rawLogprob(6), 9);
  });

  it('gives the greedy token exactly the top value, so lm-eval counts it as greedy', () => {
    const score = scoreFromCandidates({
      anchor: { argmax, logprob: rawLogprob(argmax) },
      candidates: candidates(argmax, 0, 4),
      target: argmax,
      bias: 0,
      topCount: 1,
    });
    expect(score?.logprob).toBe(score?.top[0]?.logprob);
  });

  it('is undefined when the scored token is not among the candidates (the caller falls back to the full map)', () => {
    expect(
      scoreFromCandidates({
        anchor: { argmax, logprob: rawLogprob(argmax) },
        candidates: candidates(5, 0, 3),
        target: 5,
        bias: 0,
        topCount: 1,
      }),
    ).toBeUndefined();
  });
});

describe('scoreOf', () => {
  it('reads the token and the top entries of a full sorted map, flooring zero probabilities', () => {
    const map = new Map([
      [4, 0.5],
      [1, 0.3],
      [2, 0.2],
      [9, 0],
    ]);
    expect(scoreOf(map, 2, 2)).toEqual({
      logprob: Math.log(0.2),
      top: [
        { token: 4, logprob: Math.log(0.5) },
        { token: 1, logprob: Math.log(0.3) },
      ],
    });
    expect(scoreOf(map, 9, 0)).toEqual({ logprob: MIN_LOGPROB, top: [] });
  });
});

describe('firstStop', () => {
  it('finds where the earliest stop string starts', () => {
    expect(firstStop('Paris.\n\nQuestion', ['\n\n', '.'])).toBe(5);
    expect(firstStop('Paris', ['\n', ''])).toBeUndefined();
  });
});
