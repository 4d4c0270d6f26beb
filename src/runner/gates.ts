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
  /** Why it failed, when the gate and the number do not say it all. */
  detail?: string;
}

/**
 * Which scorers may end a run without a single value (every feedback an error) and still pass:
 * `true` for all of them, or a list of feedback names. The default, none, makes such a run fail (exit
 * 1): a judge that could not be reached for any row must not look like a successful evaluation.
 */
export type AllowNoValues = boolean | readonly string[];

/**
 * One gate per feedback name that got no value at all: every feedback an error, or — when every row
 * failed before scoring — every scorer of the run. Names allowed by `allow` are left out.
 */
export function noValueGates(options: {
  counts: Record<string, { values: number; errors: number }>;
  /** First error message per feedback name, for the gate's detail. */
  firstErrors: ReadonlyMap<string, string>;
  scorers: readonly string[];
  rows: number;
  failedRows: number;
  allow?: AllowNoValues;
}): GateResult[] {
  const allow = options.allow ?? false;
  const allowed = (name: string): boolean => allow === true || (Array.isArray(allow) && allow.includes(name));
  const gates: GateResult[] = [];
  for (const [name, counts] of Object.entries(options.counts)) {
    if (counts.values > 0 || counts.errors === 0 || allowed(name)) continue;
    const first = options.firstErrors.get(name);
    gates.push({
      gate: `${name} has values`,
      actual: 0,
      passed: false,
      detail: `every one of its ${counts.errors} feedbacks is an error${first !== undefined ? ` (first: ${first})` : ''}`,
    });
  }
  if (options.rows > 0 && options.failedRows === options.rows) {
    for (const name of options.scorers) {
      if (name in options.counts || allowed(name)) continue;
      gates.push({
        gate: `${name} has values`,
        actual: 0,
        passed: false,
        detail: `every row failed before it could be scored (${options.failedRows} failed rows)`,
      });
    }
  }
  return gates;
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
