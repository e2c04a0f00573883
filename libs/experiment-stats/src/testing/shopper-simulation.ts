/**
 * Simulated shoppers for the tests: each has a latent activity level (log-normal, mean 1) that drives
 * both the pre-experiment purchases (the CUPED covariate) and the experiment-period outcomes, and is
 * assigned to an arm by a seeded draw. The arms accumulate the sums a caller would store.
 */
import { gaussianSource, mulberry32 } from '@recmesh/numerics';
import type { ArmInput } from '../arms';
import { addUnitValue, emptyMetricSums, mergeMetricSums, type MetricSums } from '../metric-sums';

export interface SimulatedArm {
  name: string;
  /** Share reported to the analysis. */
  share: number;
  /** Share the assignment really uses (default: share); differing models an assignment bug. */
  assignedShare?: number;
  /** Multiplies every shopper's conversion and purchase rates in this arm (default 1: no effect). */
  effect?: number;
}

export interface ShopperModel {
  /** Chance that a shopper of average activity converts during the experiment. */
  conversionRate: number;
  /** Mean purchases per shopper during the experiment (Poisson given activity). */
  purchasesPerShopper: number;
  /** Mean purchases per shopper in the pre-experiment period (Poisson given activity): the covariate. */
  prePeriodPurchases: number;
  /** σ of ln(activity); 0 makes every shopper alike (then the covariate carries no information). */
  activitySpread: number;
}

interface ArmState {
  arm: SimulatedArm;
  units: number;
  conversion: MetricSums;
  purchases: MetricSums;
}

export class ShopperSimulation {
  private readonly uniform: () => number;
  private readonly normal: () => number;
  private readonly states: ArmState[];
  private readonly cumulativeShares: number[];

  constructor(
    seed: number,
    arms: readonly SimulatedArm[],
    private readonly model: ShopperModel,
  ) {
    this.uniform = mulberry32(seed);
    this.normal = gaussianSource(this.uniform);
    this.states = arms.map((arm) => ({ arm, units: 0, conversion: emptyMetricSums(true), purchases: emptyMetricSums(true) }));
    let total = 0;
    this.cumulativeShares = arms.map((arm) => (total += arm.assignedShare ?? arm.share));
  }

  addShoppers(count: number): void {
    const { conversionRate, purchasesPerShopper, prePeriodPurchases, activitySpread } = this.model;
    const last = this.cumulativeShares[this.cumulativeShares.length - 1];
    for (let i = 0; i < count; i++) {
      const draw = this.uniform() * last;
      let armIndex = 0;
      while (armIndex < this.cumulativeShares.length - 1 && draw >= this.cumulativeShares[armIndex]) armIndex++;
      const state = this.states[armIndex];
      const effect = state.arm.effect ?? 1;
      const activity = activitySpread > 0 ? Math.exp(activitySpread * this.normal() - (activitySpread * activitySpread) / 2) : 1;
      const prePurchases = poisson(prePeriodPurchases * activity, this.uniform);
      const converted = this.uniform() < conversionRate * effect * activity ? 1 : 0;
      const purchases = poisson(purchasesPerShopper * effect * activity, this.uniform);
      state.units++;
      addUnitValue(state.conversion, converted, prePurchases);
      addUnitValue(state.purchases, purchases, prePurchases);
    }
  }

  /** The arms as the analysis takes them: a snapshot, later shoppers do not change it. */
  arms(): ArmInput[] {
    return this.states.map((s) => ({
      name: s.arm.name,
      share: s.arm.share,
      units: s.units,
      metrics: { conversion: mergeMetricSums(s.conversion, emptyMetricSums(true)), purchases: mergeMetricSums(s.purchases, emptyMetricSums(true)) },
    }));
  }
}

/** Knuth's product-of-uniforms Poisson draw: exact, and fast for the small means of purchases per shopper. */
function poisson(mean: number, uniform: () => number): number {
  if (mean <= 0) return 0;
  const limit = Math.exp(-mean);
  let count = 0;
  let product = uniform();
  while (product > limit) {
    count++;
    product *= uniform();
  }
  return count;
}
