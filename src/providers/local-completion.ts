import type * as NodeLlamaCpp from 'node-llama-cpp';

/** A text completion over token ids, evaluated by `LocalModel.complete`. */
export interface LocalCompletionRequest {
  /** The prompt's tokens, evaluated exactly as given (nothing is prepended). At least one. */
  prompt: readonly number[];
  /** Tokens to generate at most; 0 = only score the prompt. */
  maxTokens: number;
  /** 0 = greedy; above 0, sampled from the raw distribution at this temperature with `seed`. */
  temperature: number;
  seed?: number;
  /** Score every prompt token (the first has nothing before it, so its score is null). */
  scorePrompt: boolean;
  /** Score the generated tokens too. */
  scoreGenerated: boolean;
  /** Alternatives per scored position, most likely first (0 = only the actual token). */
  topCount: number;
  /** Generation ends before the first of these strings; the string itself is not returned. */
  stop: readonly string[];
  signal?: AbortSignal;
}

/** One token's natural-log probability, and the most likely tokens at its position. */
export interface TokenScore {
  logprob: number;
  /** `topCount` pairs, most likely first. */
  top: Array<{ token: number; logprob: number }>;
}

export interface LocalCompletionResult {
  /** Generated tokens, the one that ended generation (EOS/EOT) included. */
  tokens: number[];
  /** The generated text: special tokens dropped, cut before a stop string. */
  text: string;
  /** One per prompt token when `scorePrompt` (the first null), else empty. */
  promptScores: Array<TokenScore | null>;
  /** One per generated token when `scoreGenerated`, else empty. */
  generatedScores: TokenScore[];
  /** `length` when max tokens ended generation. */
  finishReason: 'stop' | 'length';
  /** Time spent evaluating, queueing excluded. */
  latencyMs: number;
}

/**
 * Log-probabilities below this are reported as it (vLLM's floor): a float32 softmax underflows to 0 for
 * very unlikely tokens, and JSON has no -Infinity.
 */
export const MIN_LOGPROB = -9999;

type Token = NodeLlamaCpp.Token;
type Probabilities = Map<Token, number>;

/** node-llama-cpp brands token ids; requests carry plain numbers (checked against the vocabulary first). */
const asTokens = (ids: readonly number[]): Token[] => ids as unknown as Token[];

/**
 * Logit added to the token being scored in the second pass, so it lands among the top-K candidates
 * even when unlikely. Small enough that the other top tokens' probabilities, relative to it, stay far
 * from float32 underflow (e^-87).
 */
const SCORE_BIAS = 30;
/** Candidates the second pass keeps: the requested alternatives, the biased token and the argmax. */
const MIN_CANDIDATES = 40;

/** What the confidence pass gives for one position: the most likely next token and its log-probability. */
interface Anchor {
  argmax: Token;
  logprob: number;
}

/**
 * Evaluates a completion on a cleared sequence.
 *
 * Log-probabilities are the model's raw softmax over the whole vocabulary (no temperature, top-k,
 * top-p or penalties), whatever the request's temperature. node-llama-cpp hands a full distribution to
 * JavaScript as a 262k-entry map (~180 ms per position for Gemma 3), so prompt positions are scored in
 * two cheaper passes over the same tokens (~55 ms per position; evaluation itself is ~6 ms):
 * 1. greedy sampling with `confidence`: the argmax token and its raw probability (a full softmax in
 *    native code, nothing copied out);
 * 2. top-K sampling at temperature 1 with the scored token's logit raised by `SCORE_BIAS`: the top
 *    candidates' probabilities renormalized over those K — their ratios are ratios of raw
 *    probabilities, so each candidate's raw log-probability is the argmax's plus the log ratio.
 * A position whose token still misses the top K (more than ~30 nats below the argmax) is scored from
 * the full map in a third pass. Both passes are deterministic, so the same request gives
 * bit-identical numbers; the argmax's value comes from pass 1 alone, so a greedy token's log-probability
 * equals the largest of its position's alternatives exactly.
 */
