import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as NodeLlamaCpp from 'node-llama-cpp';
import { MissingComponentError, ProviderError } from '../core/errors.js';
import type { ChatMessage } from '../core/judge.js';
import type { TokenUsage } from '../core/usage.js';
import {
  type LocalCompletionRequest,
  type LocalCompletionResult,
  runCompletion,
} from './local-completion.js';

/** node-llama-cpp is an optional dependency: the pinned version, for the install hint. */
export const NODE_LLAMA_CPP_VERSION = '3.21.1';

export interface LocalModelOptions {
  /** The GGUF file. */
  modelPath: string;
  /** Tokens of context (prompt + verdict). Default 4096: judge prompts are short, and memory stays small. */
  contextSize?: number;
  /**
   * CPU threads. Default: one less than the cores (at least 1, at most 4) — llama.cpp's threads spin
   * while they wait, and on a small machine shared with the rest of the run, fewer threads are faster.
   */
  threads?: number;
  /**
   * How messages become the prompt. `chat`: the model's chat template (node-llama-cpp picks the
   * wrapper). `plain`: a plain-text question/answer layout for base models, which do not follow chat
   * templates. Default `auto`: `chat` when the GGUF carries a chat template, else `plain` — the default
   * judge model (Gemma 3 270M) is a base model without one.
   */
  promptFormat?: 'auto' | 'chat' | 'plain';
  /** llama.cpp's own log lines (warnings and errors); never written to stdout. */
  log?: (line: string) => void;
}

export interface LocalChatRequest {
  messages: readonly ChatMessage[];
  /** JSON Schema the reply must follow, enforced by a grammar built from it. */
  schema?: Record<string, unknown>;
  maxTokens: number;
  /** 0 = greedy. */
  temperature: number;
  signal?: AbortSignal;
}

export interface LocalChatResult {
  text: string;
  usage: TokenUsage;
  /** `length` when max tokens cut the reply short. */
  finishReason: 'stop' | 'length';
  /** Time spent generating, queueing excluded. */
  latencyMs: number;
}

/**
 * Longest string a grammar allows for free-text fields: a small model that rambles is cut off by the
 * grammar (which then closes the JSON) instead of running into max tokens with broken JSON.
 */
const GRAMMAR_MAX_STRING = 600;
const DEFAULT_CONTEXT_SIZE = 4096;

/**
 * One GGUF model loaded through node-llama-cpp, CPU only (`gpu: false`, `build: 'never'`: it never
 * downloads or compiles llama.cpp), with one context sequence. Calls run one at a time in arrival order;
 * the model keeps the previous prompt's tokens, so a shared system prompt is evaluated once. Replies are
 * constrained by a grammar built from the verdict's JSON Schema.
 */
export class LocalModel {
  readonly path: string;
  /** The file's base name without `.gguf`, e.g. `gemma-3-270m-q4_k_m`. */
  readonly name: string;
  readonly contextSize: number;
  /** The prompt layout in use (see `LocalModelOptions.promptFormat`). */
  readonly promptFormat: 'chat' | 'plain';
  readonly #llama: NodeLlamaCpp.Llama;
  readonly #library: typeof NodeLlamaCpp;
  readonly #model: NodeLlamaCpp.LlamaModel;
  readonly #context: NodeLlamaCpp.LlamaContext;
  readonly #sequence: NodeLlamaCpp.LlamaContextSequence;
  readonly #chat: NodeLlamaCpp.LlamaChat | undefined;
  readonly #completion: NodeLlamaCpp.LlamaCompletion | undefined;
  readonly #grammars = new Map<string, Promise<NodeLlamaCpp.LlamaGrammar>>();
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #closed = false;

  private constructor(parts: {
    path: string;
    library: typeof NodeLlamaCpp;
    llama: NodeLlamaCpp.Llama;
    model: NodeLlamaCpp.LlamaModel;
    context: NodeLlamaCpp.LlamaContext;
    promptFormat: 'chat' | 'plain';
  }) {
    this.path = parts.path;
    this.name = localModelNameOf(parts.path);
    this.#llama = parts.llama;
    this.#library = parts.library;
    this.#model = parts.model;
    this.#context = parts.context;
    this.contextSize = parts.context.contextSize;
    this.promptFormat = parts.promptFormat;
    const contextSequence = parts.context.getSequence();
    this.#sequence = contextSequence;
    this.#chat = parts.promptFormat === 'chat' ? new parts.library.LlamaChat({ contextSequence }) : undefined;
    this.#completion =
      parts.promptFormat === 'plain' ? new parts.library.LlamaCompletion({ contextSequence }) : undefined;
  }

