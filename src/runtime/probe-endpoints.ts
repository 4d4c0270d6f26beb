import net from 'node:net';
import { InfrastructureError } from '../core/errors.js';
import { backoffDelayMs, type RetryPolicy, sleep } from '../http/retry-policy.js';
import type { HttpRuntime } from './http-runtime.js';

export interface ProbeOptions {
  /** Per connection attempt (10 s). */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
  /** Jitter source (tests). */
  random?: () => number;
}

/**
 * Checks, before the first row, that every model and judge server the run will call accepts a TCP
 * connection, retrying with the endpoint's own policy. A server that stays unreachable ends the run
 * with an `InfrastructureError` (exit 5) naming it — instead of every row failing one by one and the
 * run "succeeding" with nothing but errors. Only reachability is tested: no request is sent, so no
 * call is paid for and no scripted test server sees one.
 */
export async function probeEndpoints(runtime: HttpRuntime, options: ProbeOptions = {}): Promise<void> {
  const seen = new Set<string>();
  const probes: Array<Promise<string | undefined>> = [];
  for (const endpoint of runtime.endpoints()) {
    const url = new URL(endpoint.baseUrl);
    if (seen.has(url.origin)) continue;
    seen.add(url.origin);
    probes.push(probeOne(endpoint.baseUrl, url, endpoint.retryPolicy, options));
  }
  const failures = (await Promise.all(probes)).filter((failure) => failure !== undefined);
  if (failures.length > 0) {
    throw new InfrastructureError(
      `${failures.join('; ')} — is the server running, and is base_url right? No row was run.`,
      { component: 'endpoint' },
    );
  }
}

/** undefined when reachable, else why not. */
async function probeOne(
  baseUrl: string,
  url: URL,
  policy: Readonly<RetryPolicy>,
  options: ProbeOptions,
): Promise<string | undefined> {
  const port = Number(url.port !== '' ? url.port : url.protocol === 'https:' ? 443 : 80);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let reason = '';
  let waited = 0;
  let attempts = 0;
  for (let attempt = 0; attempt <= policy.maxRetries; attempt++) {
    attempts += 1;
    const failure = await connectOnce(host, port, options.connectTimeoutMs ?? 10_000);
    if (failure === undefined) return undefined;
    reason = failure;
    if (attempt === policy.maxRetries) break;
    const delay = backoffDelayMs(attempt, policy, options.random);
    if (waited + delay > policy.maxTotalWaitMs) break;
    waited += delay;
    await sleep(delay, options.signal);
  }
  return `${baseUrl} is unreachable (${reason}${attempts > 1 ? `, ${attempts} attempts` : ''})`;
}

function connectOnce(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (failure: string | undefined): void => {
      socket.destroy();
      resolve(failure);
    };
    socket.setTimeout(timeoutMs, () => done(`no connection within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}