export async function runCompletion(
  engine: {
    sequence: NodeLlamaCpp.LlamaContextSequence;
    model: NodeLlamaCpp.LlamaModel;
    /** node-llama-cpp's `TokenBias` class (the package is loaded lazily, so it is passed in). */
    TokenBias: typeof NodeLlamaCpp.TokenBias;
  },
  request: LocalCompletionRequest,
): Promise<Omit<LocalCompletionResult, 'latencyMs'>> {
  const { sequence, model, TokenBias } = engine;
  const prompt = asTokens(request.prompt);
  const maxTokens = request.maxTokens;
  const sampled = request.temperature > 0;
  const random = sampled ? seededRandom(request.seed ?? 0) : undefined;
  const wantsNextProbabilities = request.scoreGenerated || sampled;
  const last = prompt.length - 1;
  const generate = maxTokens > 0;
  const candidates = Math.max(MIN_CANDIDATES, request.topCount + 2);
  /** Positions whose next token is scored in two passes: the prompt's, and the first greedy token's. */
  const scoredAt = (index: number): boolean =>
    (request.scorePrompt && index < last) ||
    (index === last && generate && !sampled && request.scoreGenerated);

  let anchors: Array<Anchor | undefined> = [];
  if (prompt.some((_, index) => scoredAt(index))) {
    await sequence.clearHistory();
    const evaluated = await sequence.controlledEvaluate(
      prompt.map((token, index) =>
        scoredAt(index) ? [token, { generateNext: { token: true, confidence: true } }] : token,
      ),
    );
    anchors = evaluated.map((output) =>
      output?.next.token !== undefined && output.next.token !== null && output.next.confidence !== undefined
        ? { argmax: output.next.token, logprob: Math.log(output.next.confidence) }
        : undefined,
    );
    throwIfAborted(request.signal);
  }
  const targetOf = (index: number): Token | undefined =>
    index < last ? (prompt[index + 1] as Token) : anchors[index]?.argmax;
  const biasOf = (index: number): number => {
    const target = targetOf(index);
    return target === undefined || target === anchors[index]?.argmax || model.isEogToken(target)
      ? 0
      : SCORE_BIAS;
  };

  // Pass 2 also leaves the prompt evaluated for generation.
  await sequence.clearHistory();
  const evaluated = await sequence.controlledEvaluate(
    prompt.map((token, index): NodeLlamaCpp.ControlledEvaluateInputItem => {
      if (scoredAt(index)) {
        const target = targetOf(index);
        const bias = biasOf(index);
        return [
          token,
          {
            generateNext: {
              probabilities: true,
              options: {
                temperature: 1,
                topK: candidates,
                topP: 1,
                minP: 0,
                seed: 0,
                ...(bias !== 0 && target !== undefined
                  ? { tokenBias: new TokenBias(model.tokenizer).set(target, { logit: bias }) }
                  : {}),
              },
            },
          },
        ];
      }
      if (index === last && generate) {
        return [token, { generateNext: { token: !sampled, probabilities: sampled } }];
      }
      return token;
    }),
  );
  throwIfAborted(request.signal);

  const scores = new Map<number, TokenScore>();
  const missing: number[] = [];
  for (let index = 0; index <= last; index += 1) {
    if (!scoredAt(index)) continue;
    const anchor = anchors[index];
    const target = targetOf(index);
    const candidatesMap = evaluated[index]?.next.probabilities;
    const score =
      anchor !== undefined && target !== undefined && candidatesMap !== undefined
        ? scoreFromCandidates({
            anchor,
            candidates: candidatesMap,
            target,
            bias: biasOf(index),
            topCount: request.topCount,
          })
        : undefined;
    if (score !== undefined) scores.set(index, score);
    else missing.push(index);
  }
  if (missing.length > 0) {
    // Pass 3: the full distribution where the candidates fell short; the state stays the prompt's.
    const wanted = new Set(missing);
    await sequence.clearHistory();
    const full = await sequence.controlledEvaluate(
      prompt.map((token, index) =>
        wanted.has(index) ? [token, { generateNext: { probabilities: true } }] : token,
      ),
    );
    throwIfAborted(request.signal);
    for (const index of missing) {
      const probabilities = full[index]?.next.probabilities;
      const target = targetOf(index);
      if (probabilities === undefined || target === undefined)
        throw new Error(`no probabilities for position ${index}`);
      scores.set(index, scoreOf(probabilities, target, request.topCount));
    }
  }

  const promptScores: Array<TokenScore | null> = [];
  if (request.scorePrompt) {
    promptScores.push(null);
    for (let index = 1; index < prompt.length; index += 1) {
      const score = scores.get(index - 1);
      if (score === undefined) throw new Error(`no score for prompt position ${index}`);
      promptScores.push(score);
    }
  }

  const tokens: Token[] = [];
  const generatedScores: TokenScore[] = [];
  let finishReason: 'stop' | 'length' = 'length';
  let text = '';
  let next: { token?: Token | null; probabilities?: Probabilities } | undefined = evaluated[last]?.next;
  let firstScore = scores.get(last);
  if (firstScore !== undefined || anchors[last] !== undefined)
    next = { token: anchors[last]?.argmax ?? null };
  while (tokens.length < maxTokens) {
    if (next === undefined) throw new Error('the model returned no next token');
    const token = sampled
      ? sample(next.probabilities as Probabilities, request.temperature, random as () => number)
      : next.token;
    if (token === undefined || token === null) throw new Error('the model returned no next token');
    tokens.push(token);
    if (request.scoreGenerated) {
      generatedScores.push(
        firstScore ?? scoreOf(next.probabilities as Probabilities, token, request.topCount),
      );
      firstScore = undefined;
    }
    if (model.isEogToken(token)) {
      finishReason = 'stop';
      break;
    }
    text = model.detokenize(tokens, false);
    const cut = firstStop(text, request.stop);
    if (cut !== undefined) {
      text = text.slice(0, cut);
      finishReason = 'stop';
      break;
    }
    if (tokens.length >= maxTokens) break;
    const [result] = await sequence.controlledEvaluate([
      [token, { generateNext: { token: !sampled, probabilities: wantsNextProbabilities } }],
    ]);
    throwIfAborted(request.signal);
    next = result?.next;
  }
  if (finishReason === 'stop' && tokens.length > 0 && model.isEogToken(tokens.at(-1))) {
    text = model.detokenize(tokens.slice(0, -1), false);
  }
  return { tokens: tokens as number[], text, promptScores, generatedScores, finishReason };
}