  /** Loads the model (a few seconds for a small GGUF). */
  static async load(options: LocalModelOptions): Promise<LocalModel> {
    if (!existsSync(options.modelPath)) {
      throw new MissingComponentError(`the local judge model ${options.modelPath} does not exist`, {
        installCommand: 'judgeflow setup --only judge',
      });
    }
    const library = await importNodeLlamaCpp();
    const threads = options.threads ?? defaultThreads();
    const log = options.log;
    const llama = await library.getLlama({
      gpu: false,
      build: 'never',
      maxThreads: threads,
      logLevel: library.LlamaLogLevel.error,
      logger: (level, message) => {
        if (
          log !== undefined &&
          (level === library.LlamaLogLevel.error || level === library.LlamaLogLevel.fatal)
        ) {
          log(`[node-llama-cpp] ${message.trimEnd()}`);
        }
      },
    });
    try {
      const model = await llama.loadModel({ modelPath: options.modelPath });
      const context = await model.createContext({
        contextSize: Math.min(options.contextSize ?? DEFAULT_CONTEXT_SIZE, model.trainContextSize),
        sequences: 1,
        threads,
      });
      const format = options.promptFormat ?? 'auto';
      const hasTemplate = typeof model.fileInfo.metadata.tokenizer?.chat_template === 'string';
      const promptFormat = format === 'auto' ? (hasTemplate ? 'chat' : 'plain') : format;
      return new LocalModel({ path: options.modelPath, library, llama, model, context, promptFormat });
    } catch (error) {
      await llama.dispose().catch(() => undefined);
      throw error;
    }
  }

  /** Calls queued or running. */
  get pending(): number {
    return this.#pending;
  }

  /** Tokens of a text in this model's vocabulary. */
  countTokens(text: string): number {
    return this.#model.tokenize(text).length;
  }

  /** Tokens in the vocabulary; valid token ids are 0 to `vocabularySize - 1`. */
  get vocabularySize(): number {
    return this.#model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 0;
  }

  /** The text of the special tokens, as `/tokenize` maps them back to their ids. */
  get specialTokens(): { bos: string | null; eos: string | null; eot: string | null } {
    const tokens = this.#model.tokens;
    return { bos: tokens.bosString, eos: tokens.eosString, eot: tokens.eotString };
  }

  /** The GGUF's chat template (Jinja), when it carries one. */
  get chatTemplate(): string | undefined {
    const template = this.#model.fileInfo.metadata.tokenizer?.chat_template;
    return typeof template === 'string' ? template : undefined;
  }

  /**
   * Token ids of a text; special-token text such as `<eos>` becomes its id. `addBos` prepends the BOS
   * token (when the model has one), as Hugging Face tokenizers do with `add_special_tokens`.
   */
  tokenize(text: string, options: { addBos: boolean }): number[] {
    const tokens = this.#model.tokenize(text, true) as number[];
    const bos = this.#model.tokens.bos as number | null;
    return options.addBos && bos !== null && tokens[0] !== bos ? [bos, ...tokens] : tokens;
  }

  /** The text of token ids; `specialTokens` writes special tokens as their text (`<bos>`), else drops them. */
  detokenize(tokens: readonly number[], options: { specialTokens: boolean }): string {
    return this.#model.detokenize(tokens as readonly NodeLlamaCpp.Token[], options.specialTokens);
  }

  /**
   * Each token's own text, special tokens written out (`<eos>`): the keys of `top_logprobs`. A byte
   * token of a multi-byte character decodes to U+FFFD on its own.
   */
  tokenPieces(ids: readonly number[]): string[] {
    return ids.map((id) => this.#model.detokenize([id as NodeLlamaCpp.Token], true));
  }

  /** One chat completion; queued behind the calls before it. */
  chat(request: LocalChatRequest): Promise<LocalChatResult> {
    return this.#enqueue(() => this.#generate(request));
  }

  /**
   * One text completion over token ids, with log-probabilities; queued behind the calls before it. It
   * starts from an empty sequence, so the same request gives bit-identical numbers whatever ran before.
   */
  complete(request: LocalCompletionRequest): Promise<LocalCompletionResult> {
    return this.#enqueue(async () => {
      if (request.signal?.aborted)
        throw this.#error('call aborted before it started', 'aborted', request.signal.reason);
      if (this.#closed) throw this.#error('the local model is closed', 'aborted');
      if (request.prompt.length === 0) throw this.#error('the prompt has no tokens', 'invalid_response');
      if (request.prompt.length + request.maxTokens > this.contextSize) {
        throw this.#error(
          `prompt of ${request.prompt.length} tokens plus max_tokens ${request.maxTokens} exceeds the context size ${this.contextSize}`,
          'invalid_response',
        );
      }
      const started = performance.now();
      try {
        const result = await runCompletion(
          { sequence: this.#sequence, model: this.#model, TokenBias: this.#library.TokenBias },
          request,
        );
        return { ...result, latencyMs: performance.now() - started };
      } catch (error) {
        if (request.signal?.aborted) throw this.#error('call aborted', 'aborted', error);
        throw this.#error(`completion failed: ${errorText(error)}`, 'network', error);
      } finally {
        // A chat call after this one then starts as on a fresh model, not from a prefix of these tokens.
        await this.#sequence.clearHistory().catch(() => undefined);
      }
    });
  }

  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(this.#error('the local model is closed', 'aborted'));
    this.#pending += 1;
    const run = this.#tail.then(work);
    const settled = run.finally(() => {
      this.#pending -= 1;
    });
    this.#tail = settled.catch(() => undefined);
    return settled;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    await this.#context.dispose().catch(() => undefined);
    await this.#model.dispose().catch(() => undefined);
    await this.#llama.dispose().catch(() => undefined);
  }

