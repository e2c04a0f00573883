/**
 * The A/B verdict: per treatment arm and metric, an anytime-valid confidence sequence for the
 * difference to control and for the relative lift, CUPED-adjusted where the covariate is present,
 * and a verdict that a sample-ratio mismatch overrides.
 */
import { requireArm, validateArms, metricMoments, type ArmInput } from './arms';
import { boundaryMultiplier, contrastSequence, ratioSequence, type EstimateInterval } from './confidence-sequence';
import type { ArmMoments } from './metric-sums';
import { sampleRatioMismatch, type SampleRatioResult } from './sample-ratio';
import { resolveSettings, type SequentialTestSettings } from './settings';
import { requireObject } from './validation';

export type MetricVerdict = 'better' | 'worse' | 'no_detectable_difference' | 'invalid_srm' | 'insufficient_data';

export interface MetricSettings {
  /** Whether a larger value is the good direction (default true; false for e.g. latency or bounce rate). */
  higherIsBetter?: boolean;
}

export interface ExperimentInput extends SequentialTestSettings {
  arms: readonly ArmInput[];
  /** Name of the control arm; every other arm is compared with it. */
  control: string;
  /** Per metric name, optional settings. */
  metrics?: Readonly<Record<string, MetricSettings>>;
}

export interface CupedSummary {
  /** θ of Y − θ(X − x̄), pooled over all arms. */
  theta: number;
  /** 1 − (variance of the adjusted difference) / (variance of the raw one); the interval shrinks by sqrt(1 − this). */
  varianceReduction: number;
}

export interface MetricComparison {
  verdict: MetricVerdict;
  higherIsBetter: boolean;
  /** The means compared (CUPED-adjusted when `cuped` is set). */
  treatmentMean: number;
  controlMean: number;
  /** Treatment − control with its (1 − α) confidence sequence; null below the minimum sample. */
  difference: EstimateInterval | null;
  /** Treatment / control − 1 with its confidence sequence (Fieller); null below the minimum sample, when the control mean is not positive, or while the interval is unbounded. */
  lift: EstimateInterval | null;
  cuped: CupedSummary | null;
}

export interface ArmComparison {
  arm: string;
  /** Units of this arm and control together: the sample size t of the confidence sequences. */
  units: number;
  metrics: Record<string, MetricComparison>;
}

export interface ArmSummary {
  name: string;
  share: number;
  observedShare: number;
  units: number;
  /** Raw (unadjusted) per-unit mean and standard deviation of each metric. */
  metrics: Record<string, { mean: number; standardDeviation: number }>;
}

export interface ExperimentAnalysis {
  control: string;
  alpha: number;
  srm: SampleRatioResult;
  arms: ArmSummary[];
  /** One per non-control arm, in input order. */
  comparisons: ArmComparison[];
}

/**
 * Analyses an experiment from per-arm sufficient statistics. Safe to call after every new batch of
 * data: each interval is a confidence sequence, so stopping at the first 'better' or 'worse' keeps
 * the false-positive rate of that comparison at α.
 *
 * @example
 * analyzeExperiment({
 *   control: 'control',
 *   arms: [
 *     { name: 'control', share: 0.5, units: 10_000, metrics: { conversion: { sum: 500, sumSq: 500 } } },
 *     { name: 'ranker-v2', share: 0.5, units: 10_050, metrics: { conversion: { sum: 603, sumSq: 603 } } },
 *   ],
 * }).comparisons[0].metrics.conversion.verdict; // 'better' | 'worse' | 'no_detectable_difference' | 'invalid_srm' | 'insufficient_data'
 */
