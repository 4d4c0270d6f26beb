/**
 * Paired comparison of two systems on the same rows (A then B; differences are B − A): the means and
 * their bootstrap interval, McNemar's test for pass/fail, the Wilcoxon signed-rank test for numbers,
 * the exact binomial (sign) test, Wilson intervals, Holm's correction, the paired effect size and the
 * wins/losses/ties. Each equals its SciPy / statsmodels reference (test/unit/parity-paired.test.ts).
 */

export { binomTestTwoSided } from './binomial-test.js';
export { type BootstrapOptions, pairedBootstrapCi } from './bootstrap.js';
export { cohensDz, mean, winsLossesTies } from './descriptive.js';
export { holm } from './holm.js';
export { type McNemarResult, mcnemar } from './mcnemar.js';
export { type WilcoxonResult, wilcoxonSignedRank } from './wilcoxon.js';
export { wilsonInterval } from './wilson.js';
