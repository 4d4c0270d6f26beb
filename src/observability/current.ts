import { AsyncLocalStorage } from 'node:async_hooks';
import type { RunMetrics } from './metrics.js';

/**
 * The run whose metrics code deep in a row's call chain (a scorer, a model/judge endpoint, an MLflow
 * request) records into. Carried by async context rather than threaded through every constructor, so
 * two runs in one process (`evaluate()` twice at once) each record into their own registry, and code
 * running outside any run records nothing.
 */
const current = new AsyncLocalStorage<RunMetrics>();

/** Runs `fn` with `metrics` as the current run's metrics (no-op scope when undefined). */
export function withRunMetrics<T>(metrics: RunMetrics | undefined, fn: () => T): T {
  return metrics === undefined ? fn() : current.run(metrics, fn);
}

/** The metrics of the run this code runs for, if they are collected. */
export function currentRunMetrics(): RunMetrics | undefined {
  return current.getStore();
}