export function analyzeExperiment(input: ExperimentInput): ExperimentAnalysis {
  requireObject(input, 'experiment input');
  const settings = resolveSettings(input);
  const arms = validateArms(input.arms);
  const control = requireArm(arms, input.control, 'control arm');
  const metricSettings = input.metrics === undefined ? {} : requireObject(input.metrics, 'metrics');
  const metricNames = Object.keys(control.metrics);
  for (const name of Object.keys(metricSettings)) {
    if (!metricNames.includes(name)) throw new RangeError(`settings for unknown metric '${name}'; the metrics are ${metricNames.join(', ')}`);
  }

  const srm = sampleRatioMismatch(
    arms.map((a) => a.units),
    arms.map((a) => a.share),
    settings.srmAlpha,
  );
  const controlIndex = arms.indexOf(control);
  const perMetric = metricNames.map((metric) => ({
    metric,
    higherIsBetter: higherIsBetter(metricSettings[metric], metric),
    ...metricMoments(arms, metric, settings.cuped),
  }));

  const comparisons: ArmComparison[] = [];
  arms.forEach((arm, armIndex) => {
    if (armIndex === controlIndex) return;
    const units = arm.units + control.units;
    const multiplier = boundaryMultiplier(units, settings.alpha, settings.tuningUnits);
    const metrics: Record<string, MetricComparison> = {};
    for (const m of perMetric) {
      metrics[m.metric] = compareMetric({
        treatment: m.moments[armIndex],
        control: m.moments[controlIndex],
        rawTreatment: m.raw[armIndex],
        rawControl: m.raw[controlIndex],
        theta: m.cuped?.theta ?? null,
        multiplier,
        higherIsBetter: m.higherIsBetter,
        srmMismatch: srm.mismatch,
        minUnitsPerArm: settings.minUnitsPerArm,
      });
    }
    comparisons.push({ arm: arm.name, units, metrics });
  });

  const totalUnits = arms.reduce((a, arm) => a + arm.units, 0);
  return {
    control: control.name,
    alpha: settings.alpha,
    srm,
    arms: arms.map((arm, armIndex) => ({
      name: arm.name,
      share: arm.share,
      observedShare: totalUnits > 0 ? arm.units / totalUnits : 0,
      units: arm.units,
      metrics: Object.fromEntries(
        perMetric.map((m) => [m.metric, { mean: m.raw[armIndex].mean, standardDeviation: Math.sqrt(m.raw[armIndex].variance) }]),
      ),
    })),
    comparisons,
  };
}

function higherIsBetter(settings: unknown, metric: string): boolean {
  if (settings === undefined) return true;
  const value = requireObject(settings, `metrics.${metric}`).higherIsBetter;
  if (value === undefined) return true;
  if (typeof value !== 'boolean') throw new TypeError(`metrics.${metric}.higherIsBetter must be a boolean, got ${String(value)}`);
  return value;
}

interface ComparisonInput {
  treatment: ArmMoments;
  control: ArmMoments;
  rawTreatment: ArmMoments;
  rawControl: ArmMoments;
  theta: number | null;
  multiplier: number;
  higherIsBetter: boolean;
  srmMismatch: boolean;
  minUnitsPerArm: number;
}

function compareMetric(c: ComparisonInput): MetricComparison {
  const base = { higherIsBetter: c.higherIsBetter, treatmentMean: c.treatment.mean, controlMean: c.control.mean };
  const cuped = c.theta === null ? null : { theta: c.theta, varianceReduction: varianceReduction(c) };
  if (!hasEnoughData(c.treatment, c.control, c.minUnitsPerArm)) {
    return { ...base, verdict: c.srmMismatch ? 'invalid_srm' : 'insufficient_data', difference: null, lift: null, cuped };
  }
  const difference = contrastSequence(c.treatment, c.control, 1, c.multiplier);
  return {
    ...base,
    verdict: c.srmMismatch ? 'invalid_srm' : verdictOf(difference, c.higherIsBetter),
    difference,
    lift: liftSequence(c.treatment, c.control, c.multiplier),
    cuped,
  };
}

/** A zero variance in an arm (no conversions yet) would make the interval a point: no verdict from that. */
export function hasEnoughData(treatment: ArmMoments, control: ArmMoments, minUnitsPerArm: number): boolean {
  return treatment.units >= minUnitsPerArm && control.units >= minUnitsPerArm && treatment.variance > 0 && control.variance > 0;
}

function verdictOf(difference: EstimateInterval, higherIsBetter: boolean): MetricVerdict {
  if (difference.lower > 0) return higherIsBetter ? 'better' : 'worse';
  if (difference.upper < 0) return higherIsBetter ? 'worse' : 'better';
  return 'no_detectable_difference';
}

/** Relative lift with the Fieller confidence sequence of the ratio of means, shifted by −1. */
export function liftSequence(treatment: ArmMoments, control: ArmMoments, multiplier: number): EstimateInterval | null {
  if (!(control.mean > 0)) return null;
  const ratio = ratioSequence(treatment, control, multiplier);
  if (!ratio) return null;
  return { estimate: treatment.mean / control.mean - 1, lower: ratio.lower - 1, upper: ratio.upper - 1 };
}

function varianceReduction(c: ComparisonInput): number {
  const adjusted = c.treatment.variance / c.treatment.units + c.control.variance / c.control.units;
  const raw = c.rawTreatment.variance / c.rawTreatment.units + c.rawControl.variance / c.rawControl.units;
  return raw > 0 && Number.isFinite(adjusted) ? 1 - adjusted / raw : 0;
}
