import { errorMessage, JudgeOutputError, ProviderError } from '../core/errors.js';
import { errorFeedback, type Feedback } from '../core/feedback.js';
import type { JsonValue } from '../core/json.js';
import { canonicalJson } from '../core/json.js';
import type { ChatMessage, JudgeClient, JudgeResponse } from '../core/judge.js';
import type { ScorerArgs } from '../core/scorer.js';
import { type CalledVerdict, callJudge, type JudgeCallRecord } from './call-judge.js';
import type { JudgeCost } from './prices.js';
import type { Verdict, VerdictSpec } from './verdict.js';

/** MLflow's assessment metadata keys for judge usage (`mlflow.tracing.constant.AssessmentMetadataKey`). */
export const JUDGE_INPUT_TOKENS = 'mlflow.assessment.judgeInputTokens';
export const JUDGE_OUTPUT_TOKENS = 'mlflow.assessment.judgeOutputTokens';
export const JUDGE_COST = 'mlflow.assessment.judgeCost';

/** Temperature used for self-consistency sampling when the configured one is 0 (n greedy samples agree trivially). */
export const SAMPLING_TEMPERATURE = 0.7;
/** How much of a rejected reply is kept in the error feedback's metadata. */
const RAW_OUTPUT_CHARS = 4000;

export interface JudgeSettings {
  temperature: number;
  maxTokens: number;
  /** Self-consistency: ask this many times and take the majority (or the mean for numbers). */
  samples: number;
}

export interface JudgeFeedbackOptions {
  /** The feedback (assessment) name. */
  name: string;
  client: JudgeClient;
  messages: ChatMessage[];
  verdict: VerdictSpec;
  settings: JudgeSettings;
  /** The row's cancellation, usage counters and span recorder. */
  args: Pick<ScorerArgs, 'signal' | 'usage' | 'startSpan'>;
  /** Prices calls (the resolver's `cost`). */
  cost?: ((client: JudgeClient, response: JudgeResponse) => JudgeCost | undefined) | undefined;
  /** Extra metadata on the feedback (e.g. MLflow's `guideline`, `chunk_index`). */
  metadata?: Record<string, string>;
  /** Default `judge/<name>`. */
  spanName?: string;
}

/**
 * One judge verdict as a Feedback — value, rationale, source LLM_JUDGE with the judge's model URI, and
 * MLflow's judge metadata (input/output tokens, cost). With `samples` > 1 the judge is asked n times:
 * the majority value wins (ties go to the value seen first), numbers are averaged, and the agreement is
 * recorded. When no valid verdict comes back the result is an error feedback — `JUDGE_OUTPUT_INVALID`
 * with the raw reply in metadata, or `JUDGE_CALL_FAILED` — never a 0 and never a guess.
 */
export async function judgeFeedback(options: JudgeFeedbackOptions): Promise<Feedback> {
  const samples = Math.max(1, Math.floor(options.settings.samples));
  const temperature =
    samples > 1 && options.settings.temperature === 0 ? SAMPLING_TEMPERATURE : options.settings.temperature;
  const source = { type: 'LLM_JUDGE', id: options.client.modelUri } as const;
  const cost = options.cost;
  const perSample: Array<{ calls: JudgeCallRecord[]; outcome: CalledVerdict | { error: unknown } }> =
    await Promise.all(
      Array.from({ length: samples }, async () => {
        const calls: JudgeCallRecord[] = [];
        try {
          const outcome = await callJudge({
            client: options.client,
            messages: options.messages,
            verdict: options.verdict,
            temperature,
            maxTokens: options.settings.maxTokens,
            signal: options.args.signal,
            spanName: options.spanName ?? `judge/${options.name}`,
            startSpan: options.args.startSpan,
            usage: options.args.usage,
            cost: cost !== undefined ? (response) => cost(options.client, response) : undefined,
            calls,
          });
          return { calls, outcome };
        } catch (error) {
          return { calls, outcome: { error } };
        }
      }),
    );

  const metadata: Record<string, string> = {
    ...(options.metadata ?? {}),
    ...usageMetadata(perSample.flatMap((s) => s.calls)),
  };
  const verdicts: Verdict[] = [];
  const errors: unknown[] = [];
  for (const sample of perSample) {
    if ('error' in sample.outcome) errors.push(sample.outcome.error);
    else verdicts.push(sample.outcome.verdict);
  }
  if (perSample.some((s) => s.calls.some((c) => c.repair)) && verdicts.length > 0) {
    metadata['judgeflow.judge.repaired'] = 'true';
  }

  if (verdicts.length === 0) return failure(options.name, source, errors[0], metadata, samples);

  if (samples === 1) {
    const [only] = verdicts as [Verdict];
    return { name: options.name, value: only.value, rationale: only.rationale, source, metadata };
  }
  const combined = combine(verdicts, options.verdict);
  metadata['judgeflow.judge.samples'] = String(samples);
  metadata['judgeflow.judge.sampleValues'] = JSON.stringify(verdicts.map((v) => v.value));
  metadata['judgeflow.judge.agreement'] = combined.agreement.toFixed(3);
  if (errors.length > 0) {
    metadata['judgeflow.judge.sampleErrors'] = String(errors.length);
    metadata['judgeflow.judge.sampleError'] = errorMessage(errors[0]).slice(0, 500);
  }
  return { name: options.name, value: combined.value, rationale: combined.rationale, source, metadata };
}