  async #generate(request: LocalChatRequest): Promise<LocalChatResult> {
    if (request.signal?.aborted)
      throw this.#error('call aborted before it started', 'aborted', request.signal.reason);
    if (this.#closed) throw this.#error('the local model is closed', 'aborted');
    const history = this.#chat !== undefined ? toChatHistory(request.messages) : undefined;
    const plain = this.#chat === undefined ? toPlainPrompt(request.messages) : undefined;
    const promptTokens =
      history !== undefined && this.#chat !== undefined
        ? this.#chat.chatWrapper
            .generateContextState({ chatHistory: history })
            .contextText.tokenize(this.#model.tokenizer).length
        : this.#model.tokenize(plain ?? '').length + 1;
    if (promptTokens + request.maxTokens > this.contextSize) {
      throw this.#error(
        `prompt of ${promptTokens} tokens plus max_tokens ${request.maxTokens} exceeds the context size ${this.contextSize}`,
        'invalid_response',
      );
    }
    const grammar = request.schema !== undefined ? await this.#grammarFor(request.schema) : undefined;
    const options = {
      maxTokens: request.maxTokens,
      temperature: request.temperature,
      // Free text from a small model loops ("open source, open source, ..."); a mild repeat penalty
      // stops that. Grammar-constrained JSON repeats its own syntax by design, so it gets none.
      ...(grammar !== undefined ? { grammar } : { repeatPenalty: { penalty: 1.1 } }),
      ...(request.signal !== undefined ? { signal: request.signal } : {}),
    };
    const started = performance.now();
    let text: string;
    let stopReason: string;
    try {
      if (history !== undefined && this.#chat !== undefined) {
        const response = await this.#chat.generateResponse(history, options);
        text = response.response;
        stopReason = response.metadata.stopReason;
      } else {
        const response = await (this.#completion as NodeLlamaCpp.LlamaCompletion).generateCompletionWithMeta(
          plain ?? '',
          {
            ...options,
            // Free text ends at a blank line or a new question; a grammar ends the reply by itself.
            ...(grammar === undefined ? { customStopTriggers: ['\n\n', '\nQuestion:'] } : {}),
          },
        );
        text = response.response.trim();
        stopReason = response.metadata.stopReason;
      }
    } catch (error) {
      if (request.signal?.aborted) throw this.#error('call aborted', 'aborted', error);
      throw this.#error(
        `generation failed: ${error instanceof Error ? error.message : String(error)}`,
        'network',
        error,
      );
    }
    const outputTokens = text === '' ? 0 : this.#model.tokenize(text).length;
    return {
      text,
      usage: { inputTokens: promptTokens, outputTokens, totalTokens: promptTokens + outputTokens },
      finishReason: stopReason === 'maxTokens' ? 'length' : 'stop',
      latencyMs: performance.now() - started,
    };
  }

  #grammarFor(schema: Record<string, unknown>): Promise<NodeLlamaCpp.LlamaGrammar> {
    const key = JSON.stringify(schema);
    let grammar = this.#grammars.get(key);
    if (grammar === undefined) {
      grammar = this.#llama.createGrammarForJsonSchema(
        toGrammarSchema(schema) as unknown as Parameters<NodeLlamaCpp.Llama['createGrammarForJsonSchema']>[0],
      ) as Promise<NodeLlamaCpp.LlamaGrammar>;
      grammar.catch(() => this.#grammars.delete(key));
      this.#grammars.set(key, grammar);
    }
    return grammar;
  }

  #error(message: string, kind: ProviderError['kind'], cause?: unknown): ProviderError {
    return new ProviderError({
      message: `local model ${this.name}: ${message}`,
      url: `local:${this.path}`,
      kind,
      retryable: false,
      ...(cause !== undefined ? { cause } : {}),
    });
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function defaultThreads(): number {
  return Math.max(1, Math.min(4, os.availableParallelism() - 1));
}

