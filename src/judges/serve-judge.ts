import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { errorMessage, ProviderError } from '../core/errors.js';
import type { ChatMessage } from '../core/judge.js';
import { LocalModel, type LocalModelOptions } from '../providers/local-model.js';
import {
  detokenizeRoute,
  planCompletion,
  type RouteResult,
  runCompletionPlan,
  tokenizeRoute,
  tokenizerInfoRoute,
} from './serve-completions.js';

export interface ServeJudgeOptions {
  /** The GGUF model to serve. */
  modelPath: string;
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /**
   * When set, every route but `/health` requires `Authorization: Bearer <apiKey>` (401 otherwise), as
   * OpenAI-compatible clients send it (`api_key_env` in an eval file).
   */
  apiKey?: string;
  threads?: number;
  contextSize?: number;
  /** Requests waiting for the model at most; beyond it the server answers 503 with `retry-after`. Default 16. */
  maxQueue?: number;
  /** Upper bound on `max_tokens` (default 1024): a tiny model must not be asked for essays. */
  maxTokensCap?: number;
  /** One line per request and lifecycle event. */
  log?: (line: string) => void;
  /** Loads the model; tests may pass their own. Default `LocalModel.load`. */
  loadModel?: (options: LocalModelOptions) => Promise<LocalModel>;
}

export interface JudgeServer {
  /** `http://host:port` */
  readonly url: string;
  /** `http://host:port/v1` — the `base_url` for OpenAI-compatible clients. */
  readonly baseUrl: string;
  readonly port: number;
  /** Resolves when the model is loaded (rejects when loading failed). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares in constant time (over digests, so the key's length does not leak either). */
function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
  if (match === null) return false;
  return timingSafeEqual(digest(match[1] as string), expected);
}
const DEFAULT_MAX_TOKENS = 256;

const contentSchema = z.union([
  z.string(),
  z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
  z.null(),
]);

const requestSchema = z.looseObject({
  model: z.string().optional(),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(['system', 'developer', 'user', 'assistant']),
        content: contentSchema,
      }),
    )
    .min(1),
  temperature: z.number().min(0).max(2).nullable().optional(),
  max_tokens: z.number().int().positive().nullable().optional(),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
  n: z.literal(1).nullable().optional(),
  stream: z.literal(false).nullable().optional(),
  response_format: z
    .union([
      z.looseObject({ type: z.literal('text') }),
      z.looseObject({ type: z.literal('json_object'), schema: z.record(z.string(), z.unknown()).optional() }),
      z.looseObject({
        type: z.literal('json_schema'),
        json_schema: z.looseObject({
          name: z.string().optional(),
          schema: z.record(z.string(), z.unknown()),
          strict: z.boolean().nullable().optional(),
        }),
      }),
    ])
    .optional(),
});

/** A client that hangs up stops its generation: its slot goes to the next request. */
function abortOnHangUp(response: http.ServerResponse): AbortController {
  const abort = new AbortController();
  response.on('close', () => {
    if (!response.writableFinished) abort.abort(new Error('client disconnected'));
  });
  return abort;
}

/**
 * `judgeflow serve-judge`: an OpenAI-compatible server over a local GGUF model (node-llama-cpp, CPU), so
 * users without Python can self-host a judge, benchmarks can score it, and tests have a real model server:
 * - `POST /v1/chat/completions` — messages through the model's chat template; `response_format`
 *   `json_schema` (or `json_object`, as llama.cpp's server takes it) becomes a grammar; usage counted
 *   in the model's tokens; no streaming, n = 1;
 * - `POST /v1/completions` — text or token-id prompts (a list is a batch), `echo` + `logprobs` (0–20)
 *   give every prompt token's log-probability under the model's raw softmax, as lm-eval's
 *   `local-completions` scores choices; greedy at temperature 0, `stop` strings, EOS/EOT. Each prompt is
 *   evaluated from an empty model state, so the same request always gets bit-identical numbers;
 * - `POST /tokenize`, `POST /detokenize`, `GET /tokenizer_info` — vLLM's tokenizer routes, at the root,
 *   for clients that tokenize through the server (lm-eval's `tokenizer_backend=remote`);
 * - `GET /v1/models` (with `max_model_len`); `GET /health` (503 while the model loads, then 200 `{"status":"ok"}`).
 * One model instance answers one request at a time, in arrival order; when more than `maxQueue` wait,
 * new requests get 503 with `retry-after` (judgeflow's HTTP runtime backs off and retries on it).
 */
