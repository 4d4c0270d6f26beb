import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { TokenScore } from '../providers/local-completion.js';
import type { LocalModel } from '../providers/local-model.js';

/** What the completion routes use of the model (tests pass a stand-in). */
export type CompletionModel = Pick<
  LocalModel,
  | 'name'
  | 'contextSize'
  | 'vocabularySize'
  | 'specialTokens'
  | 'chatTemplate'
  | 'tokenize'
  | 'detokenize'
  | 'tokenPieces'
  | 'complete'
>;

/** A route's answer: a JSON body, or an OpenAI-shaped error. */
export type RouteResult =
  | { status: 200; body: unknown }
  | { status: 400 | 500; error: { message: string; type: 'invalid_request_error' | 'server_error' } };

/** OpenAI's `logprobs` limit, which vLLM keeps. */
export const MAX_LOGPROBS = 20;
const DEFAULT_MAX_TOKENS = 16;

const tokenIdsSchema = z.array(z.number().int());

const completionRequestSchema = z.looseObject({
  model: z.string().nullish(),
  prompt: z.union([z.string(), z.array(z.string()), tokenIdsSchema, z.array(tokenIdsSchema)]),
  max_tokens: z.number().int().min(0).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  echo: z.boolean().nullish(),
  logprobs: z.number().int().min(0).nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  seed: z.number().int().nullish(),
  n: z.literal(1).nullish(),
  stream: z.literal(false).nullish(),
});

const tokenizeRequestSchema = z.looseObject({
  prompt: z.string(),
  add_special_tokens: z.boolean().nullish(),
});

const detokenizeRequestSchema = z.looseObject({ tokens: tokenIdsSchema });

function invalid(message: string): RouteResult {
  return { status: 400, error: { message, type: 'invalid_request_error' } };
}

function parseBody<T extends z.ZodType>(schema: T, json: unknown): z.infer<T> | RouteResult {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return invalid(`${where}${issue?.message ?? 'invalid request'}`);
}

function isRouteResult(value: unknown): value is RouteResult {
  return typeof value === 'object' && value !== null && 'status' in value;
}

/** A checked `/v1/completions` request, its prompts as token ids. */
export interface CompletionPlan {
  prompts: Array<{ tokens: number[]; text: string | undefined }>;
  maxTokens: number;
  temperature: number;
  seed: number | undefined;
  echo: boolean;
  /** null: no log-probabilities in the answer. */
  logprobs: number | null;
  stop: string[];
}

/**
 * Checks a `/v1/completions` body against what the model can do and turns its prompts into token ids:
 * token-id prompts as given, text prompts with BOS prepended (vLLM's default) and special-token text
 * parsed. Everything a client can fix is a 400 saying what to change.
 */
export function planCompletion(
  model: CompletionModel,
  json: unknown,
  options: { maxTokensCap: number },
): CompletionPlan | RouteResult {
  const body = parseBody(completionRequestSchema, json);
  if (isRouteResult(body)) return body;
  const echo = body.echo ?? false;
  const maxTokens = Math.min(body.max_tokens ?? DEFAULT_MAX_TOKENS, options.maxTokensCap);
  if (maxTokens === 0 && !echo) {
    return invalid('max_tokens 0 is only allowed with echo: true (scoring the prompt)');
  }
  const logprobs = body.logprobs ?? null;
  if (logprobs !== null && logprobs > MAX_LOGPROBS) {
    return invalid(`logprobs must be between 0 and ${MAX_LOGPROBS}, got ${logprobs}`);
  }
  const raw = body.prompt;
  const list: Array<string | number[]> =
    typeof raw === 'string'
      ? [raw]
      : raw.length > 0 && typeof raw[0] === 'number'
        ? [raw as number[]]
        : (raw as Array<string | number[]>);
  if (list.length === 0) return invalid('prompt is empty');
  const vocabulary = model.vocabularySize;
  const prompts: CompletionPlan['prompts'] = [];
  for (const [index, item] of list.entries()) {
    const where = list.length > 1 ? ` (prompt ${index})` : '';
    if (typeof item === 'string') {
      if (item === '') return invalid(`prompt is empty${where}`);
      prompts.push({ tokens: model.tokenize(item, { addBos: true }), text: item });
      continue;
    }
    if (item.length === 0) return invalid(`prompt is empty${where}`);
    const outside = item.findIndex((token) => token < 0 || token >= vocabulary);
    if (outside >= 0) {
      return invalid(
        `prompt token ${item[outside]} at position ${outside}${where} is not in the vocabulary (ids 0 to ${vocabulary - 1})`,
      );
    }
    prompts.push({ tokens: item, text: undefined });
  }
  for (const [index, prompt] of prompts.entries()) {
    if (prompt.tokens.length + maxTokens > model.contextSize) {
      const where = prompts.length > 1 ? ` (prompt ${index})` : '';
      return invalid(
        `prompt of ${prompt.tokens.length} tokens${where} plus max_tokens ${maxTokens} exceeds the context size of ${model.contextSize} tokens`,
      );
    }
  }
  const stop =
    body.stop === null || body.stop === undefined
      ? []
      : typeof body.stop === 'string'
        ? [body.stop]
        : body.stop;
  return {
    prompts,
    maxTokens,
    temperature: body.temperature ?? 0,
    seed: body.seed ?? undefined,
    echo,
    logprobs,
    stop,
  };
}

