/**
 * CUPED (Deng, Xu, Kohavi & Walker 2013, "Improving the Sensitivity of Online Controlled Experiments
 * by Utilizing Pre-Experiment Data"): compare Y − θ(X − x̄) instead of Y, where X is the unit's
 * pre-experiment value of a related metric. X is fixed before assignment, so the adjustment leaves
 * the expected difference between arms unchanged and removes the share of the variance that X
 * explains: var(Y − θX) = var(Y)(1 − ρ²) at θ = cov(Y, X) / var(X).
 */
import type { ArmMoments, MetricSums } from './metric-sums';

export interface CupedFit {
  /** θ = Σ within-arm cov(Y, X) / Σ within-arm var(X), pooled over the arms. */
  theta: number;
  /** x̄ over all the arms' units: the adjustment is centred on it, so adjusted means stay on Y's scale. */
  covariateMean: number;
}

export interface ArmSums {
  units: number;
  sums: MetricSums;
}

/**
 * θ from within-arm (co)variances, so a treatment effect on Y cannot leak into θ through differences
 * between arm means. Null when a unit count is below 2, an arm lacks the covariate, or X is constant.
 */
export function fitCuped(arms: readonly ArmSums[]): CupedFit | null {
  let sxx = 0;
  let sxy = 0;
  let xTotal = 0;
  let unitTotal = 0;
  for (const { units, sums } of arms) {
    const x = sums.covariate;
    if (!x || units < 2) return null;
    sxx += x.sumSq - (x.sum * x.sum) / units;
    sxy += x.sumProduct - (x.sum * sums.sum) / units;
    xTotal += x.sum;
    unitTotal += units;
  }
  // Relative guard: a constant covariate leaves only rounding in sxx.
  const scale = arms.reduce((a, { sums }) => a + (sums.covariate?.sumSq ?? 0), 0);
  if (!(sxx > 1e-12 * scale)) return null;
  return { theta: sxy / sxx, covariateMean: xTotal / unitTotal };
}

/** The arm's mean and sample variance of Y − θ(X − x̄). */
export function cupedMoments({ units, sums }: ArmSums, fit: CupedFit): ArmMoments {
  const x = sums.covariate;
  if (!x || units < 2) throw new RangeError('CUPED moments need the covariate sums and at least 2 units');
  const yMean = sums.sum / units;
  const xMean = x.sum / units;
  const syy = sums.sumSq - sums.sum * yMean;
  const sxx = x.sumSq - x.sum * xMean;
  const sxy = x.sumProduct - x.sum * yMean;
  const { theta } = fit;
  const variance = Math.max(0, (syy - 2 * theta * sxy + theta * theta * sxx) / (units - 1));
  return { units, mean: yMean - theta * (xMean - fit.covariateMean), variance };
}
