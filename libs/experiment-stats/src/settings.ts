/** The knobs shared by the experiment analysis and the canary's non-inferiority decision, with their defaults. */
import { DEFAULT_SRM_ALPHA } from './sample-ratio';
import { requireCount, requireOpenUnitInterval, requirePositive } from './validation';

export interface SequentialTestSettings {
  /** Level of the confidence sequences: the chance that any look ever misses the true value (default 0.05). */
  alpha?: number;
  /** Level of the sample-ratio-mismatch test (default 0.001). */
  srmAlpha?: number;
  /** Below this many units in either arm no verdict is given (default 100, at least 2): the normal approximation needs a sample. */
  minUnitsPerArm?: number;
  /** Total units of the two compared arms at which the intervals are tightest; set it near the planned size (default 10 000). */
  tuningUnits?: number;
  /** Use CUPED where every arm carries the metric's covariate sums (default true). */
  cuped?: boolean;
}

export type ResolvedSettings = Required<SequentialTestSettings>;

export const DEFAULT_SETTINGS: ResolvedSettings = {
  alpha: 0.05,
  srmAlpha: DEFAULT_SRM_ALPHA,
  minUnitsPerArm: 100,
  tuningUnits: 10_000,
  cuped: true,
};

export function resolveSettings(settings: SequentialTestSettings): ResolvedSettings {
  const resolved = { ...DEFAULT_SETTINGS };
  if (settings.alpha !== undefined) resolved.alpha = requireOpenUnitInterval(settings.alpha, 'alpha');
  if (settings.srmAlpha !== undefined) resolved.srmAlpha = requireOpenUnitInterval(settings.srmAlpha, 'srmAlpha');
  if (settings.minUnitsPerArm !== undefined) {
    resolved.minUnitsPerArm = requireCount(settings.minUnitsPerArm, 'minUnitsPerArm');
    if (resolved.minUnitsPerArm < 2) throw new RangeError(`minUnitsPerArm must be at least 2, got ${resolved.minUnitsPerArm}`);
  }
  if (settings.tuningUnits !== undefined) resolved.tuningUnits = requirePositive(settings.tuningUnits, 'tuningUnits');
  if (settings.cuped !== undefined) {
    if (typeof settings.cuped !== 'boolean') throw new TypeError(`cuped must be a boolean, got ${String(settings.cuped)}`);
    resolved.cuped = settings.cuped;
  }
  return resolved;
}
