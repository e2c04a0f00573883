import { nonInferiority, type NonInferiorityDecision } from './non-inferiority';
import { ShopperSimulation, type ShopperModel } from './testing/shopper-simulation';

// A canary on 20% of traffic, conversion 10%, a 10% relative margin, checked every 5 000 shoppers.
const model: ShopperModel = { conversionRate: 0.1, purchasesPerShopper: 0.5, prePeriodPurchases: 2, activitySpread: 0.5 };
const MARGIN = 0.1;
const ALPHA = 0.05;

/** Runs a canary until the first decision other than 'continue' (or the cap); returns it and the shoppers seen. */
function runCanary(seed: number, effect: number, maxShoppers: number, higherIsBetter = true, metric = 'conversion') {
  const sim = new ShopperSimulation(seed, [
    { name: 'stable', share: 0.8 },
    { name: 'canary', share: 0.2, effect },
  ], model);
  let decision: NonInferiorityDecision = 'continue';
  let shoppers = 0;
  while (decision === 'continue' && shoppers < maxShoppers) {
    sim.addShoppers(5_000);
    shoppers += 5_000;
    const [baseline, canary] = sim.arms();
    decision = nonInferiority({ baseline, canary, metric, margin: MARGIN, alpha: ALPHA, higherIsBetter }).decision;
  }
  return { decision, shoppers };
}

describe('canary non-inferiority (sequential)', () => {
  it('promotes a canary equal to the baseline, eventually', () => {
    const runs = Array.from({ length: 20 }, (_, i) => runCanary(9_000 + i, 1, 400_000));
    console.log(`equal canary: non_inferior after ${runs.map((r) => r.shoppers / 1000).join(', ')} thousand shoppers`);
    expect(runs.map((r) => r.decision)).toEqual(Array(20).fill('non_inferior'));
  });

  it('rolls back a clearly worse canary (−30% conversion)', () => {
    const runs = Array.from({ length: 20 }, (_, i) => runCanary(9_100 + i, 0.7, 400_000));
    console.log(`worse canary: inferior after ${runs.map((r) => r.shoppers / 1000).join(', ')} thousand shoppers`);
    expect(runs.map((r) => r.decision)).toEqual(Array(20).fill('inferior'));
  });

  it('a canary exactly at the margin is rarely promoted or rolled back, however often it is checked', () => {
    const repetitions = 100;
    const runs = Array.from({ length: repetitions }, (_, i) => runCanary(9_200 + i, 1 - MARGIN, 80_000));
    const promoted = runs.filter((r) => r.decision === 'non_inferior').length;
    const rolledBack = runs.filter((r) => r.decision === 'inferior').length;
    console.log(`canary at the margin, ${repetitions} runs × 16 looks: promoted ${promoted}, rolled back ${rolledBack}`);
    const bound = ALPHA + 2 * Math.sqrt((ALPHA * (1 - ALPHA)) / repetitions);
    expect(promoted / repetitions).toBeLessThanOrEqual(bound);
    expect(rolledBack / repetitions).toBeLessThanOrEqual(bound);
  });

  it('reads the margin the other way for a lower-is-better metric', () => {
    expect(runCanary(9_300, 0.7, 400_000, false, 'purchases').decision).toBe('non_inferior');
    expect(runCanary(9_301, 1.4, 400_000, false, 'purchases').decision).toBe('inferior');
  });

  it('decides nothing on a broken traffic split, and explains a decision', () => {
    const sim = new ShopperSimulation(1, [
      { name: 'stable', share: 0.8, assignedShare: 0.75 },
      { name: 'canary', share: 0.2, assignedShare: 0.25 },
    ], model);
    sim.addShoppers(50_000);
    const [baseline, canary] = sim.arms();
    const broken = nonInferiority({ baseline, canary, metric: 'conversion', margin: MARGIN });
    expect(broken.decision).toBe('invalid_srm');
    expect(broken.lift).toBeNull();

    const fair = new ShopperSimulation(2, [
      { name: 'stable', share: 0.8 },
      { name: 'canary', share: 0.2 },
    ], model);
    fair.addShoppers(400_000);
    const [b, c] = fair.arms();
    const result = nonInferiority({ baseline: b, canary: c, metric: 'conversion', margin: MARGIN });
    expect(result.decision).toBe('non_inferior');
    expect(result.threshold).toBe(-MARGIN);
    expect(result.lift!.lower).toBeGreaterThan(-MARGIN);
    expect(result.reason).toMatch(/within the margin -10\.00%/);
    expect(result.cuped).toBe(true);
  });
});
