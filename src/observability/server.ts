import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Where `/metrics` is served. */
export interface MetricsServerOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Interface to bind (127.0.0.1: only this machine; 0.0.0.0 in a pod, for Prometheus). */
  host?: string;
  registry: Registry;
}

export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the registry's text exposition on `GET /metrics` (and 404 elsewhere). */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const { registry } = options;
  const server: Server = createServer((request, response) => {
    const url = request.url ?? '/';
    if (request.method !== 'GET' || (url !== '/metrics' && !url.startsWith('/metrics?'))) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) =>
        response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A scrape endpoint never keeps a finished process alive.
  server.unref();
  const port = (server.address() as AddressInfo).port;
  return {
    host,
    port,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The metrics port and host a process should use, from its options and environment; undefined: off. */
export function metricsEndpointFrom(options: {
  port?: number | undefined;
  host?: string | undefined;
  env: { metricsPort?: number | undefined; metricsHost?: string | undefined };
}): { port: number; host: string } | undefined {
  const port = options.port ?? options.env.metricsPort;
  if (port === undefined) return undefined;
  return { port, host: options.host ?? options.env.metricsHost ?? '127.0.0.1' };
}

/** How many ports a Ray worker tries from its base port when `JUDGEFLOW_METRICS_PORT_SPAN` is unset. */
export const DEFAULT_METRICS_PORT_SPAN = 8;

/**
 * Serves `/metrics` on the first free port of `port`, `port + 1`, … `port + span - 1`: the worker actors
 * that share one Ray worker pod (up to 8) each get their own port from one `JUDGEFLOW_METRICS_PORT`.
 * Only a taken port (`EADDRINUSE`) moves on to the next; any other error, or every port taken, throws.
 * Port 0 (any free port) is tried once.
 */
export async function startMetricsServerInRange(
  options: MetricsServerOptions & { span?: number | undefined },
  start: typeof startMetricsServer = startMetricsServer,
): Promise<MetricsServer> {
  const span = options.port === 0 ? 1 : Math.max(1, options.span ?? DEFAULT_METRICS_PORT_SPAN);
  const last = Math.min(65535, options.port + span - 1);
  for (let port = options.port; ; port++) {
    try {
      const { span: _span, ...rest } = options;
      return await start({ ...rest, port });
    } catch (error) {
      const taken = (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
      if (!taken) throw error;
      if (port >= last) {
        throw new Error(
          last === options.port
            ? `port ${options.port} is in use`
            : `ports ${options.port}-${last} are all in use (JUDGEFLOW_METRICS_PORT_SPAN=${span})`,
        );
      }
    }
  }
}
