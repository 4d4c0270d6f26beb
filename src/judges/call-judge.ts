import { JudgeOutputError, ProviderError } from '../core/errors.js';
import type { ChatMessage, JudgeClient, JudgeResponse } from '../core/judge.js';
import type { SpanHandle, StartSpanOptions } from '../core/span.js';
import { tokenUsageAttribute } from '../core/span.js';
import { addTokenUsage, countAttempts, type TokenUsage, type Usage } from '../core/usage.js';
import type { JudgeCost } from './prices.js';
import type { Verdict, VerdictSpec } from './verdict.js';

/** What one verdict request needs besides the messages. */
export interface CallJudgeOptions {
  client: JudgeClient;
  messages: ChatMessage[];
  verdict: VerdictSpec;
  temperature: number;
  maxTokens: number;
  signal: AbortSignal;
  /** Span name, e.g. `judge/correctness`. */
  spanName: string;
  /** Opens a span in the row's trace; absent outside the pipeline (no span is recorded). */
  startSpan?: ((options: StartSpanOptions) => SpanHandle) | undefined;
  /** The row's usage: every call's tokens, calls and cost are added to it. */
  usage?: Usage | undefined;
  /** Cost of a call in USD; undefined when the model's price is unknown. */
  cost?: ((response: JudgeResponse) => JudgeCost | undefined) | undefined;
  /** Every finished call is appended here as it finishes — also when the verdict fails in the end. */
  calls?: JudgeCallRecord[] | undefined;
}

/** One HTTP (or embedded) call made for a verdict. */
export interface JudgeCallRecord {
  text: string;
  model: string;
  usage: TokenUsage;
  costUsd: number | undefined;
  latencyMs: number;
  repair: boolean;
}

export interface CalledVerdict {
  verdict: Verdict;
  calls: JudgeCallRecord[];
}

/**
 * Asks a judge for one verdict: the reply must be one JSON object matching the verdict schema. A reply
 * that does not gets exactly one repair attempt — the reply and what is wrong with it are sent back —
 * and if that fails too, a `JudgeOutputError` carrying the raw text. Provider failures (after the HTTP
 * runtime's retries) throw `ProviderError`. Each call is a span (`spanType` LLM, model, token usage,
 * cost; inputs the messages, outputs the raw text) and is added to the row's usage.
 */
export async function callJudge(options: CallJudgeOptions): Promise<CalledVerdict> {
  const calls: JudgeCallRecord[] = options.calls ?? [];
  const first = await oneCall(options, options.messages, false, calls);
  const parsed = options.verdict.parse(first.text);
  if (parsed.ok) return { verdict: parsed.verdict, calls };

  const repairMessages: ChatMessage[] = [
    ...options.messages,
    { role: 'assistant', content: first.text },
    {
      role: 'user',
      content:
        `Your reply could not be used: ${parsed.problem}. Reply again with only one JSON object that ` +
        `matches this JSON Schema, and no other text:\n${JSON.stringify(options.verdict.schema)}`,
    },
  ];
  const second = await oneCall(options, repairMessages, true, calls);
  const repaired = options.verdict.parse(second.text);
  if (repaired.ok) return { verdict: repaired.verdict, calls };
  const usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  for (const call of calls) addTokenUsage(usage, call.usage);
  throw new JudgeOutputError({
    message: `judge ${options.client.modelUri} did not return a valid verdict after one repair attempt: ${repaired.problem}`,
    rawText: second.text,
    model: second.model,
    usage,
    cause: new Error(`first reply: ${parsed.problem}`),
  });
}

async function oneCall(
  options: CallJudgeOptions,
  messages: ChatMessage[],
  repair: boolean,
  calls: JudgeCallRecord[],
): Promise<JudgeResponse> {
  const attributes: Record<string, unknown> = {
    'mlflow.llm.model': options.client.modelUri,
    'judgeflow.judge.model_uri': options.client.modelUri,
  };
  if (repair) attributes['judgeflow.judge.repair'] = true;
  const span = options.startSpan?.({
    name: options.spanName,
    spanType: 'LLM',
    inputs: { messages },
    attributes,
  });
  let response: JudgeResponse;
  try {
    response = await options.client.complete({
      messages,
      schema: options.verdict.schema,
      schemaName: options.verdict.schemaName,
      temperature: options.temperature,
      maxTokens: options.maxTokens,
      // A signal of its own per call: a row's scorers run in parallel, and each call listens for abort;
      // many listeners on the row's one signal would trip Node's leak warning.
      signal: AbortSignal.any([options.signal]),
    });
  } catch (error) {
    if (options.usage !== undefined) {
      // Attempts that reached the server count even when the call failed in the end.
      countJudgeRequest(options.usage, error instanceof ProviderError ? (error.attempts ?? 1) : 1, repair);
    }
    if (error instanceof ProviderError && error.attempts !== undefined) {
      span?.setAttribute('judgeflow.http.attempts', error.attempts);
    }
    span?.end({ error });
    throw error;
  }
  const cost = options.cost?.(response);
  if (options.usage !== undefined) {
    addTokenUsage(options.usage.judge, response.usage);
    countJudgeRequest(options.usage, response.attempts ?? 1, repair);
    if (cost !== undefined) {
      options.usage.costUsd += cost.totalUsd;
      options.usage.judgeCostUsd += cost.totalUsd;
    }
  }
  if (span !== undefined) {
    span.setAttribute('mlflow.llm.model', response.model);
    span.setAttribute('mlflow.chat.tokenUsage', tokenUsageAttribute(response.usage));
    if (cost !== undefined) {
      span.setAttribute('mlflow.llm.cost', {
        input_cost: cost.inputUsd,
        output_cost: cost.outputUsd,
        total_cost: cost.totalUsd,
      });
    }
    if (response.attempts !== undefined) span.setAttribute('judgeflow.http.attempts', response.attempts);
    if (response.requestId !== undefined) span.setAttribute('judgeflow.http.request_id', response.requestId);
    if (response.finishReason !== undefined)
      span.setAttribute('judgeflow.judge.finish_reason', response.finishReason);
    span.end({ outputs: response.text });
  }
  calls.push({
    text: response.text,
    model: response.model,
    usage: response.usage,
    costUsd: cost?.totalUsd,
    latencyMs: response.latencyMs,
    repair,
  });
  return response;
}

/** One verdict request: its first attempt is a call (a repair when it is one), the rest retries. */
function countJudgeRequest(usage: Usage, attempts: number, repair: boolean): void {
  const { calls, retries } = countAttempts(attempts);
  usage.judgeCalls += calls;
  usage.judgeRetries += retries;
  if (repair) usage.judgeRepairs += calls;
}
