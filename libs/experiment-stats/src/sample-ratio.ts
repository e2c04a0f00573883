/**
 * Sample-ratio mismatch (SRM): do the arms' unit counts fit their configured traffic shares? A
 * mismatch means assignment or logging is broken (a redirect that drops users, a bot filter that
 * hits one arm), and no comparison of the arms can be trusted, however significant
 * (Fabijan et al. 2019, "Diagnosing Sample Ratio Mismatch in Online Controlled Experiments").
 * Pearson's chi-square goodness-of-fit test with k − 1 degrees of freedom, at a strict level
 * (0.001 by default) because it is checked often and a false alarm stops an experiment.
 */
import { chiSquareSurvival } from './special-functions';

export const DEFAULT_SRM_ALPHA = 0.001;

export interface SampleRatioResult {
  /** Pearson's Σ (observed − expected)² / expected over the arms. */
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
  /** The level the p-value is held against. */
  alpha: number;
  /** pValue < alpha: the observed split does not fit the configured shares, so no verdict is given. */
  mismatch: boolean;
  observedUnits: number[];
  expectedUnits: number[];
}

/** Chi-square goodness of fit of unit counts to shares (shares sum to 1; both already validated). */
export function sampleRatioMismatch(units: readonly number[], shares: readonly number[], alpha = DEFAULT_SRM_ALPHA): SampleRatioResult {
  const total = units.reduce((a, b) => a + b, 0);
  const expectedUnits = shares.map((share) => share * total);
  const degreesOfFreedom = units.length - 1;
  if (total === 0) {
    return { statistic: 0, degreesOfFreedom, pValue: 1, alpha, mismatch: false, observedUnits: [...units], expectedUnits };
  }
  let statistic = 0;
  for (let i = 0; i < units.length; i++) statistic += (units[i] - expectedUnits[i]) ** 2 / expectedUnits[i];
  const pValue = chiSquareSurvival(statistic, degreesOfFreedom);
  return { statistic, degreesOfFreedom, pValue, alpha, mismatch: pValue < alpha, observedUnits: [...units], expectedUnits };
}
