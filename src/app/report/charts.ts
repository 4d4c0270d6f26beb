import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { JudgeflowError } from '../../core/errors.js';
import type { MetricComparison } from './comparison-types.js';
import { formatNumber } from './format.js';

/** One bar of a means chart: a metric's mean on one side, with its interval when there is one. */
export interface MeanPoint {
  metric: string;
  /** The run or side the mean belongs to ("A: gpt-4o", "B: llama"); one series draws no legend. */
  series: string;
  mean: number;
  low?: number;
  high?: number;
}

const VERDICT_COLOURS = {
  better: '#1a7f37',
  worse: '#cf222e',
  no_significant_difference: '#6e7781',
} as const;

/**
 * A loader that loads nothing: every chart carries its data inline, and a report is rendered from
 * untrusted values, so nothing in a spec may make the renderer read a file or the network.
 */
const noLoader: vega.Loader = {
  load: async (uri) => refuse(uri),
  sanitize: async (uri) => refuse(uri),
  http: async (uri) => refuse(uri),
  file: async (uri) => refuse(uri),
};

function refuse(uri: string): never {
  throw new JudgeflowError(`the report's charts load no external data (asked for "${uri}")`);
}

/**
 * Renders a Vega-Lite spec to an SVG string in Node (Vega's headless `none` renderer): no browser, no
 * canvas, no network. Text widths are Vega's estimates, which is enough for axis labels.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec, { logger: vega.logger(vega.None) }).spec;
  const view = new vega.View(vega.parse(compiled), {
    renderer: 'none',
    loader: noLoader,
    logLevel: vega.None,
  });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Means per metric as horizontal bars, one panel per metric (each with its own x axis, since a pass
 * rate and a length do not share a scale), one bar per series, the interval as a black rule.
 */
export function meansChartSpec(points: readonly MeanPoint[], description: string): TopLevelSpec {
  const series = [...new Set(points.map((p) => p.series))];
  const single = series.length === 1;
  return {
    description,
    data: {
      values: points.map((p) => ({
        metric: p.metric,
        series: p.series,
        mean: p.mean,
        low: p.low ?? null,
        high: p.high ?? null,
        label: formatNumber(p.mean),
        // the label stands right of the bar and of its interval, so the rule does not strike through it
        labelAt: Math.max(p.mean, p.high ?? p.mean),
      })),
    },
    facet: {
      row: {
        field: 'metric',
        type: 'nominal',
        sort: [...new Set(points.map((p) => p.metric))],
        header: {
          title: null,
          labelAngle: 0,
          labelAlign: 'left',
          labelFontSize: 12,
          labelFontWeight: 'bold',
        },
      },
    },
    spacing: 14,
    spec: {
      width: 420,
      height: { step: 20 },
      encoding: {
        y: {
          field: 'series',
          type: 'nominal',
          sort: series,
          title: null,
          ...(single ? { axis: null } : {}),
        },
      },
      layer: [
        {
          mark: { type: 'bar', height: { band: 0.7 } },
          encoding: {
            x: { field: 'mean', type: 'quantitative', title: 'mean', scale: { zero: true, nice: true } },
            color: {
              field: 'series',
              type: 'nominal',
              sort: series,
              scale: { range: ['#4e79a7', '#f28e2b'] },
              legend: single ? null : { title: null, orient: 'top' },
            },
          },
        },
        {
          transform: [{ filter: 'datum.low != null' }],
          mark: { type: 'rule', color: '#24292f', strokeWidth: 1.5 },
          encoding: { x: { field: 'low', type: 'quantitative' }, x2: { field: 'high' } },
        },
        {
          mark: { type: 'text', align: 'left', dx: 4, fontSize: 11, color: '#24292f' },
          encoding: {
            x: { field: 'labelAt', type: 'quantitative' },
            text: { field: 'label', type: 'nominal' },
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  };
}

/**
 * A forest plot of the differences B − A with their intervals, a vertical rule at zero, coloured by
 * the verdict. Pass/fail metrics and numeric metrics get a panel each: a difference in pass rate and a
 * difference in, say, words do not share an axis.
 */
export function forestChartSpec(
  metrics: readonly MetricComparison[],
  options: { confidence: number },
): TopLevelSpec {
  const panel = (kind: MetricComparison['kind'], title: string) => {
    const chosen = metrics.filter((m) => m.kind === kind);
    return {
      title: { text: title, anchor: 'start' as const, fontSize: 12 },
      width: 420,
      height: { step: 26 },
      data: {
        values: chosen.map((m) => ({
          metric: m.name,
          diff: m.diff,
          low: m.diff_ci[0],
          high: m.diff_ci[1],
          verdict: m.verdict,
        })),
      },
      layer: [
        {
          mark: { type: 'rule' as const, color: '#8c959f', strokeDash: [4, 3] },
          data: { values: [{ zero: 0 }] },
          encoding: { x: { field: 'zero', type: 'quantitative' as const } },
        },
        {
          mark: { type: 'rule' as const, strokeWidth: 2 },
          encoding: {
            y: { field: 'metric', type: 'nominal' as const, sort: chosen.map((m) => m.name), title: null },
            x: {
              field: 'low',
              type: 'quantitative' as const,
              title: `B − A (${Math.round(options.confidence * 100)}% interval)`,
            },
            x2: { field: 'high' },
            color: verdictColour,
          },
        },
        {
          mark: { type: 'point' as const, filled: true, size: 70 },
          encoding: {
            y: { field: 'metric', type: 'nominal' as const, sort: chosen.map((m) => m.name) },
            x: { field: 'diff', type: 'quantitative' as const },
            color: verdictColour,
          },
        },
      ],
    };
  };
  const panels = [];
  if (metrics.some((m) => m.kind === 'pass_fail')) {
    panels.push(panel('pass_fail', 'Pass/fail metrics: difference in pass rate'));
  }
  if (metrics.some((m) => m.kind === 'numeric')) {
    panels.push(panel('numeric', 'Numeric metrics: difference in mean'));
  }
  return {
    description: 'Forest plot: the difference B − A of each metric with its interval',
    vconcat: panels,
    spacing: 24,
    resolve: { scale: { x: 'independent' } },
  } as TopLevelSpec;
}

const verdictColour = {
  field: 'verdict',
  type: 'nominal' as const,
  title: 'verdict',
  scale: {
    domain: Object.keys(VERDICT_COLOURS),
    range: Object.values(VERDICT_COLOURS),
  },
  legend: { orient: 'bottom' as const, labelLimit: 300, labelExpr: "replace(datum.label, /_/g, ' ')" },
};