/**
 * A position's score from the two passes: every candidate's raw log-probability is the argmax's (pass 1)
 * plus the log of its probability ratio to the argmax among the candidates (pass 2), less the bias the
 * scored token got. Undefined when the scored token or the argmax is not among the candidates, or a
 * needed probability underflowed.
 */
export function scoreFromCandidates(input: {
  anchor: { argmax: number; logprob: number };
  candidates: ReadonlyMap<number, number>;
  target: number;
  bias: number;
  topCount: number;
}): TokenScore | undefined {
  const { anchor, candidates, target, bias } = input;
  const reference = candidates.get(anchor.argmax);
  const targetProbability = candidates.get(target);
  if (reference === undefined || reference <= 0 || targetProbability === undefined || targetProbability <= 0)
    return undefined;
  const logReference = Math.log(reference);
  const logprobOf = (token: number, probability: number): number =>
    token === anchor.argmax
      ? anchor.logprob
      : Math.max(
          anchor.logprob + Math.log(probability) - (token === target ? bias : 0) - logReference,
          MIN_LOGPROB,
        );
  const top: TokenScore['top'] = [];
  for (const [token, probability] of candidates) {
    if (probability <= 0) break;
    top.push({ token, logprob: logprobOf(token, probability) });
  }
  // The biased token may sit above its true rank: order by the corrected values.
  top.sort((a, b) => b.logprob - a.logprob);
  const kept = top.slice(0, input.topCount);
  // An underflowed candidate could hide one of the requested alternatives.
  if (kept.length < input.topCount && top.length < candidates.size) return undefined;
  return { logprob: logprobOf(target, targetProbability), top: kept };
}

/** The actual token's log-probability and the `topCount` most likely tokens (the map is sorted high → low). */
export function scoreOf(
  probabilities: ReadonlyMap<number, number>,
  token: number,
  topCount: number,
): TokenScore {
  const top: TokenScore['top'] = [];
  if (topCount > 0) {
    for (const [candidate, probability] of probabilities) {
      top.push({ token: candidate, logprob: logOf(probability) });
      if (top.length >= topCount) break;
    }
  }
  return { logprob: logOf(probabilities.get(token) ?? 0), top };
}

function logOf(probability: number): number {
  return probability > 0 ? Math.max(Math.log(probability), MIN_LOGPROB) : MIN_LOGPROB;
}

/** Index in `text` where the earliest stop string starts, if any does. */
export function firstStop(text: string, stop: readonly string[]): number | undefined {
  let cut: number | undefined;
  for (const candidate of stop) {
    if (candidate === '') continue;
    const at = text.indexOf(candidate);
    if (at >= 0 && (cut === undefined || at < cut)) cut = at;
  }
  return cut;
}

/** Draws a token from the raw distribution sharpened or flattened by `temperature` (p^(1/T), renormalized). */
function sample(probabilities: Probabilities, temperature: number, random: () => number): Token {
  let total = 0;
  const weights: Array<[Token, number]> = [];
  for (const [token, probability] of probabilities) {
    if (probability <= 0) continue;
    const weight = probability ** (1 / temperature);
    weights.push([token, weight]);
    total += weight;
  }
  let point = random() * total;
  for (const [token, weight] of weights) {
    point -= weight;
    if (point <= 0) return token;
  }
  return (weights.at(-1) as [Token, number])[0];
}

/** mulberry32: a small seeded generator, so a request's `seed` reproduces its sample. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
