import { ConfigError } from '../../core/errors.js';
import { detectKind, type MetricKind, numericValue } from './metric-kinds.js';
import type { LoadedSide, SideFeedback, SideRow } from './side-rows.js';

/** Two rows with the same id, one from each side. */
export interface RowPair {
  id: string;
  a: SideRow;
  b: SideRow;
}

/** One metric's numeric values over the pairs where both sides have one. */
export interface PairedMetric {
  name: string;
  kind: MetricKind;
  /** Row ids of the pairs used, in the order of `a` and `b`. */
  rowIds: string[];
  a: number[];
  b: number[];
  /** Pairs dropped because A's (resp. B's) feedback had no value: an error, none, or several. */
  aErrors: number;
  bErrors: number;
}

export interface Pairing {
  pairs: RowPair[];
  onlyInA: number;
  onlyInB: number;
  datasetOverride: boolean;
  warnings: string[];
  metrics: PairedMetric[];
}

export interface PairingOptions {
  /** Only these feedback names (default: every name on both sides). */
  metrics?: readonly string[];
  /** Compare even when the datasets' digests differ (a warning then). */
  allowDifferentDatasets?: boolean;
}

/**
 * Pairs the rows of two sides by row id and picks the metrics to compare: both sides must come from the
 * same dataset (digest) unless allowed, and every metric compared must be on both sides. Throws a
 * ConfigError naming the side and the way out (a flag) when they are not.
 */
export function pairSides(a: LoadedSide, b: LoadedSide, options: PairingOptions = {}): Pairing {
  const warnings: string[] = [];
  const datasetOverride = checkDatasets(a, b, options.allowDifferentDatasets === true, warnings);

  const pairs: RowPair[] = [];
  for (const [id, rowA] of a.rows) {
    const rowB = b.rows.get(id);
    if (rowB !== undefined) pairs.push({ id, a: rowA, b: rowB });
  }
  const onlyInA = a.rows.size - pairs.length;
  const onlyInB = b.rows.size - pairs.length;
  if (pairs.length === 0)
    throw new ConfigError(
      `A (${a.side.label}) and B (${b.side.label}) have no row id in common: rows are paired by id, so there is nothing to compare`,
    );
  if (onlyInA > 0 || onlyInB > 0)
    warnings.push(
      `${onlyInA} row(s) only in A and ${onlyInB} only in B are left out; ${pairs.length} rows are paired by id`,
    );

  const explicit = options.metrics !== undefined;
  const names = explicit
    ? [...new Set(options.metrics)]
    : [...new Set([...a.feedbackNames, ...b.feedbackNames])];
  const metrics: PairedMetric[] = [];
  for (const name of names) {
    const inA = a.feedbackNames.includes(name);
    const inB = b.feedbackNames.includes(name);
    if (!inA && !inB)
      throw new ConfigError(
        `--metrics: no feedback "${name}" on either side (A has ${list(a.feedbackNames)}; B has ${list(b.feedbackNames)})`,
        { field: 'metrics' },
      );
    if (!inA || !inB) {
      const [has, lacks] = inA ? (['A', b] as const) : (['B', a] as const);
      throw new ConfigError(
        `metric "${name}" is only in ${has}: ${has === 'A' ? 'B' : 'A'} (${lacks.side.label}) has no feedback of that name. ` +
          `Compare the metrics both sides have with --metrics ${list(
            a.feedbackNames.filter((n) => b.feedbackNames.includes(n)),
            ',',
          )}`,
        { field: 'metrics' },
      );
    }
    const detected = detectKind(
      pairs.flatMap((pair) => [usable(pair.a.feedbacks.get(name)), usable(pair.b.feedbacks.get(name))]),
    );
    if ('problem' in detected) {
      const message = `metric "${name}" ${detected.problem}: it cannot be compared`;
      if (explicit) throw new ConfigError(message, { field: 'metrics' });
      warnings.push(`${message}; left out`);
      continue;
    }
    const paired = pairMetric(name, detected.kind, pairs);
    if (paired.a.length === 0) {
      const message = `metric "${name}" has no row with a value on both sides: it cannot be compared`;
      if (explicit) throw new ConfigError(message, { field: 'metrics' });
      warnings.push(`${message}; left out`);
      continue;
    }
    metrics.push(paired);
  }
  if (metrics.length === 0)
    throw new ConfigError(
      `A (${a.side.label}) and B (${b.side.label}) have no metric that can be compared${warnings.length > 0 ? ` (${warnings.join('; ')})` : ''}`,
    );
  return { pairs, onlyInA, onlyInB, datasetOverride, warnings, metrics };
}

/** True when the datasets differ and that was allowed; throws when they differ and it was not. */
function checkDatasets(a: LoadedSide, b: LoadedSide, allow: boolean, warnings: string[]): boolean {
  const da = a.side.dataset;
  const db = b.side.dataset;
  const describe = (label: string, d: LoadedSide['side']['dataset']) =>
    `${label} "${d.name ?? '(unnamed)'}" digest ${d.digest ?? '(unknown)'}`;
  if (da.digest === undefined || db.digest === undefined) {
    const missing = [da.digest === undefined ? 'A' : undefined, db.digest === undefined ? 'B' : undefined]
      .filter(Boolean)
      .join(' and ');
    warnings.push(
      `the dataset digest of ${missing} is unknown: rows are paired by id without checking the datasets match`,
    );
    return false;
  }
  if (da.digest === db.digest) return false;
  const both = `${describe('A', da)}, ${describe('B', db)}`;
  if (!allow)
    throw new ConfigError(
      `A and B were evaluated on different datasets (${both}); rows with the same id may not be the same question. ` +
        'Pass --allow-different-datasets to compare them anyway',
      { field: 'allowDifferentDatasets' },
    );
  warnings.push(`different datasets compared (--allow-different-datasets): ${both}`);
  return true;
}

/** A feedback's value when it can be used: not an error, not several feedbacks of one name. */
function usable(feedback: SideFeedback | undefined): unknown {
  if (feedback === undefined || feedback.several === true || feedback.error !== undefined) return undefined;
  return feedback.value ?? undefined;
}

function pairMetric(name: string, kind: MetricKind, pairs: readonly RowPair[]): PairedMetric {
  const out: PairedMetric = { name, kind, rowIds: [], a: [], b: [], aErrors: 0, bErrors: 0 };
  for (const pair of pairs) {
    const va = numericValue(usable(pair.a.feedbacks.get(name)));
    const vb = numericValue(usable(pair.b.feedbacks.get(name)));
    if (va === undefined) out.aErrors += 1;
    if (vb === undefined) out.bErrors += 1;
    if (va === undefined || vb === undefined) continue;
    out.rowIds.push(pair.id);
    out.a.push(va);
    out.b.push(vb);
  }
  return out;
}

function list(names: readonly string[], separator = ', '): string {
  return names.length === 0 ? '(none)' : names.join(separator);
}