async function importNodeLlamaCpp(): Promise<typeof NodeLlamaCpp> {
  try {
    return await import('node-llama-cpp');
  } catch (cause) {
    throw new MissingComponentError('the embedded judge needs the optional package node-llama-cpp', {
      installCommand: `npm install -E node-llama-cpp@${NODE_LLAMA_CPP_VERSION}`,
      cause,
    });
  }
}

/**
 * OpenAI-style messages as node-llama-cpp chat history, ending with the empty model turn to generate.
 * Consecutive user messages merge (the chat wrappers expect turns to alternate).
 */
export function toChatHistory(messages: readonly ChatMessage[]): NodeLlamaCpp.ChatHistoryItem[] {
  const history: NodeLlamaCpp.ChatHistoryItem[] = [];
  for (const message of messages) {
    const last = history.at(-1);
    if (message.role === 'system') {
      if (last?.type === 'system') last.text = `${last.text}\n\n${message.content}`;
      else history.push({ type: 'system', text: message.content });
    } else if (message.role === 'user') {
      if (last?.type === 'user') last.text = `${last.text}\n\n${message.content}`;
      else history.push({ type: 'user', text: message.content });
    } else {
      history.push({ type: 'model', response: [message.content] });
    }
  }
  history.push({ type: 'model', response: [] });
  return history;
}

/**
 * Messages as plain text for a base model (no chat template): the system text, then each user turn
 * as `Question: ...` and each answer after `Answer:`, ending with the `Answer:` to complete.
 */
export function toPlainPrompt(messages: readonly ChatMessage[]): string {
  let prompt = '';
  for (const message of messages) {
    if (message.role === 'system') prompt += `${message.content}\n\n`;
    else if (message.role === 'user') {
      // Consecutive user messages are one question.
      prompt = prompt.endsWith('\nAnswer:')
        ? `${prompt.slice(0, -'\nAnswer:'.length)}\n\n${message.content}\nAnswer:`
        : `${prompt}Question: ${message.content}\nAnswer:`;
    } else prompt += ` ${message.content}\n\n`;
  }
  return prompt.endsWith('Answer:') ? prompt : `${prompt}Answer:`;
}

/**
 * The subset of JSON Schema node-llama-cpp turns into a grammar: structure and enums are kept;
 * numeric ranges and string patterns are dropped (they are validated after parsing instead), and free
 * strings get a length cap.
 */
export function toGrammarSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toGrammarSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const source = schema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of [
    'type',
    'enum',
    'const',
    'required',
    'minItems',
    'maxItems',
    'minProperties',
    'maxProperties',
  ]) {
    if (key in source) out[key] = source[key];
  }
  if (source.properties !== null && typeof source.properties === 'object') {
    out.properties = Object.fromEntries(
      Object.entries(source.properties as Record<string, unknown>).map(([key, value]) => [
        key,
        toGrammarSchema(value),
      ]),
    );
  }
  if ('additionalProperties' in source) {
    out.additionalProperties =
      typeof source.additionalProperties === 'boolean'
        ? source.additionalProperties
        : toGrammarSchema(source.additionalProperties);
  }
  for (const key of ['items', 'prefixItems', 'oneOf', 'anyOf']) {
    if (key in source) out[key === 'anyOf' ? 'oneOf' : key] = toGrammarSchema(source[key]);
  }
  if (source.$defs !== null && typeof source.$defs === 'object') {
    out.$defs = Object.fromEntries(
      Object.entries(source.$defs as Record<string, unknown>).map(([key, value]) => [
        key,
        toGrammarSchema(value),
      ]),
    );
  }
  if ('$ref' in source) out.$ref = source.$ref;
  if (out.type === 'string' && out.enum === undefined && out.const === undefined) {
    const own = typeof source.maxLength === 'number' ? source.maxLength : GRAMMAR_MAX_STRING;
    out.maxLength = Math.min(own, GRAMMAR_MAX_STRING);
    if (typeof source.minLength === 'number') out.minLength = source.minLength;
  }
  return out;
}

/** `gemma-3-270m-q4_k_m` for `/x/gemma-3-270m-q4_k_m.gguf`. */
export function localModelNameOf(file: string): string {
  return path.basename(file).replace(/\.gguf$/i, '');
}