/** Sums of every call made for one feedback, in MLflow's metadata keys (cost only when priced). */
function usageMetadata(calls: JudgeCallRecord[]): Record<string, string> {
  if (calls.length === 0) return {};
  let input = 0;
  let output = 0;
  let cost: number | undefined = 0;
  for (const call of calls) {
    input += call.usage.inputTokens;
    output += call.usage.outputTokens;
    cost = cost === undefined || call.costUsd === undefined ? undefined : cost + call.costUsd;
  }
  const metadata: Record<string, string> = {
    [JUDGE_INPUT_TOKENS]: String(input),
    [JUDGE_OUTPUT_TOKENS]: String(output),
  };
  if (cost !== undefined) metadata[JUDGE_COST] = String(cost);
  return metadata;
}

function failure(
  name: string,
  source: Feedback['source'],
  error: unknown,
  metadata: Record<string, string>,
  samples: number,
): Feedback {
  const of = samples > 1 ? ` (all ${samples} samples failed)` : '';
  if (error instanceof JudgeOutputError) {
    return errorFeedback({
      name,
      source,
      code: 'JUDGE_OUTPUT_INVALID',
      message: `${error.message}${of}; raw reply: ${JSON.stringify(error.rawText.slice(0, 300))}`,
      metadata: { ...metadata, 'judgeflow.judge.rawOutput': error.rawText.slice(0, RAW_OUTPUT_CHARS) },
    });
  }
  if (error instanceof ProviderError) {
    const status = error.status !== undefined ? ` (HTTP ${error.status})` : '';
    return errorFeedback({
      name,
      source,
      code: error.kind === 'aborted' ? 'JUDGE_ABORTED' : 'JUDGE_CALL_FAILED',
      message: `judge call failed${status}${of}: ${error.message}`,
      metadata,
    });
  }
  const stack =
    error instanceof Error && error.stack !== undefined ? error.stack.slice(0, 10_000) : undefined;
  return errorFeedback({
    name,
    source,
    code: 'JUDGE_CALL_FAILED',
    message: `judge call failed${of}: ${errorMessage(error)}`,
    ...(stack !== undefined ? { stack } : {}),
    metadata,
  });
}

/** Majority for categorical values (ties: first seen), mean for numbers; with the agreement ratio. */
export function combine(
  verdicts: readonly Verdict[],
  spec: Pick<VerdictSpec, 'type'>,
): { value: JsonValue; rationale: string; agreement: number } {
  if (spec.type.type === 'number') {
    const values = verdicts.map((v) => v.value as number);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    let closest = verdicts[0] as Verdict;
    for (const verdict of verdicts) {
      if (Math.abs((verdict.value as number) - mean) < Math.abs((closest.value as number) - mean))
        closest = verdict;
    }
    // For numbers, agreement is the share of samples equal to the most common value.
    const { count } = mostCommon(verdicts);
    return { value: mean, rationale: closest.rationale, agreement: count / verdicts.length };
  }
  const { verdict, count } = mostCommon(verdicts);
  return { value: verdict.value, rationale: verdict.rationale, agreement: count / verdicts.length };
}

function mostCommon(verdicts: readonly Verdict[]): { verdict: Verdict; count: number } {
  const counts = new Map<string, { verdict: Verdict; count: number }>();
  for (const verdict of verdicts) {
    const key = canonicalJson(verdict.value);
    const entry = counts.get(key);
    if (entry === undefined) counts.set(key, { verdict, count: 1 });
    else entry.count += 1;
  }
  let best: { verdict: Verdict; count: number } | undefined;
  // Map iteration is insertion order, so on a tie the value seen first stays.
  for (const entry of counts.values()) if (best === undefined || entry.count > best.count) best = entry;
  return best as { verdict: Verdict; count: number };
}
