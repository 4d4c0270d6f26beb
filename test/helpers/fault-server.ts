import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scripted, OpenAI-compatible `/v1/chat/completions` server for fault tests (model and judge clients).
 * Each request takes the next action from a queue; every request is recorded, so a test can assert how
 * many attempts were made, when, and with what body. It fails loudly: an unexpected path, or a request
 * after the script ran out, is answered 418 (a status no client retries) and listed in `unexpected`, and
 * `assertNoUnexpected()` throws.
 *
 * ```ts
 * const server = await startFaultServer();
 * server.enqueue(status(429, { retryAfter: 0.05 }), ok('Paris'));
 * // ... call `${server.baseUrl}/chat/completions` ...
 * expect(server.requests).toHaveLength(2);
 * await server.close();
 * ```
 */

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What the server does with one request. Build them with the helpers below. */
export type FaultAction =
  | {
      type: 'ok';
      text: string;
      usage: CompletionUsage | undefined;
      model: string | undefined;
      finishReason: string;
      headers: Record<string, string>;
      delayMs: number;
    }
  | { type: 'status'; status: number; headers: Record<string, string>; body: string; delayMs: number }
  | { type: 'stall'; ms: number; then: FaultAction | undefined }
  | { type: 'reset' }
  | { type: 'truncated'; body: string }
  | { type: 'raw'; body: string; status: number; contentType: string }
  | { type: 'custom'; handle: (request: RecordedRequest, response: http.ServerResponse) => void };

/** A 200 chat completion whose assistant message is `text` (usage computed from the lengths unless given). */
export function ok(
  text: string,
  options: {
    usage?: CompletionUsage;
    model?: string;
    finishReason?: string;
    headers?: Record<string, string>;
    delayMs?: number;
  } = {},
): FaultAction {
  return {
    type: 'ok',
    text,
    usage: options.usage,
    model: options.model,
    finishReason: options.finishReason ?? 'stop',
    headers: options.headers ?? {},
    delayMs: options.delayMs ?? 0,
  };
}

/**
 * An error status with an OpenAI-style error body. `retryAfter` sets `retry-after` (a number: seconds; a
 * string: sent as is, e.g. an HTTP date); `retryAfterMs` sets `retry-after-ms`.
 */
export function status(
  code: number,
  options: {
    retryAfter?: number | string;
    retryAfterMs?: number;
    headers?: Record<string, string>;
    body?: string;
    delayMs?: number;
  } = {},
): FaultAction {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.retryAfter !== undefined) headers['retry-after'] = String(options.retryAfter);
  if (options.retryAfterMs !== undefined) headers['retry-after-ms'] = String(options.retryAfterMs);
  const body =
    options.body ??
    JSON.stringify({ error: { message: `fault-server: scripted HTTP ${code}`, type: 'fault', code } });
  return { type: 'status', status: code, headers, body, delayMs: options.delayMs ?? 0 };
}

/**
 * Holds the request for `ms` without answering, then performs `then` (default: a 200 `ok('stalled')`) if
 * the client is still connected. Pending stalls end when the server closes.
 */
export function stall(ms: number, then?: FaultAction): FaultAction {
  return { type: 'stall', ms, then };
}

/** Destroys the connection without a response (the client sees a socket reset / "other side closed"). */
export function reset(): FaultAction {
  return { type: 'reset' };
}

/**
 * Announces the full `content-length` of `json` (an object is serialized), sends the first half, then
 * destroys the socket: a body truncated in transit.
 */
export function truncated(json: unknown): FaultAction {
  return { type: 'truncated', body: typeof json === 'string' ? json : JSON.stringify(json) };
}

/** Sends `body` verbatim (default status 200, content type application/json) — e.g. invalid JSON. */
export function raw(body: string, options: { status?: number; contentType?: string } = {}): FaultAction {
  return {
    type: 'raw',
    body,
    status: options.status ?? 200,
    contentType: options.contentType ?? 'application/json',
  };
}

/** Full control: answer the request yourself. */
export function custom(
  handle: (request: RecordedRequest, response: http.ServerResponse) => void,
): FaultAction {
  return { type: 'custom', handle };
}

export interface RecordedRequest {
  /** 0-based arrival order. */
  seq: number;
  method: string;
  /** Path with query. */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body parsed as JSON; the raw text when it is not JSON. */
  body: unknown;
  /** Arrival time, epoch ms with sub-ms precision. */
  receivedAtMs: number;
  /** Requests in flight at this one's arrival, itself included. */
  inFlight: number;
  /** The client's port: the same port on two requests means a reused keep-alive connection. */
  remotePort: number | undefined;
  /** The action taken (`unexpected` when none was). */
  action: FaultAction['type'] | 'unexpected';
}

export interface FaultServer {
  /** `http://127.0.0.1:<port>/v1` — what a client's `base_url` should be. */
  readonly baseUrl: string;
  /** `http://127.0.0.1:<port>` — the base URL of APIs whose paths carry the version (Anthropic's `/v1/messages`). */
  readonly origin: string;
  readonly port: number;
  /** Every request received, in arrival order (unexpected ones included). */
  readonly requests: readonly RecordedRequest[];
  /** Requests the script did not expect. */
  readonly unexpected: readonly RecordedRequest[];
  /** Highest number of requests in flight at once. */
  readonly maxInFlight: number;
  /** Appends actions to the script. */
  enqueue(...actions: FaultAction[]): void;
  /** Actions not yet used. */
  readonly pending: number;
  /** Throws when any request was unexpected. */
  assertNoUnexpected(): void;
  /** Clears the script and the recorded requests. */
  reset(): void;
  /** Stops listening and destroys open connections (ends pending stalls). */
  close(): Promise<void>;
}

