import { ConfigError } from '../core/errors.js';
import type { Sink } from '../core/sink.js';
import { createResultsJsonlSink } from '../sinks/files/results-jsonl.js';
import type { MlflowSinkOptions } from '../sinks/mlflow/sink.js';

/**
 * The sinks of a run, in the order the runner calls them: results.jsonl first (the MLflow sink reads
 * it at the end for the results table and artifacts, and `judgeflow mlflow sync` recovers a dead run
 * from it), then the app's own derived sinks, then MLflow when the run logs there, then the caller's
 * own sinks — last, so their `finish` sees the summary with the sections the built-in sinks patched
 * in (the MLflow run's URL).
 */
export async function runSinks(options: {
  /** The MLflow sink's options, when the run logs to MLflow. */
  mlflow?: MlflowSinkOptions;
  /**
   * Sinks that compute something over the whole run (`judgeflow agreement`'s kappa): before MLflow,
   * so the metrics they patch into the summary and the files they leave reach the MLflow run.
   */
  derived?: readonly Sink[];
  /** A library user's sinks (`evaluate({sinks})`). */
  extra?: readonly Sink[];
}): Promise<Sink[]> {
  const sinks: Sink[] = [createResultsJsonlSink(), ...(options.derived ?? [])];
  if (options.mlflow !== undefined) {
    // MLflow code is loaded only by runs that log there (a files-only run starts faster).
    const { createMlflowSink } = await import('../sinks/mlflow/sink.js');
    sinks.push(createMlflowSink(options.mlflow));
  }
  sinks.push(...(options.extra ?? []));
  return sinks;
}

/** Checks `evaluate({sinks})` before anything runs: each must look like a `Sink`. */
export function checkUserSinks(sinks: readonly unknown[]): Sink[] {
  return sinks.map((sink, index) => {
    const candidate = sink as Partial<Record<keyof Sink, unknown>> | null;
    const missing =
      typeof candidate !== 'object' || candidate === null
        ? ['name', 'start', 'write', 'finish']
        : [
            ...(typeof candidate.name === 'string' && candidate.name !== '' ? [] : ['name']),
            ...(['start', 'write', 'finish'] as const).filter((key) => typeof candidate[key] !== 'function'),
            ...(candidate.progress !== undefined && typeof candidate.progress !== 'function'
              ? ['progress']
              : []),
          ];
    if (missing.length > 0) {
      throw new ConfigError(
        `evaluate({sinks}): sinks[${index}] is not a sink: expected {name: string, start(info), write(result), finish(summary), progress?()}; wrong or missing: ${missing.join(', ')}`,
        { field: `sinks[${index}]` },
      );
    }
    return sink as Sink;
  });
}
