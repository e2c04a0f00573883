/**
 * The canary's sequential non-inferiority decision: promote once the canary is shown not worse than
 * the baseline by more than a relative margin, roll back once it is shown worse than that margin,
 * and keep collecting otherwise. Both decisions read the same anytime-valid confidence sequence of
 * the ratio canary / baseline (Fieller, see confidence-sequence.ts), so checking every minute keeps
 * each wrong decision's chance at α: promoting a canary that is worse than the margin, or rolling
 * back one that is within it.
 */
import { validateArms, metricMoments, type ArmInput } from './arms';
import { boundaryMultiplier, type EstimateInterval } from './confidence-sequence';
import { hasEnoughData, liftSequence } from './experiment-analysis';
import { sampleRatioMismatch, type SampleRatioResult } from './sample-ratio';
import { resolveSettings, type SequentialTestSettings } from './settings';
import { requireNonEmptyString, requireObject, requireOpenUnitInterval } from './validation';

export type NonInferiorityDecision = 'non_inferior' | 'inferior' | 'continue' | 'invalid_srm';

export interface NonInferiorityInput extends SequentialTestSettings {
  /** The version serving most traffic; shares of baseline and canary sum to 1. */
  baseline: ArmInput;
  canary: ArmInput;
  /** The metric decided on, e.g. 'conversion'. */
  metric: string;
  /** Largest acceptable relative loss, e.g. 0.02: promote when canary ≥ 98% of baseline is shown. */
  margin: number;
  /** Default true; for a lower-is-better metric the canary may be at most (1 + margin) × baseline. */
  higherIsBetter?: boolean;
}

export interface NonInferiorityResult {
  decision: NonInferiorityDecision;
  /** One sentence on why, for logs and the promotion record. */
  reason: string;
  /** Canary / baseline − 1 with its confidence sequence; null while unbounded or below the minimum sample. */
  lift: EstimateInterval | null;
  /** The lift the decision is held against: −margin (higher is better) or +margin. */
  threshold: number;
  srm: SampleRatioResult;
  /** Whether the metric was CUPED-adjusted. */
  cuped: boolean;
}

export function nonInferiority(input: NonInferiorityInput): NonInferiorityResult {
  requireObject(input, 'non-inferiority input');
  const settings = resolveSettings(input);
  const arms = validateArms([input.baseline, input.canary]);
  const metric = requireNonEmptyString(input.metric, 'metric');
  const margin = requireOpenUnitInterval(input.margin, 'margin');
  if (input.higherIsBetter !== undefined && typeof input.higherIsBetter !== 'boolean') {
    throw new TypeError(`higherIsBetter must be a boolean, got ${String(input.higherIsBetter)}`);
  }
  const higherIsBetter = input.higherIsBetter ?? true;
  if (!(metric in arms[0].metrics)) throw new RangeError(`unknown metric '${metric}'; the arms report ${Object.keys(arms[0].metrics).join(', ')}`);

  const srm = sampleRatioMismatch(
    arms.map((a) => a.units),
    arms.map((a) => a.share),
    settings.srmAlpha,
  );
  const { moments, cuped } = metricMoments(arms, metric, settings.cuped);
  const [baseline, canary] = moments;
  const threshold = higherIsBetter ? -margin : margin;
  const result = { threshold, srm, cuped: cuped !== null };
  if (srm.mismatch) {
    return { ...result, decision: 'invalid_srm', reason: `traffic split does not match the configured shares (SRM p = ${srm.pValue.toExponential(2)})`, lift: null };
  }
  if (!hasEnoughData(canary, baseline, settings.minUnitsPerArm)) {
    return { ...result, decision: 'continue', reason: `fewer than ${settings.minUnitsPerArm} units or no variation yet in an arm`, lift: null };
  }
  const multiplier = boundaryMultiplier(canary.units + baseline.units, settings.alpha, settings.tuningUnits);
  const lift = liftSequence(canary, baseline, multiplier);
  if (!lift) return { ...result, decision: 'continue', reason: 'the lift interval is still unbounded', lift };
  const interval = `lift ${formatPercent(lift.estimate)} in [${formatPercent(lift.lower)}, ${formatPercent(lift.upper)}]`;
  const shownWithinMargin = higherIsBetter ? lift.lower > threshold : lift.upper < threshold;
  const shownBeyondMargin = higherIsBetter ? lift.upper < threshold : lift.lower > threshold;
  if (shownWithinMargin) return { ...result, decision: 'non_inferior', reason: `${interval} is within the margin ${formatPercent(threshold)}`, lift };
  if (shownBeyondMargin) return { ...result, decision: 'inferior', reason: `${interval} is entirely past the margin ${formatPercent(threshold)}`, lift };
  return { ...result, decision: 'continue', reason: `${interval} still contains the margin ${formatPercent(threshold)}`, lift };
}

function formatPercent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}
