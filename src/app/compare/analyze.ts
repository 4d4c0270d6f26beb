import {
  cohensDz,
  holm,
  mcnemar,
  mean,
  pairedBootstrapCi,
  wilcoxonSignedRank,
  wilsonInterval,
  winsLossesTies,
} from '../../stats/paired/index.js';
import type { PairedMetric } from './pairing.js';
import type { MetricComparison } from './types.js';

export interface AnalysisOptions {
  /** Significance level of each verdict, after Holm's correction. */
  alpha: number;
  /** Confidence of the bootstrap interval of the difference and the Wilson intervals. */
  confidence: number;
  seed: number;
  resamples: number;
  /** Whether higher values are better, per metric name. */
  higherIsBetter: (metric: PairedMetric) => boolean;
}

/**
 * The paired analysis of every metric: means, B − A with a bootstrap interval, McNemar (pass/fail) or
 * Wilcoxon signed-rank (numeric), Cohen's d_z, wins/losses/ties, then Holm's correction over all the
 * metrics' p-values and a verdict from the adjusted p-value and the direction of the difference.
 */
export function analyzeMetrics(
  metrics: readonly PairedMetric[],
  options: AnalysisOptions,
): MetricComparison[] {
  const partial = metrics.map((metric) => analyzeOne(metric, options));
  const adjusted = holm(partial.map((m) => m.test.p_value));
  return partial.map((m, i) => {
    const pAdjusted = adjusted[i] ?? 1;
    return { ...m, p_adjusted: pAdjusted, verdict: verdict(m, pAdjusted, options.alpha) };
  });
}

function analyzeOne(
  metric: PairedMetric,
  options: AnalysisOptions,
): Omit<MetricComparison, 'p_adjusted' | 'verdict'> {
  const { a, b } = metric;
  const n = a.length;
  const better = options.higherIsBetter(metric);
  const ci = pairedBootstrapCi(a, b, {
    resamples: options.resamples,
    confidence: options.confidence,
    seed: options.seed,
  });
  const counts = winsLossesTies(a, b);
  // winsLossesTies counts b > a as a win: for a lower-is-better metric that is a loss
  const [wins, losses] = better ? [counts.wins, counts.losses] : [counts.losses, counts.wins];
  const dz = cohensDz(a, b);
  const side = (values: readonly number[]) => {
    const m = mean(values);
    if (metric.kind !== 'pass_fail') return { mean: m, n };
    const interval = wilsonInterval(values.filter((v) => v === 1).length, n, options.confidence);
    return { mean: m, n, pass_rate_ci: [interval.low, interval.high] as [number, number] };
  };
  return {
    name: metric.name,
    kind: metric.kind,
    higher_is_better: better,
    n,
    a: side(a),
    b: side(b),
    diff: mean(b) - mean(a),
    diff_ci: [ci.low, ci.high],
    test: pairedTest(metric),
    effect_size: { name: 'cohens_dz', value: Number.isFinite(dz) ? dz : null },
    wins,
    losses,
    ties: counts.ties,
    dropped: { a_errors: metric.aErrors, b_errors: metric.bErrors },
  };
}

function pairedTest(metric: PairedMetric): MetricComparison['test'] {
  if (metric.kind === 'pass_fail') {
    const result = mcnemar(
      metric.a.map((v) => v === 1),
      metric.b.map((v) => v === 1),
    );
    return {
      name: result.exact ? 'mcnemar_exact' : 'mcnemar_chi2',
      statistic: result.statistic,
      p_value: result.pValue,
    };
  }
  const result = wilcoxonSignedRank(metric.a, metric.b);
  return { name: 'wilcoxon', statistic: result.statistic, p_value: result.pValue };
}

/**
 * Significant after Holm and in which direction: the sign of the mean difference, or — when the means
 * are equal and the rank test still finds a difference — of wins minus losses.
 */
function verdict(
  m: Omit<MetricComparison, 'p_adjusted' | 'verdict'>,
  pAdjusted: number,
  alpha: number,
): MetricComparison['verdict'] {
  if (!(pAdjusted < alpha)) return 'no_significant_difference';
  const raw = Math.sign(m.diff) * (m.higher_is_better ? 1 : -1);
  const direction = raw !== 0 ? raw : Math.sign(m.wins - m.losses);
  if (direction > 0) return 'better';
  if (direction < 0) return 'worse';
  return 'no_significant_difference';
}
