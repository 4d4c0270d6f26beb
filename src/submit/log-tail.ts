import { Agent, type Dispatcher, WebSocket } from 'undici';
import type { RayJobsClient } from './jobs-client.js';

export interface FollowOptions {
  /** Receives log text as it arrives (chunks of whole lines). */
  onText(text: string): void;
  /** Diagnostics. */
  log(line: string): void;
  /** Stops following (the job itself keeps running unless someone stops it). */
  signal?: AbortSignal;
  /** Polling interval when the WebSocket is unavailable. */
  pollMs?: number;
}

/**
 * Streams a job's logs until the job ends: Ray's tail WebSocket (`/api/jobs/{id}/logs/tail`, which the
 * dashboard closes when the job is done), or — when no WebSocket can be opened (a proxy in the way) —
 * by polling the full logs and printing what is new.
 */
export async function followJobLogs(
  client: RayJobsClient,
  id: string,
  options: FollowOptions,
): Promise<void> {
  const opened = await tailOverWebSocket(client, id, options);
  if (opened) return;
  options.log('judgeflow: the log WebSocket is unavailable; polling the logs instead');
  await tailByPolling(client, id, options);
}

/**
 * undici 7.30's WebSocket offers permessage-deflate and then silently drops the compressed frames that
 * Ray's aiohttp server sends (no message event at all). This dispatcher removes the offer, so the
 * dashboard answers with plain text frames.
 */
function withoutCompressionOffer(): { dispatcher: Dispatcher; close: () => Promise<void> } {
  const agent = new Agent();
  const dispatcher = agent.compose((dispatch) => (options, handler) => {
    const headers = options.headers;
    if (headers === undefined || headers === null) return dispatch(options, handler);
    let cleaned: NonNullable<Dispatcher.DispatchOptions['headers']> = headers;
    const isOffer = (name: unknown) => String(name).toLowerCase() === 'sec-websocket-extensions';
    if (Array.isArray(headers)) {
      const kept: string[] = [];
      for (let i = 0; i + 1 < headers.length; i += 2) {
        if (!isOffer(headers[i])) kept.push(String(headers[i]), String(headers[i + 1]));
      }
      cleaned = kept;
    } else if (typeof headers === 'object' && !(Symbol.iterator in headers)) {
      cleaned = Object.fromEntries(Object.entries(headers).filter(([name]) => !isOffer(name)));
    }
    return dispatch({ ...options, headers: cleaned }, handler);
  });
  return { dispatcher, close: () => agent.close() };
}

/** Resolves true once the socket closed after having opened; false when it never opened. */
async function tailOverWebSocket(
  client: RayJobsClient,
  id: string,
  options: FollowOptions,
): Promise<boolean> {
  const { dispatcher, close } = withoutCompressionOffer();
  try {
    return await tailSocket(client, id, options, dispatcher);
  } finally {
    await close().catch(() => undefined);
  }
}

function tailSocket(
  client: RayJobsClient,
  id: string,
  options: FollowOptions,
  dispatcher: Dispatcher,
): Promise<boolean> {
  return new Promise((resolve) => {
    let opened = false;
    let settled = false;
    const socket = new WebSocket(client.tailUrl(id), { headers: client.headers(), dispatcher });
    const finish = (value: boolean) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onAbort = () => {
      socket.close();
      finish(true);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.addEventListener('open', () => {
      opened = true;
    });
    socket.addEventListener('message', (event) => {
      const data: unknown = event.data;
      if (typeof data === 'string') options.onText(data);
      else if (data instanceof ArrayBuffer) options.onText(Buffer.from(data).toString('utf8'));
    });
    socket.addEventListener('error', () => {
      if (!opened) finish(false);
    });
    socket.addEventListener('close', () => finish(opened));
  });
}

async function tailByPolling(client: RayJobsClient, id: string, options: FollowOptions): Promise<void> {
  let printed = 0;
  for (;;) {
    const [logs, details] = await Promise.all([client.logs(id), client.get(id)]);
    if (logs.length > printed) {
      options.onText(logs.slice(printed));
      printed = logs.length;
    }
    if (['STOPPED', 'SUCCEEDED', 'FAILED'].includes(details.status) || options.signal?.aborted) return;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 2000));
  }
}
