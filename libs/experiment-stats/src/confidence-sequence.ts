/**
 * Anytime-valid confidence sequences for comparing two arms.
 *
 * A confidence sequence (CS) is a sequence of intervals that covers the true value at every sample
 * size simultaneously with probability ≥ 1 − α, so results may be checked after every user and an
 * experiment stopped whenever the interval excludes 0 without inflating false positives. A
 * fixed-horizon interval checked repeatedly does not have that property.
 *
 * The boundary is the two-sided Gaussian-mixture ("conjugate mixture") boundary: for a standardized
 * sum S_t of t units, the mixture martingale ∫ exp(λS_t − λ²t/2) dN(λ; 0, ρ²) is
 * (tρ² + 1)^(−1/2) exp(ρ²S_t² / (2(tρ² + 1))), and Ville's inequality bounds the chance it ever
 * reaches 1/α by α (Robbins 1970; Howard, Ramdas, McAuliffe & Sekhon 2021, "Time-uniform,
 * nonparametric, nonasymptotic confidence sequences"; the same statistic is the mixture SPRT of
 * Johari, Koomen, Pekelis & Walsh 2022, "Always Valid Inference: Continuous Monitoring of A/B Tests").
 * With the variance estimated from the data this is the asymptotic CS of Waudby-Smith, Arbour,
 * Sinha, Kennedy & Ramdas 2024, "Time-uniform central limit theory and asymptotic confidence
 * sequences" (Annals of Statistics), Theorem 2.2:
 *
 *   estimate ± σ̂ · sqrt( 2(tρ² + 1) / (t²ρ²) · ln( sqrt(tρ² + 1) / α ) ).
 *
 * For a difference of arm means, t counts the units of both arms and σ̂²/t is the usual variance of
 * the difference (s²_T/n_T + s²_C/n_C): t times it converges to σ²_T/π + σ²_C/(1 − π), the variance
 * of the (A)IPW influence function with known assignment probability π: the setting of the paper's
 * section on causal effects, with arm means as the outcome models.
 */
import type { ArmMoments } from './metric-sums';

/** ρ² that (approximately) makes the boundary tightest at `tuningUnits` units (Howard et al. 2021; Waudby-Smith et al. 2024, §2). */
export function mixturePrecision(tuningUnits: number, alpha: number): number {
  const logInverseAlpha = Math.log(1 / alpha);
  return (2 * logInverseAlpha + Math.log(1 + 2 * logInverseAlpha)) / tuningUnits;
}

/**
 * k(t) such that estimate ± k(t) · standardError is the (1 − α) confidence sequence after t units:
 * sqrt(t) times the unit-variance boundary above. About 3.0 at the tuning size for α = 0.05 (1.96 for a
 * one-look interval), growing like sqrt(ln t) far from it.
 */
export function boundaryMultiplier(units: number, alpha: number, tuningUnits: number): number {
  const information = units * mixturePrecision(tuningUnits, alpha);
  return Math.sqrt(((information + 1) / information) * 2 * Math.log(Math.sqrt(information + 1) / alpha));
}

export interface Interval {
  lower: number;
  upper: number;
}

export interface EstimateInterval extends Interval {
  estimate: number;
}

/** CS for mean_T − ratio · mean_C (ratio 1: the difference); the arms are independent samples. */
export function contrastSequence(treatment: ArmMoments, control: ArmMoments, ratio: number, multiplier: number): EstimateInterval {
  const estimate = treatment.mean - ratio * control.mean;
  const halfWidth = multiplier * Math.sqrt(treatment.variance / treatment.units + (ratio * ratio * control.variance) / control.units);
  return { estimate, lower: estimate - halfWidth, upper: estimate + halfWidth };
}

/**
 * CS for mean_T / mean_C by Fieller's construction (Fieller 1954, "Some problems in interval
 * estimation"): the ratios r whose contrast mean_T − r·mean_C has a CS containing 0. The true ratio
 * is in that set whenever its own contrast CS covers 0, so the set inherits the contrast's
 * time-uniform coverage with no delta-method step, and it excludes 1 exactly when the difference CS
 * excludes 0. Solving |ȳ_T − r ȳ_C| ≤ k sqrt(v_T + r² v_C) for r gives a bounded interval only while
 * the control mean is itself distinguishable from 0 (ȳ_C² > k² v_C); otherwise null (unbounded).
 */
export function ratioSequence(treatment: ArmMoments, control: ArmMoments, multiplier: number): Interval | null {
  const k2 = multiplier * multiplier;
  const vT = treatment.variance / treatment.units;
  const vC = control.variance / control.units;
  const leading = control.mean * control.mean - k2 * vC;
  if (!(leading > 0)) return null;
  const centre = treatment.mean * control.mean;
  const root = Math.sqrt(k2 * (treatment.mean * treatment.mean * vC + leading * vT));
  return { lower: (centre - root) / leading, upper: (centre + root) / leading };
}
