/**
 * The distribution functions the paired tests need, written to double precision (relative error
 * around 1e-14 against SciPy's special functions; test/unit/paired-stats.test.ts checks known values):
 * the regularized incomplete gamma function (so the normal and χ² tails), the normal quantile, and
 * the binomial pmf and cdf.
 */

const EPSILON = Number.EPSILON;
const TINY = 1e-300;
const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

// Lanczos approximation, g = 607/128, 15 terms (Godfrey): |relative error| < 1e-15 for x > 0.
const LANCZOS_G = 607 / 128;
const LANCZOS = [
  0.9999999999999971, 57.15623566586292, -59.59796035547549, 14.136097974741746, -0.4919138160976202,
  3.399464998481189e-5, 4.652362892704858e-5, -9.837447530487956e-5, 1.580887032249125e-4,
  -2.1026444172410488e-4, 2.1743961811521265e-4, -1.643181065367639e-4, 8.441822398385275e-5,
  -2.6190838401581408e-5, 3.6899182659531625e-6,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma: ${x} is not positive`);
  if (x === 0.5) return LOG_SQRT_PI;
  if (x === 1 || x === 2) return 0;
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] as number) / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return LOG_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/**
 * The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a): the power series for
 * P = 1 − Q below x = a + 1, the continued fraction (modified Lentz) above, as Numerical Recipes
 * splits them, so neither is used where it converges slowly or cancels.
 */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0)) throw new RangeError(`regularizedGammaQ: a = ${a} is not positive`);
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  const logPrefactor = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) return 1 - gammaSeries(a, x, logPrefactor);
  return Math.exp(logPrefactor) * gammaContinuedFraction(a, x);
}

/** The regularized lower incomplete gamma function P(a, x) = 1 − Q(a, x). */
export function regularizedGammaP(a: number, x: number): number {
  if (!(a > 0)) throw new RangeError(`regularizedGammaP: a = ${a} is not positive`);
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  const logPrefactor = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) return gammaSeries(a, x, logPrefactor);
  return 1 - Math.exp(logPrefactor) * gammaContinuedFraction(a, x);
}

function gammaSeries(a: number, x: number, logPrefactor: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 10_000; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
  }
  return sum * Math.exp(logPrefactor);
}

function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return h;
}

/** The complementary error function, erfc(x) = Q(1/2, x²) for x ≥ 0, 2 − erfc(−x) below. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  return regularizedGammaQ(0.5, x * x);
}

/** P(Z > x) for a standard normal Z (SciPy's `norm.sf`, `ndtr(-x)`). */
export function normalSf(x: number): number {
  return 0.5 * erfc(x / Math.SQRT2);
}

/** P(Z ≤ x) for a standard normal Z (SciPy's `ndtr`). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** P(X > x) for X χ²-distributed with `df` degrees of freedom (SciPy's `chi2.sf`). */
export function chiSquareSf(x: number, df: number): number {
  return regularizedGammaQ(df / 2, x / 2);
}

// Acklam's rational approximation of the normal quantile (relative error < 1.2e-9), refined below.
const ACKLAM_A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
  2.506628277459239,
];
const ACKLAM_B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
];
const ACKLAM_C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/**
 * The standard normal quantile Φ⁻¹(p) (SciPy's `ndtri`; `norm.isf(q)` is `-normalQuantile(q)`):
 * Acklam's approximation and two Halley steps on the exact cdf, which brings it to the last bits.
 * The upper half is computed as −Φ⁻¹(1 − p), exact for p ≥ 1/2, so both tails keep their precision.
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p > 0.5) return -normalQuantile(1 - p);
  let x = acklam(p);
  for (let step = 0; step < 2; step++) {
    const error = normalCdf(x) - p;
    const u = error * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
    const next = x - u / (1 + (x * u) / 2);
    if (!Number.isFinite(next)) break;
    x = next;
  }
  return x;
}

function acklam(p: number): number {
  const [a0, a1, a2, a3, a4, a5] = ACKLAM_A as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = ACKLAM_B as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = ACKLAM_C as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = ACKLAM_D as [number, number, number, number];
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

// Binomial pmf after Loader (2000), "Fast and accurate computation of binomial probabilities" (as
// R's dbinom): the Stirling-formula error terms and the deviance term bd0 keep the relative error
// near machine precision for any n, where ln C(n, k) from log-gamma differences would lose digits.

const FACTORIAL_LOGS: number[] = (() => {
  const logs = [0];
  let factorial = 1;
  for (let n = 1; n <= 15; n++) {
    factorial *= n; // exact: 15! < 2^53
    logs.push(Math.log(factorial));
  }
  return logs;
})();

/** ln n! − ((n + ½) ln n − n + ln √(2π)), for a whole n ≥ 1. */
function stirlingError(n: number): number {
  if (n <= 15) return (FACTORIAL_LOGS[n] as number) - (n + 0.5) * Math.log(n) + n - LOG_SQRT_2PI;
  const nn = n * n;
  const s0 = 1 / 12;
  const s1 = 1 / 360;
  const s2 = 1 / 1260;
  const s3 = 1 / 1680;
  const s4 = 1 / 1188;
  if (n > 500) return (s0 - s1 / nn) / n;
  if (n > 80) return (s0 - (s1 - s2 / nn) / nn) / n;
  if (n > 35) return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n;
  return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n;
}

/** x ln(x / m) + m − x, by its series where the two terms nearly cancel. */
function deviance(x: number, m: number): number {
  if (Math.abs(x - m) < 0.1 * (x + m)) {
    let v = (x - m) / (x + m);
    let s = (x - m) * v;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const next = s + ej / (2 * j + 1);
      if (next === s) return next;
      s = next;
    }
    return s;
  }
  return x * Math.log(x / m) + m - x;
}

/** P(X = k) for X ~ Binomial(n, p), k and n whole numbers. */
export function binomialPmf(k: number, n: number, p: number): number {
  if (k < 0 || k > n) return 0;
  const q = 1 - p;
  if (p === 0) return k === 0 ? 1 : 0;
  if (q === 0) return k === n ? 1 : 0;
  if (k === 0) {
    if (n === 0) return 1;
    return Math.exp(p < 0.1 ? -deviance(n, n * q) - n * p : n * Math.log(q));
  }
  if (k === n) return Math.exp(q < 0.1 ? -deviance(n, n * p) - n * q : n * Math.log(p));
  const lc =
    stirlingError(n) - stirlingError(k) - stirlingError(n - k) - deviance(k, n * p) - deviance(n - k, n * q);
  const lf = Math.log(2 * Math.PI) + Math.log(k) + Math.log1p(-k / n);
  return Math.exp(lc - 0.5 * lf);
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialCdf(k: number, n: number, p: number): number {
  const top = Math.floor(k);
  if (top < 0) return 0;
  if (top >= n) return 1;
  // Smallest terms first: the tail sum keeps its relative precision.
  let sum = 0;
  if (top < n * p) for (let i = 0; i <= top; i++) sum += binomialPmf(i, n, p);
  else {
    for (let i = n; i > top; i--) sum += binomialPmf(i, n, p);
    return 1 - sum;
  }
  return sum;
}

/** P(X > k) for X ~ Binomial(n, p). */
export function binomialSf(k: number, n: number, p: number): number {
  const top = Math.floor(k);
  if (top < 0) return 1;
  if (top >= n) return 0;
  let sum = 0;
  if (top >= n * p) for (let i = n; i > top; i--) sum += binomialPmf(i, n, p);
  else {
    for (let i = 0; i <= top; i++) sum += binomialPmf(i, n, p);
    return 1 - sum;
  }
  return sum;
}