export interface FaultServerOptions {
  /** Port to listen on (default: a free one). */
  port?: number;
  /** What to do when the script is empty: `fail` (418, recorded as unexpected; default) or an action to repeat. */
  whenEmpty?: 'fail' | FaultAction;
  /** The one path POSTs are expected on (default `/v1/chat/completions`; `/v1/messages` for Anthropic). */
  path?: string;
}

const COMPLETIONS_PATH = '/v1/chat/completions';

export async function startFaultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  const script: FaultAction[] = [];
  const requests: RecordedRequest[] = [];
  const unexpected: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let maxInFlight = 0;

  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const perform = (action: FaultAction, recorded: RecordedRequest, response: http.ServerResponse): void => {
    if (response.destroyed) return;
    switch (action.type) {
      case 'ok': {
        const send = (): void => {
          if (response.destroyed) return;
          sendJson(response, 200, completion(recorded, action), action.headers);
        };
        if (action.delayMs > 0) later(action.delayMs, send);
        else send();
        return;
      }
      case 'status': {
        const send = (): void => {
          if (response.destroyed) return;
          response.writeHead(action.status, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(action.body),
            ...action.headers,
          });
          response.end(action.body);
        };
        if (action.delayMs > 0) later(action.delayMs, send);
        else send();
        return;
      }
      case 'stall':
        later(action.ms, () => perform(action.then ?? ok('stalled'), recorded, response));
        return;
      case 'reset':
        response.socket?.destroy();
        return;
      case 'truncated': {
        const bytes = Buffer.from(action.body);
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
        response.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => {
          // Let the first half reach the client before the connection dies.
          later(5, () => response.socket?.destroy());
        });
        return;
      }
      case 'raw':
        response.writeHead(action.status, {
          'content-type': action.contentType,
          'content-length': Buffer.byteLength(action.body),
        });
        response.end(action.body);
        return;
      case 'custom':
        action.handle(recorded, response);
        return;
    }
  };

  const server = http.createServer((request, response) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      inFlight -= 1;
    };
    response.on('close', done);
    const receivedAtMs = performance.timeOrigin + performance.now();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        // Kept as text: the test may want to see what was sent.
      }
      const recorded: RecordedRequest = {
        seq: requests.length,
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body,
        receivedAtMs,
        inFlight,
        remotePort: request.socket.remotePort,
        action: 'unexpected',
      };
      requests.push(recorded);
      const expectedPath =
        request.method === 'POST' && (request.url ?? '').split('?')[0] === (options.path ?? COMPLETIONS_PATH);
      const action = expectedPath ? (script.shift() ?? emptyAction(options.whenEmpty)) : undefined;
      if (action === undefined) {
        unexpected.push(recorded);
        const reason = expectedPath
          ? 'no scripted action left'
          : `unexpected ${request.method} ${request.url}`;
        sendJson(response, 418, { error: { message: `fault-server: ${reason}`, type: 'unexpected' } }, {});
        return;
      }
      recorded.action = action.type;
      perform(action, recorded, response);
    });
  });
  server.keepAliveTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    unexpected,
    get maxInFlight() {
      return maxInFlight;
    },
    get pending() {
      return script.length;
    },
    enqueue: (...actions) => {
      script.push(...actions);
    },
    assertNoUnexpected: () => {
      if (unexpected.length > 0) {
        const list = unexpected.map((r) => `#${r.seq} ${r.method} ${r.path}`).join(', ');
        throw new Error(`fault-server received ${unexpected.length} unexpected request(s): ${list}`);
      }
    },
    reset: () => {
      script.length = 0;
      requests.length = 0;
      unexpected.length = 0;
      maxInFlight = 0;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function emptyAction(whenEmpty: FaultServerOptions['whenEmpty']): FaultAction | undefined {
  return whenEmpty === undefined || whenEmpty === 'fail' ? undefined : whenEmpty;
}

function completion(recorded: RecordedRequest, action: Extract<FaultAction, { type: 'ok' }>): unknown {
  const body = (typeof recorded.body === 'object' && recorded.body !== null ? recorded.body : {}) as {
    model?: unknown;
    messages?: Array<{ content?: unknown }>;
  };
  const promptChars = JSON.stringify(body.messages ?? []).length;
  const prompt = Math.ceil(promptChars / 4);
  const completionTokens = Math.max(1, Math.ceil(action.text.length / 4));
  return {
    id: `chatcmpl-fault-${recorded.seq}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: action.model ?? (typeof body.model === 'string' ? body.model : 'fault-model'),
    choices: [
      { index: 0, message: { role: 'assistant', content: action.text }, finish_reason: action.finishReason },
    ],
    usage: action.usage ?? {
      prompt_tokens: prompt,
      completion_tokens: completionTokens,
      total_tokens: prompt + completionTokens,
    },
  };
}

function sendJson(
  response: http.ServerResponse,
  code: number,
  value: unknown,
  headers: Record<string, string>,
): void {
  const text = JSON.stringify(value);
  response.writeHead(code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}
