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
