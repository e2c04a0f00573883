/**
 * Sufficient statistics of one metric in one arm: sums over the arm's units (users) of the per-unit
 * value y and, for CUPED, of the unit's pre-experiment covariate x. Sums add, so a caller can keep
 * them in SQL buckets (per hour, per shard) and merge the buckets before analysing.
 */
import { requireFiniteNumber, requireNonNegative, requireObject } from './validation';

/** Sums of the pre-experiment covariate x over the arm's units, and of x·y with the metric. */
export interface CovariateSums {
  /** Σ x */
  sum: number;
  /** Σ x² */
  sumSq: number;
  /** Σ x·y */
  sumProduct: number;
}

/** Sums of the per-unit metric value y over every unit assigned to the arm (units with no activity count, with y = 0). */
export interface MetricSums {
  /** Σ y */
  sum: number;
  /** Σ y² */
  sumSq: number;
  /** The pre-experiment covariate's sums over the same units (a unit without history has x = 0); absent: no CUPED. */
  covariate?: CovariateSums;
}

/** Mean and sample variance (n − 1) of the per-unit value in one arm. */
export interface ArmMoments {
  units: number;
  mean: number;
  variance: number;
}

export function emptyMetricSums(withCovariate = false): MetricSums {
  return withCovariate ? { sum: 0, sumSq: 0, covariate: { sum: 0, sumSq: 0, sumProduct: 0 } } : { sum: 0, sumSq: 0 };
}

/** Adds one unit's value (and its covariate, when the sums carry one) in place. */
export function addUnitValue(sums: MetricSums, value: number, covariate = 0): void {
  sums.sum += value;
  sums.sumSq += value * value;
  if (sums.covariate) {
    sums.covariate.sum += covariate;
    sums.covariate.sumSq += covariate * covariate;
    sums.covariate.sumProduct += covariate * value;
  }
}

/** The sums of two disjoint sets of units; the covariate survives only when both carry it. */
export function mergeMetricSums(a: MetricSums, b: MetricSums): MetricSums {
  const merged: MetricSums = { sum: a.sum + b.sum, sumSq: a.sumSq + b.sumSq };
  if (a.covariate && b.covariate) {
    merged.covariate = {
      sum: a.covariate.sum + b.covariate.sum,
      sumSq: a.covariate.sumSq + b.covariate.sumSq,
      sumProduct: a.covariate.sumProduct + b.covariate.sumProduct,
    };
  }
  return merged;
}

/** Mean and sample variance from the sums (variance clamped at 0: the subtraction can round below it). */
export function rawMoments(units: number, sums: MetricSums): ArmMoments {
  if (units < 2) return { units, mean: units === 1 ? sums.sum : 0, variance: 0 };
  const mean = sums.sum / units;
  const variance = Math.max(0, (sums.sumSq - sums.sum * mean) / (units - 1));
  return { units, mean, variance };
}

/**
 * Checks one arm's sums: finite numbers, Σy² ≥ 0 and, with the unit count, Cauchy–Schwarz
 * ((Σy)² ≤ n·Σy²), which catches sums from a different set of units than the count.
 */
export function validateMetricSums(value: unknown, units: number, field: string): MetricSums {
  const sums = requireObject(value, field);
  const sum = requireFiniteNumber(sums.sum, `${field}.sum`);
  const sumSq = requireNonNegative(sums.sumSq, `${field}.sumSq`);
  requireCauchySchwarz(sum, sumSq, units, field);
  if (sums.covariate === undefined) return { sum, sumSq };
  const covariate = requireObject(sums.covariate, `${field}.covariate`);
  const xSum = requireFiniteNumber(covariate.sum, `${field}.covariate.sum`);
  const xSumSq = requireNonNegative(covariate.sumSq, `${field}.covariate.sumSq`);
  const sumProduct = requireFiniteNumber(covariate.sumProduct, `${field}.covariate.sumProduct`);
  requireCauchySchwarz(xSum, xSumSq, units, `${field}.covariate`);
  if (sumProduct * sumProduct > xSumSq * sumSq * (1 + 1e-9) + 1e-9) {
    throw new RangeError(`${field}.covariate.sumProduct is larger than Σx²·Σy² allows: the sums do not come from the same units`);
  }
  return { sum, sumSq, covariate: { sum: xSum, sumSq: xSumSq, sumProduct } };
}

function requireCauchySchwarz(sum: number, sumSq: number, units: number, field: string): void {
  if (sum * sum > units * sumSq * (1 + 1e-9) + 1e-9) {
    throw new RangeError(`${field}: (Σy)² = ${sum * sum} exceeds units·Σy² = ${units * sumSq}: the sums do not come from ${units} units`);
  }
}
