import { ConfigError } from '../core/errors.js';
import { AGGREGATIONS, type Aggregation } from '../core/scorer.js';

/** A quality gate: metric `<name>/<agg>` must be at least `threshold`. */
export interface Gate {
  metric: string;
  threshold: number;
}

/** Parses `--fail-under exact_match/mean=0.8`. */
export function parseGate(text: string): Gate {
  const match = /^(.+)\/([a-z0-9]+)=(-?\d+(?:\.\d+)?)$/.exec(text.trim());
  if (match === null) {
    throw new ConfigError(
      `--fail-under "${text}": expected <name>/<aggregation>=<number>, e.g. exact_match/mean=0.8`,
      {
        field: 'fail_under',
      },
    );
  }
  const [, name, aggregation, threshold] = match as unknown as [string, string, string, string];
  if (!AGGREGATIONS.includes(aggregation as Aggregation)) {
    throw new ConfigError(
      `--fail-under "${text}": unknown aggregation "${aggregation}" (one of ${AGGREGATIONS.join(', ')})`,
      {
        field: 'fail_under',
      },
    );
  }
  return { metric: `${name}/${aggregation}`, threshold: Number(threshold) };
}

export interface GateResult {
  gate: string;
  actual: number | null;
  passed: boolean;
}

/**
 * Checks the gates against the run's metrics. A gate whose metric is missing (no numeric values) fails:
 * a run that scored nothing must not pass a quality gate.
 */
export function evaluateGates(options: {
  gates: readonly Gate[];
  metrics: Record<string, number>;
  maxErrors?: number;
  errors: number;
}): GateResult[] {
  const results: GateResult[] = options.gates.map((gate) => {
    const actual = options.metrics[gate.metric];
    const passed = actual !== undefined && Number.isFinite(actual) && actual >= gate.threshold;
    return { gate: `${gate.metric}>=${gate.threshold}`, actual: actual ?? null, passed };
  });
  if (options.maxErrors !== undefined) {
    results.push({
      gate: `errors<=${options.maxErrors}`,
      actual: options.errors,
      passed: options.errors <= options.maxErrors,
    });
  }
  return results;
}