/** The `logprobs` object of one choice (OpenAI's legacy completions layout, as vLLM fills it). */
interface ChoiceLogprobs {
  tokens: string[];
  token_logprobs: Array<number | null>;
  top_logprobs: Array<Record<string, number> | null>;
  text_offset: number[];
}

/**
 * Runs a checked plan, one prompt after another (each from an empty model state), and lays the
 * results out as a `text_completion`.
 */
export async function runCompletionPlan(
  model: CompletionModel,
  plan: CompletionPlan,
  signal?: AbortSignal,
): Promise<{ body: unknown; promptTokens: number; completionTokens: number }> {
  const choices: unknown[] = [];
  let promptTokens = 0;
  let completionTokens = 0;
  const scored = plan.logprobs !== null;
  for (const [index, prompt] of plan.prompts.entries()) {
    const result = await model.complete({
      prompt: prompt.tokens,
      maxTokens: plan.maxTokens,
      temperature: plan.temperature,
      ...(plan.seed !== undefined ? { seed: plan.seed } : {}),
      scorePrompt: scored && plan.echo,
      scoreGenerated: scored,
      topCount: plan.logprobs ?? 0,
      stop: plan.stop,
      ...(signal !== undefined ? { signal } : {}),
    });
    promptTokens += prompt.tokens.length;
    completionTokens += result.tokens.length;
    const promptText = prompt.text ?? model.detokenize(prompt.tokens, { specialTokens: false });
    let logprobs: ChoiceLogprobs | null = null;
    if (scored) {
      const tokens = [...(plan.echo ? prompt.tokens : []), ...result.tokens];
      const scores = [...(plan.echo ? result.promptScores : []), ...result.generatedScores];
      logprobs = choiceLogprobs(model, tokens, scores);
    }
    choices.push({
      index,
      text: plan.echo ? promptText + result.text : result.text,
      logprobs,
      finish_reason: result.finishReason,
    });
  }
  return {
    body: {
      id: `cmpl-${randomBytes(12).toString('hex')}`,
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: model.name,
      choices,
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    },
    promptTokens,
    completionTokens,
  };
}

/**
 * Token texts, log-probabilities and the top alternatives (keyed by token text, with the actual token
 * always among them, as vLLM does). Two tokens with the same text keep the larger value, so the
 * largest entry stays the most likely token's.
 */
export function choiceLogprobs(
  model: Pick<CompletionModel, 'tokenPieces'>,
  tokens: readonly number[],
  scores: ReadonlyArray<TokenScore | null>,
): ChoiceLogprobs {
  const alternatives = scores.flatMap((score) => score?.top.map((entry) => entry.token) ?? []);
  const pieces = model.tokenPieces([...tokens, ...alternatives]);
  const pieceOf = new Map<number, string>();
  for (const [index, token] of [...tokens, ...alternatives].entries())
    pieceOf.set(token, pieces[index] as string);
  const out: ChoiceLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  let offset = 0;
  for (const [index, token] of tokens.entries()) {
    const piece = pieceOf.get(token) as string;
    const score = scores[index] ?? null;
    out.tokens.push(piece);
    out.text_offset.push(offset);
    offset += piece.length;
    if (score === null) {
      out.token_logprobs.push(null);
      out.top_logprobs.push(null);
      continue;
    }
    out.token_logprobs.push(score.logprob);
    const top: Record<string, number> = {};
    const add = (key: string, logprob: number) => {
      const existing = top[key];
      if (existing === undefined || logprob > existing) top[key] = logprob;
    };
    for (const entry of score.top) add(pieceOf.get(entry.token) as string, entry.logprob);
    add(piece, score.logprob);
    out.top_logprobs.push(top);
  }
  return out;
}

/** `POST /tokenize` (vLLM's): `add_special_tokens` (default true) prepends BOS. */
export function tokenizeRoute(model: CompletionModel, json: unknown): RouteResult {
  const body = parseBody(tokenizeRequestSchema, json);
  if (isRouteResult(body)) return body;
  const tokens = model.tokenize(body.prompt, { addBos: body.add_special_tokens ?? true });
  return { status: 200, body: { tokens, count: tokens.length, max_model_len: model.contextSize } };
}

/** `POST /detokenize` (vLLM's): special tokens are written out, as Hugging Face's `decode` does by default. */
export function detokenizeRoute(model: CompletionModel, json: unknown): RouteResult {
  const body = parseBody(detokenizeRequestSchema, json);
  if (isRouteResult(body)) return body;
  const vocabulary = model.vocabularySize;
  const outside = body.tokens.findIndex((token) => token < 0 || token >= vocabulary);
  if (outside >= 0) {
    return invalid(
      `token ${body.tokens[outside]} at position ${outside} is not in the vocabulary (ids 0 to ${vocabulary - 1})`,
    );
  }
  return { status: 200, body: { prompt: model.detokenize(body.tokens, { specialTokens: true }) } };
}

/**
 * `GET /tokenizer_info` (vLLM's): special tokens as TEXT — clients such as lm-eval's RemoteTokenizer
 * find their ids through `/tokenize`. Gemma-style models end a turn with EOT; EOS is what ends text.
 */
export function tokenizerInfoRoute(model: CompletionModel): RouteResult {
  const special = model.specialTokens;
  const template = model.chatTemplate;
  return {
    status: 200,
    body: {
      tokenizer_class: 'gguf',
      eos_token: special.eos,
      bos_token: special.bos,
      pad_token: null,
      model_max_length: model.contextSize,
      ...(template !== undefined ? { chat_template: template } : {}),
    },
  };
}
