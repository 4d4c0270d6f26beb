import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * A loopback OpenAI-compatible server that answers every `/v1/chat/completions` request after a fixed
 * latency with a deterministic completion (`echo: <start of the last user message>`) and usage. With
 * `response_format: {type: "json_schema"}` it answers a JSON object that satisfies the schema with simple
 * values (strings "yes", booleans true, numbers at their minimum, enums their first value), so judges
 * can be benchmarked against it. Also `/v1/models` and `/health`.
 *
 * Cheap per request (no per-request allocation beyond the JSON), so it serves well over 1000 req/s at
 * L=100 ms on one core. In-process: `startLatencyServer({latencyMs})`; as its own process (the bench):
 *
 *   node --import tsx test/helpers/latency-server.ts --port 0 --latency-ms 100   # prints "READY <port>"
 */

export interface LatencyServer {
  readonly baseUrl: string;
  readonly port: number;
  /** Completions answered so far. */
  readonly served: number;
  /** Requests received so far, on any path, answered or not (a test's "no call was made"). */
  readonly received: number;
  close(): Promise<void>;
}

export interface LatencyServerOptions {
  latencyMs: number;
  /** Default: a free port. */
  port?: number;
  host?: string;
  /** Model name reported in answers (default `latency-model`). */
  model?: string;
}

const ECHO_CHARS = 48;

export async function startLatencyServer(options: LatencyServerOptions): Promise<LatencyServer> {
  const host = options.host ?? '127.0.0.1';
  const model = options.model ?? 'latency-model';
  let served = 0;
  let received = 0;
  let created = Math.floor(Date.now() / 1000);

  const server = http.createServer((request, response) => {
    received += 1;
    const path = (request.url ?? '').split('?')[0];
    if (request.method === 'GET' && path === '/health') {
      send(response, 200, '{"status":"ok"}');
      return;
    }
    if (request.method === 'GET' && path === '/v1/models') {
      send(
        response,
        200,
        JSON.stringify({ object: 'list', data: [{ id: model, object: 'model', owned_by: 'judgeflow' }] }),
      );
      return;
    }
    if (request.method !== 'POST' || path !== '/v1/chat/completions') {
      send(
        response,
        404,
        JSON.stringify({ error: { message: `no route ${request.method} ${request.url}` } }),
      );
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text =
        chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
      let body: ChatRequest;
      try {
        body = JSON.parse(text) as ChatRequest;
      } catch {
        send(response, 400, JSON.stringify({ error: { message: 'body is not JSON' } }));
        return;
      }
      const answer = answerFor(body);
      const promptTokens = Math.ceil(text.length / 4);
      const completionTokens = Math.max(1, Math.ceil(answer.length / 4));
      served += 1;
      const payload = JSON.stringify({
        id: `chatcmpl-latency-${served}`,
        object: 'chat.completion',
        created,
        model: typeof body.model === 'string' ? body.model : model,
        choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
        },
      });
      if (options.latencyMs <= 0) send(response, 200, payload);
      else setTimeout(send, options.latencyMs, response, 200, payload);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  const tick = setInterval(() => {
    created = Math.floor(Date.now() / 1000);
  }, 1000);
  tick.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://${host}:${port}/v1`,
    port,
    get served() {
      return served;
    },
    get received() {
      return received;
    },
    close: async () => {
      clearInterval(tick);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface ChatRequest {
  model?: unknown;
  messages?: Array<{ role?: unknown; content?: unknown }>;
  response_format?: { type?: unknown; json_schema?: { schema?: unknown } };
}

/** The completion text: a verdict object for json_schema requests, else an echo of the last user message. */
export function answerFor(body: ChatRequest): string {
  const format = body.response_format;
  if (format?.type === 'json_schema' && format.json_schema?.schema !== undefined) {
    return JSON.stringify(valueForSchema(format.json_schema.schema));
  }
  if (format?.type === 'json_object') return '{"result":"yes"}';
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const message = messages[i];
    if (message?.role === 'user' && typeof message.content === 'string') {
      return `echo: ${message.content.slice(0, ECHO_CHARS)}`;
    }
  }
  return 'echo:';
}

/** A simple value satisfying a JSON Schema: every listed property filled, minimal where bounded. */
export function valueForSchema(schema: unknown, depth = 0): unknown {
  if (schema === null || typeof schema !== 'object' || depth > 16) return null;
  const s = schema as Record<string, unknown>;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = s[key];
    if (Array.isArray(options) && options.length > 0) {
      const pick = options.find((o) => (o as { type?: unknown })?.type !== 'null') ?? options[0];
      return valueForSchema(pick, depth + 1);
    }
  }
  const types = Array.isArray(s.type) ? (s.type as unknown[]) : [s.type];
  const type = types.find((t) => t !== 'null') ?? (s.properties !== undefined ? 'object' : types[0]);
  switch (type) {
    case 'string': {
      const minLength = typeof s.minLength === 'number' ? s.minLength : 0;
      return 'yes'.padEnd(minLength, 's');
    }
    case 'boolean':
      return true;
    case 'integer':
    case 'number': {
      if (typeof s.minimum === 'number') return type === 'integer' ? Math.ceil(s.minimum) : s.minimum;
      if (typeof s.exclusiveMinimum === 'number') return Math.floor(s.exclusiveMinimum) + 1;
      if (typeof s.maximum === 'number') return Math.min(0, s.maximum);
      return 0;
    }
    case 'array': {
      const minItems = typeof s.minItems === 'number' ? s.minItems : 0;
      return Array.from({ length: minItems }, () => valueForSchema(s.items, depth + 1));
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      for (const [name, property] of Object.entries(properties))
        out[name] = valueForSchema(property, depth + 1);
      if (Array.isArray(s.required)) {
        for (const name of s.required) if (typeof name === 'string' && !(name in out)) out[name] = 'yes';
      }
      return out;
    }
    case 'null':
      return null;
    default:
      return 'yes';
  }
}

function send(response: http.ServerResponse, code: number, payload: string): void {
  response.writeHead(code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  response.end(payload);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'latency-ms': { type: 'string', default: '100' },
      model: { type: 'string' },
    },
  });
  const latencyMs = Number(values['latency-ms']);
  const port = Number(values.port);
  if (!Number.isFinite(latencyMs) || latencyMs < 0 || !Number.isInteger(port) || port < 0) {
    process.stderr.write('usage: latency-server.ts --port P --latency-ms L [--host H] [--model NAME]\n');
    process.exit(2);
  }
  const server = await startLatencyServer({
    latencyMs,
    port,
    host: values.host,
    ...(values.model !== undefined ? { model: values.model } : {}),
  });
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`READY ${server.port}\n`);
}

// Runs only as a script: importing the module starts nothing.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
