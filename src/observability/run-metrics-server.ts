import { RunMetrics } from './metrics.js';
import { metricsEndpointFrom, startMetricsServer } from './server.js';

/** `--metrics-port` / `--metrics-host` / `--metrics-linger-s`, or `evaluate({metrics})`. */
export interface MetricsOptions {
  port?: number | undefined;
  host?: string | undefined;
  /** Keep serving this many seconds after the run ends, for a last scrape (default 0). */
  lingerSeconds?: number | undefined;
}

/** A run's metrics and, when a port is configured, the server exporting them. */
export interface ServedRunMetrics {
  metrics: RunMetrics;
  url: string | undefined;
  /** Stops the server after the linger time. */
  close(): Promise<void>;
}

/** Undefined when metrics are off (no port in the options or `JUDGEFLOW_METRICS_PORT`). */
export async function serveRunMetrics(options: {
  run: string;
  metrics: MetricsOptions | undefined;
  env: { metricsPort?: number | undefined; metricsHost?: string | undefined };
  log: (line: string) => void;
}): Promise<ServedRunMetrics | undefined> {
  const endpoint = metricsEndpointFrom({
    port: options.metrics?.port,
    host: options.metrics?.host,
    env: options.env,
  });
  if (endpoint === undefined) return undefined;
  const metrics = new RunMetrics({ run: options.run });
  const server = await startMetricsServer({ ...endpoint, registry: metrics.registry });
  options.log(`judgeflow: Prometheus metrics on ${server.url}`);
  const lingerMs = Math.max(0, (options.metrics?.lingerSeconds ?? 0) * 1000);
  return {
    metrics,
    url: server.url,
    close: async () => {
      if (lingerMs > 0) await new Promise((resolve) => setTimeout(resolve, lingerMs));
      await server.close();
    },
  };
}
