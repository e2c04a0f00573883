/**
 * The few special functions the tests need, in closed form or by the classic series and continued
 * fraction (Press et al., Numerical Recipes, §6.1–6.2): ln Γ and the chi-square upper tail.
 */

// Lanczos coefficients for g = 7, n = 9: ln Γ to about 15 digits for x > 0.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos), with the reflection formula below 1/2. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const shifted = x - 1;
  let series = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) series += LANCZOS[i] / (shifted + i);
  const t = shifted + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(series);
}

const EPSILON = 1e-15;
const TINY = 1e-300;
const MAX_ITERATIONS = 10_000;

/** Q(s, x) = Γ(s, x) / Γ(s), the regularized upper incomplete gamma function, for s > 0 and x ≥ 0. */
export function regularizedUpperGamma(s: number, x: number): number {
  if (x <= 0) return 1;
  const logPrefactor = -x + s * Math.log(x) - logGamma(s);
  // The series converges fast below s + 1, the continued fraction above it; each keeps Q's digits where Q is small.
  if (x < s + 1) return 1 - Math.exp(logPrefactor) * lowerGammaSeries(s, x);
  return Math.exp(logPrefactor) * upperGammaContinuedFraction(s, x);
}

function lowerGammaSeries(s: number, x: number): number {
  let term = 1 / s;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (s + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
  }
  return sum;
}

// Modified Lentz evaluation of the continued fraction for Γ(s, x) e^x x^-s.
function upperGammaContinuedFraction(s: number, x: number): number {
  let b = x + 1 - s;
  let c = 1 / TINY;
  let d = 1 / b;
  let fraction = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const a = -i * (i - s);
    b += 2;
    d = a * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + a / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    fraction *= step;
    if (Math.abs(step - 1) < EPSILON) break;
  }
  return fraction;
}

/** P(χ²_df ≥ statistic): the p-value of a chi-square statistic with df degrees of freedom. */
export function chiSquareSurvival(statistic: number, degreesOfFreedom: number): number {
  if (!(degreesOfFreedom > 0)) throw new RangeError(`chi-square degrees of freedom must be positive, got ${degreesOfFreedom}`);
  return Math.min(1, Math.max(0, regularizedUpperGamma(degreesOfFreedom / 2, statistic / 2)));
}
