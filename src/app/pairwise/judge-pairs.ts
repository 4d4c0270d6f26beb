import { errorMessage, InterruptedError } from '../../core/errors.js';
import type { JudgeClient, JudgeResponse } from '../../core/judge.js';
import type { Usage } from '../../core/usage.js';
import { seededRandom } from '../../datasets/row-sampler.js';
import { callJudge } from '../../judges/call-judge.js';
import { DEFAULT_JUDGE_MAX_TOKENS } from '../../judges/create-judge-resolver.js';
import type { JudgeCost } from '../../judges/prices.js';
import type { JudgePrompt } from '../../judges/prompt-file.js';
import type { VerdictSpec } from '../../judges/verdict.js';
import { loadPairwisePrompt, type PositionWinner, pairwiseMessages, pairwiseVerdictSpec } from './prompt.js';
import { type OrderOutcome, pairRow, summarize } from './summary.js';
import type { PairwiseRow, PairwiseSummary } from './types.js';

/** One row of the comparison: the same inputs answered by A and by B. */
export interface PairInput {
  rowId: string;
  inputs: unknown;
  /** The row's expectations; when present the judge compares against them (reference-guided). */
  expectations?: unknown;
  outputA: unknown;
  outputB: unknown;
}

export interface PairwiseOptions {
  /** The judge (a client of `src/judges`: `createJudgeResolver(...).resolve(ref)`). */
  judge: JudgeClient;
  /** Judge calls in flight (default 4); the judge client's own endpoint limits still apply. */
  concurrency?: number;
  /** Stops dispatching calls; `judgePairs` then rejects with `InterruptedError`. */
  signal?: AbortSignal;
  /** Seeds which order of each pair is asked first (default 0). Both orders are always asked. */
  seed?: number;
  /** What "better" means, replacing the default (correct, complete, helpful, follows instructions). */
  criteria?: string;
  /** Default 0. */
  temperature?: number;
  /** Cap on verdict tokens (default the judges' default, 256). */
  maxTokens?: number;
  /** Every judge call's tokens, calls, repairs (and cost, with `cost`) are added here. */
  usage?: Usage;
  /** Prices one call (a judge resolver's `cost`); unpriced calls add no cost. */
  cost?: (response: JudgeResponse) => JudgeCost | undefined;
  /** Called as each pair finishes (both orders judged), in completion order. */
  onPair?: (row: PairwiseRow) => void;
}

/** Judge calls in flight when the caller does not say. */
export const DEFAULT_PAIRWISE_CONCURRENCY = 4;

type Order = 'ab' | 'ba';

/**
 * The pairwise judge over every pair: each pair is judged twice, once with A as Response 1 and B as
 * Response 2 and once the other way round, and each answer is mapped back to A/B. The judge never sees
 * the row id, a model name or the letters A/B. A failed call (after the shared one-repair rule) makes
 * that pair `error`; other pairs go on. See `pairRow` for how two orders make one verdict and
 * `summarize` for the rates.
 */
export async function judgePairs(
  pairs: readonly PairInput[],
  options: PairwiseOptions,
): Promise<PairwiseSummary> {
  const prompt = loadPairwisePrompt();
  const verdict = pairwiseVerdictSpec();
  const signal = options.signal ?? new AbortController().signal;
  const random = seededRandom(options.seed ?? 0);
  // Which order goes first is drawn per pair up front, so the plan depends on the seed alone.
  const tasks: Array<{ index: number; order: Order }> = [];
  for (let index = 0; index < pairs.length; index += 1) {
    const first: Order = random() < 0.5 ? 'ab' : 'ba';
    tasks.push({ index, order: first }, { index, order: first === 'ab' ? 'ba' : 'ab' });
  }

  const outcomes: Array<Partial<Record<Order, OrderOutcome>>> = pairs.map(() => ({}));
  const rows: Array<PairwiseRow | undefined> = pairs.map(() => undefined);
  const ask = async (task: { index: number; order: Order }): Promise<void> => {
    const pair = pairs[task.index] as PairInput;
    const outcome = await judgeOrder(pair, task.order, { ...options, prompt, verdict, signal });
    const both = outcomes[task.index] as Partial<Record<Order, OrderOutcome>>;
    both[task.order] = outcome;
    if (both.ab !== undefined && both.ba !== undefined) {
      const row = pairRow(pair.rowId, both.ab, both.ba);
      rows[task.index] = row;
      options.onPair?.(row);
    }
  };

  await runPool(tasks, ask, {
    concurrency: Math.max(1, Math.floor(options.concurrency ?? DEFAULT_PAIRWISE_CONCURRENCY)),
    signal,
  });
  if (signal.aborted)
    throw new InterruptedError('pairwise judging was interrupted', { cause: signal.reason });
  return summarize(
    options.judge.modelUri,
    rows as PairwiseRow[],
    outcomes as Array<Record<Order, OrderOutcome>>,
  );
}

/** One call: the pair in one order, the judge's pick mapped back to A/B. Never throws. */
async function judgeOrder(
  pair: PairInput,
  order: Order,
  context: PairwiseOptions & { prompt: JudgePrompt; verdict: VerdictSpec; signal: AbortSignal },
): Promise<OrderOutcome> {
  const [first, second] = order === 'ab' ? [pair.outputA, pair.outputB] : [pair.outputB, pair.outputA];
  const messages = pairwiseMessages(
    context.prompt,
    { inputs: pair.inputs, expectations: pair.expectations, first, second },
    context.criteria,
  );
  try {
    const { verdict } = await callJudge({
      client: context.judge,
      messages,
      verdict: context.verdict,
      temperature: context.temperature ?? 0,
      maxTokens: context.maxTokens ?? DEFAULT_JUDGE_MAX_TOKENS,
      signal: context.signal,
      spanName: 'judge/pairwise',
      usage: context.usage,
      cost: context.cost,
    });
    const picked = verdict.value as PositionWinner;
    return { verdict: mapBack(picked, order), rationale: verdict.rationale, picked };
  } catch (error) {
    return { verdict: 'error', error: errorMessage(error) };
  }
}

/** The side behind a position: in order `ab` Response 1 is A; in `ba` it is B. */
function mapBack(picked: PositionWinner, order: Order): 'A' | 'B' | 'tie' {
  if (picked === 'tie') return 'tie';
  const firstSide = order === 'ab' ? 'A' : 'B';
  const secondSide = order === 'ab' ? 'B' : 'A';
  return picked === '1' ? firstSide : secondSide;
}

/** Runs `work` over the items with at most `concurrency` in flight; stops taking new items on abort. */
async function runPool<T>(
  items: readonly T[],
  work: (item: T) => Promise<void>,
  options: { concurrency: number; signal: AbortSignal },
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !options.signal.aborted) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, items.length) }, worker));
}
