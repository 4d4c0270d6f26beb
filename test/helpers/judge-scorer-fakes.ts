import type { Feedback } from '../../src/core/feedback.js';
import type { JudgeClient, JudgeRequest } from '../../src/core/judge.js';
import type { Scorer, ScorerArgs } from '../../src/core/scorer.js';
import type { Span } from '../../src/core/span.js';
import { emptyUsage } from '../../src/core/usage.js';
import type { JudgeResolver } from '../../src/judges/resolver.js';
import { normalizeScore } from '../../src/runner/normalize.js';

// Fakes for judge scorer unit tests: a judge that answers from a function of the request, and rows.

/** A judge that answers from a function of the request and records every request. */
export function fakeJudges(
  answer: (request: JudgeRequest) => unknown = () => ({ rationale: 'fine', result: 'yes' }),
) {
  const requests: JudgeRequest[] = [];
  const client: JudgeClient = {
    modelUri: 'openai-compatible:/fake',
    complete: async (request) => {
      requests.push(request);
      const reply = answer(request);
      return {
        text: typeof reply === 'string' ? reply : JSON.stringify(reply),
        model: 'fake',
        usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
        latencyMs: 1,
      };
    },
    close: async () => {},
  };
  const resolved: Array<unknown> = [];
  const judges: JudgeResolver = {
    resolve: (ref) => {
      resolved.push(ref);
      return client;
    },
    defaults: { temperature: 0, maxTokens: 256, samples: 1 },
    close: async () => {},
  };
  const userText = (i = 0) => requests[i]?.messages.find((m) => m.role === 'user')?.content ?? '';
  return { judges, requests, resolved, userText };
}

export function args(
  row: Partial<Pick<ScorerArgs, 'inputs' | 'outputs' | 'expectations'>> & { spans?: Span[] } = {},
): ScorerArgs {
  return {
    inputs: row.inputs ?? { question: 'What is MLflow?' },
    outputs: row.outputs ?? 'MLflow is an open source MLOps platform.',
    expectations: row.expectations ?? {},
    trace: { spans: row.spans ?? [] },
    signal: new AbortController().signal,
    usage: emptyUsage(),
  };
}

export async function score(scorer: Scorer, scorerArgs: ScorerArgs): Promise<Feedback[]> {
  return normalizeScore(scorer, await scorer.score(scorerArgs));
}

export function span(partial: Partial<Span> & Pick<Span, 'spanId' | 'spanType'>): Span {
  return {
    parentId: 'root',
    name: partial.spanType.toLowerCase(),
    startTimeMs: 1,
    endTimeMs: 2,
    attributes: {},
    status: { code: 'OK' },
    ...partial,
  };
}