export async function serveJudge(options: ServeJudgeOptions): Promise<JudgeServer> {
  const log = options.log ?? (() => undefined);
  const maxQueue = options.maxQueue ?? 16;
  const maxTokensCap = options.maxTokensCap ?? 1024;
  const load = options.loadModel ?? ((modelOptions: LocalModelOptions) => LocalModel.load(modelOptions));
  let model: LocalModel | undefined;
  let loadError: unknown;
  const modelOptions: LocalModelOptions = { modelPath: options.modelPath, log };
  if (options.threads !== undefined) modelOptions.threads = options.threads;
  if (options.contextSize !== undefined) modelOptions.contextSize = options.contextSize;
  const ready = load(modelOptions).then(
    (loaded) => {
      model = loaded;
      log(`model ${loaded.name} loaded (context ${loaded.contextSize} tokens)`);
    },
    (error: unknown) => {
      loadError = error;
      log(`model failed to load: ${errorMessage(error)}`);
      throw error;
    },
  );
  ready.catch(() => undefined);

  const expectedKey = options.apiKey !== undefined ? digest(options.apiKey) : undefined;
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && (path === '/health' || path === '/v1/health')) {
      if (model !== undefined) return sendJson(response, 200, { status: 'ok' });
      const message =
        loadError !== undefined ? `Model failed to load: ${errorMessage(loadError)}` : 'Loading model';
      return sendError(response, 503, message, 'unavailable_error');
    }
    if (expectedKey !== undefined && !authorized(request.headers.authorization, expectedKey)) {
      log(`${request.method} ${path} 401`);
      response.setHeader('www-authenticate', 'Bearer');
      // the error never repeats what the client sent
      return sendError(
        response,
        401,
        'missing or wrong API key: send it as "Authorization: Bearer <key>"',
        'authentication_error',
      );
    }
    if (request.method === 'GET' && path === '/v1/models') {
      const id = model?.name ?? 'loading';
      return sendJson(response, 200, {
        object: 'list',
        data: [
          {
            id,
            object: 'model',
            created: Math.floor(Date.now() / 1000),
            owned_by: 'judgeflow',
            ...(model !== undefined ? { max_model_len: model.contextSize } : {}),
          },
        ],
      });
    }
    if (request.method === 'POST' && path === '/v1/chat/completions') {
      void chatCompletion(request, response);
      return;
    }
    if (request.method === 'POST' && path === '/v1/completions') {
      void textCompletion(request, response);
      return;
    }
    if (request.method === 'POST' && (path === '/tokenize' || path === '/detokenize')) {
      void tokenizerRoute(request, response, path === '/tokenize' ? tokenizeRoute : detokenizeRoute);
      return;
    }
    if (request.method === 'GET' && path === '/tokenizer_info') {
      if (model === undefined) return sendLoading(response);
      return sendRoute(response, tokenizerInfoRoute(model));
    }
    sendError(response, 404, `no route for ${request.method} ${path}`, 'not_found_error');
  });

  /** More than `maxQueue` calls waiting: 503 with `retry-after` (judgeflow's HTTP runtime backs off on it). */
  const refuseWhenBusy = (loaded: LocalModel, response: http.ServerResponse): boolean => {
    if (loaded.pending < maxQueue) return false;
    response.setHeader('retry-after', '1');
    sendError(response, 503, `server busy: ${loaded.pending} requests waiting`, 'unavailable_error');
    return true;
  };

  const tokenizerRoute = async (
    request: http.IncomingMessage,
    response: http.ServerResponse,
    route: (loaded: LocalModel, json: unknown) => RouteResult,
  ): Promise<void> => {
    const json = await readJson(request, response);
    if (json === NO_BODY) return;
    if (model === undefined) return sendLoading(response);
    sendRoute(response, route(model, json));
  };

  const textCompletion = async (
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> => {
    const json = await readJson(request, response);
    if (json === NO_BODY) return;
    if (model === undefined) return sendLoading(response);
    const loaded = model;
    if (refuseWhenBusy(loaded, response)) return;
    const plan = planCompletion(loaded, json, { maxTokensCap });
    if ('status' in plan) {
      if (plan.status !== 200) log(`POST /v1/completions ${plan.status} ${plan.error.message}`);
      return sendRoute(response, plan);
    }
    const abort = abortOnHangUp(response);
    const started = performance.now();
    try {
      const result = await runCompletionPlan(loaded, plan, abort.signal);
      log(
        `POST /v1/completions 200 ${plan.prompts.length} prompt(s) ${result.promptTokens}+${result.completionTokens} tokens ${Math.round(performance.now() - started)} ms`,
      );
      sendJson(response, 200, result.body);
    } catch (error) {
      if (abort.signal.aborted) return;
      log(`POST /v1/completions 500 ${errorMessage(error)}`);
      sendError(response, 500, errorMessage(error), 'server_error');
    }
  };

  const chatCompletion = async (
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> => {
    const json = await readJson(request, response);
    if (json === NO_BODY) return;
    const parsed = requestSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      return sendError(
        response,
        400,
        `${where}${issue?.message ?? 'invalid request'}`,
        'invalid_request_error',
      );
    }
    const body = parsed.data;
    if (model === undefined) return sendLoading(response);
    if (refuseWhenBusy(model, response)) return;
    const messages: ChatMessage[] = body.messages.map((message) => ({
      role: message.role === 'developer' ? 'system' : message.role,
      content: contentText(message.content),
    }));
    const maxTokens = Math.min(
      body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_TOKENS,
      maxTokensCap,
    );
    const schema = responseSchema(body.response_format);
    const abort = abortOnHangUp(response);
    const started = performance.now();
    try {
      const result = await model.chat({
        messages,
        maxTokens,
        temperature: body.temperature ?? 0,
        signal: abort.signal,
        ...(schema !== undefined ? { schema } : {}),
      });
      log(
        `POST /v1/chat/completions 200 ${result.usage.inputTokens}+${result.usage.outputTokens} tokens ${Math.round(performance.now() - started)} ms`,
      );
      sendJson(response, 200, {
        id: `chatcmpl-${randomBytes(12).toString('hex')}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: model.name,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: result.text },
            finish_reason: result.finishReason,
            logprobs: null,
          },
        ],
        usage: {
          prompt_tokens: result.usage.inputTokens,
          completion_tokens: result.usage.outputTokens,
          total_tokens: result.usage.totalTokens,
        },
      });
    } catch (error) {
      if (abort.signal.aborted) return;
      const tooLong = error instanceof ProviderError && error.kind === 'invalid_response';
      log(`POST /v1/chat/completions ${tooLong ? 400 : 500} ${errorMessage(error)}`);
      sendError(
        response,
        tooLong ? 400 : 500,
        errorMessage(error),
        tooLong ? 'invalid_request_error' : 'server_error',
      );
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log(`serving ${options.modelPath} at ${url}/v1`);

  let closing: Promise<void> | undefined;
  return {
    url,
    baseUrl: `${url}/v1`,
    port: address.port,
    ready,
    close: () => {
      closing ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await ready.catch(() => undefined);
        await model?.close();
      })();
      return closing;
    },
  };
}

/** The JSON Schema a reply must follow: json_schema's, json_object's optional one, else any JSON object. */
function responseSchema(
  format: z.infer<typeof requestSchema>['response_format'],
): Record<string, unknown> | undefined {
  if (format === undefined || format.type === 'text') return undefined;
  if (format.type === 'json_schema') return format.json_schema.schema;
  return format.schema ?? { type: 'object', additionalProperties: true };
}

function contentText(content: z.infer<typeof contentSchema>): string {
  if (typeof content === 'string') return content;
  if (content === null) return '';
  return content
    .map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : ''))
    .join('');
}

const NO_BODY = Symbol('no body');

/** The request's JSON body; on a body that is too large or not JSON, answers the error and returns NO_BODY. */
async function readJson(
  request: http.IncomingMessage,
  response: http.ServerResponse,
): Promise<unknown | typeof NO_BODY> {
  let text: string;
  try {
    text = await readBody(request);
  } catch (error) {
    sendError(response, 413, errorMessage(error), 'invalid_request_error');
    return NO_BODY;
  }
  try {
    return JSON.parse(text);
  } catch {
    sendError(response, 400, 'the request body is not JSON', 'invalid_request_error');
    return NO_BODY;
  }
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(response: http.ServerResponse, status: number, value: unknown): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(value);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function sendError(response: http.ServerResponse, status: number, message: string, type: string): void {
  sendJson(response, status, { error: { message, type, code: status } });
}

function sendLoading(response: http.ServerResponse): void {
  response.setHeader('retry-after', '1');
  sendError(response, 503, 'Loading model', 'unavailable_error');
}

function sendRoute(response: http.ServerResponse, result: RouteResult): void {
  if (result.status === 200) sendJson(response, 200, result.body);
  else sendError(response, result.status, result.error.message, result.error.type);
}
