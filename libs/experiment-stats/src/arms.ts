/** The arms of an experiment as the caller sends them, their checks, and the per-metric moments the tests use. */
import { cupedMoments, fitCuped, type CupedFit } from './cuped';
import { rawMoments, validateMetricSums, type ArmMoments, type MetricSums } from './metric-sums';
import { requireCount, requireFiniteNumber, requireNonEmptyString, requireObject } from './validation';

export interface ArmInput {
  /** Unique arm name, e.g. 'control', 'two-tower-v2'. */
  name: string;
  /** Configured traffic share in (0, 1]; the shares of all arms sum to 1. */
  share: number;
  /** Units (users) assigned to the arm so far, active or not. */
  units: number;
  /** Per metric, the sums of the per-unit value over those units. */
  metrics: Readonly<Record<string, MetricSums>>;
}

const SHARE_TOLERANCE = 1e-6;

/** Checks the arms (≥ 2, unique names, shares in (0, 1] summing to 1, whole unit counts, the same metrics everywhere). */
export function validateArms(value: unknown): ArmInput[] {
  if (!Array.isArray(value)) throw new TypeError(`arms must be an array, got ${value === null ? 'null' : typeof value}`);
  if (value.length < 2) throw new RangeError(`an experiment needs at least 2 arms, got ${value.length}`);
  const arms = value.map((raw, i) => validateArm(raw, i));
  const names = new Set<string>();
  for (const arm of arms) {
    if (names.has(arm.name)) throw new RangeError(`arm name '${arm.name}' appears twice`);
    names.add(arm.name);
  }
  const shareTotal = arms.reduce((a, arm) => a + arm.share, 0);
  if (Math.abs(shareTotal - 1) > SHARE_TOLERANCE) throw new RangeError(`arm shares must sum to 1, got ${shareTotal}`);
  const metricNames = Object.keys(arms[0].metrics).sort().join(',');
  for (const arm of arms) {
    if (Object.keys(arm.metrics).sort().join(',') !== metricNames) {
      throw new RangeError(`every arm must report the same metrics: '${arms[0].name}' has [${metricNames}], '${arm.name}' has [${Object.keys(arm.metrics).sort().join(',')}]`);
    }
  }
  return arms;
}

function validateArm(raw: unknown, index: number): ArmInput {
  const arm = requireObject(raw, `arms[${index}]`);
  const name = requireNonEmptyString(arm.name, `arms[${index}].name`);
  const share = requireFiniteNumber(arm.share, `arm '${name}' share`);
  if (share <= 0 || share > 1) throw new RangeError(`arm '${name}' share must lie in (0, 1], got ${share}`);
  const units = requireCount(arm.units, `arm '${name}' units`);
  const rawMetrics = requireObject(arm.metrics, `arm '${name}' metrics`);
  const metrics: Record<string, MetricSums> = {};
  for (const [metric, sums] of Object.entries(rawMetrics)) metrics[metric] = validateMetricSums(sums, units, `arm '${name}' metric '${metric}'`);
  return { name, share, units, metrics };
}

export function requireArm(arms: readonly ArmInput[], name: unknown, field: string): ArmInput {
  const wanted = requireNonEmptyString(name, field);
  const arm = arms.find((a) => a.name === wanted);
  if (!arm) throw new RangeError(`unknown ${field} '${wanted}'; the arms are ${arms.map((a) => `'${a.name}'`).join(', ')}`);
  return arm;
}

export interface MetricMoments {
  /** Per arm, in the order of the arms: CUPED-adjusted when `cuped` is set, raw otherwise. */
  moments: ArmMoments[];
  raw: ArmMoments[];
  cuped: CupedFit | null;
}

/** Each arm's moments of one metric, CUPED-adjusted when allowed and every arm carries the covariate. */
export function metricMoments(arms: readonly ArmInput[], metric: string, allowCuped: boolean): MetricMoments {
  const armSums = arms.map((arm) => ({ units: arm.units, sums: arm.metrics[metric] }));
  const raw = armSums.map(({ units, sums }) => rawMoments(units, sums));
  const cuped = allowCuped ? fitCuped(armSums) : null;
  return { moments: cuped ? armSums.map((a) => cupedMoments(a, cuped)) : raw, raw, cuped };
}
