import { analyzeExperiment } from './experiment-analysis';
import type { ArmInput } from './arms';
import { ShopperSimulation, type ShopperModel } from './testing/shopper-simulation';

const ALPHA = 0.05;
/** The observed share of N Bernoulli(α) trials stays below α + 2 standard errors (≈ 97.7% of the time for an exact-α test). */
const tolerance = (n: number) => ALPHA + 2 * Math.sqrt((ALPHA * (1 - ALPHA)) / n);
const alike: ShopperModel = { conversionRate: 0.05, purchasesPerShopper: 0.5, prePeriodPurchases: 2, activitySpread: 0 };
const varied: ShopperModel = { ...alike, activitySpread: 1 };
const halves = (effect = 1) => [
  { name: 'control', share: 0.5 },
  { name: 'treatment', share: 0.5, effect },
];

describe('a known lift: 5% vs 6% conversion', () => {
  it('is called better, and the lift interval covers the true +20%', () => {
    const sim = new ShopperSimulation(20240601, halves(1.2), alike);
    sim.addShoppers(60_000);
    const result = analyzeExperiment({ arms: sim.arms(), control: 'control', alpha: ALPHA });
    const conversion = result.comparisons[0].metrics.conversion;
    expect(result.srm.mismatch).toBe(false);
    expect(conversion.verdict).toBe('better');
    expect(conversion.difference!.lower).toBeGreaterThan(0);
    expect(conversion.difference!.lower).toBeLessThanOrEqual(0.01);
    expect(conversion.difference!.upper).toBeGreaterThanOrEqual(0.01);
    expect(conversion.lift!.lower).toBeGreaterThan(0);
    expect(conversion.lift!.lower).toBeLessThanOrEqual(0.2);
    expect(conversion.lift!.upper).toBeGreaterThanOrEqual(0.2);
    expect(conversion.lift!.estimate).toBeCloseTo(conversion.treatmentMean / conversion.controlMean - 1, 12);
  });

  it('is detected in nearly every repetition, and the intervals cover the truth at every look (time-uniformly) in ≥ 1 − α of them', () => {
    const repetitions = 100;
    let detected = 0;
    let calledWorse = 0;
    let differenceEverMissed = 0;
    let liftEverMissed = 0;
    for (let r = 0; r < repetitions; r++) {
      const sim = new ShopperSimulation(31_000 + r, halves(1.2), alike);
      let differenceMissed = false;
      let liftMissed = false;
      let verdict = '';
      for (let look = 0; look < 20; look++) {
        sim.addShoppers(3_000);
        const conversion = analyzeExperiment({ arms: sim.arms(), control: 'control' }).comparisons[0].metrics.conversion;
        verdict = conversion.verdict;
        if (verdict === 'worse') calledWorse++;
        const { difference, lift } = conversion;
        if (difference && (difference.lower > 0.01 || difference.upper < 0.01)) differenceMissed = true;
        if (lift && (lift.lower > 0.2 || lift.upper < 0.2)) liftMissed = true;
      }
      if (verdict === 'better') detected++;
      if (differenceMissed) differenceEverMissed++;
      if (liftMissed) liftEverMissed++;
    }
    console.log(
      `known lift, ${repetitions} runs to 60k shoppers: 'better' at the end in ${detected}; ` +
        `difference CS ever missed 0.01 in ${differenceEverMissed}, lift CS ever missed +20% in ${liftEverMissed} (allowed ${(tolerance(repetitions) * repetitions).toFixed(1)})`,
    );
    expect(calledWorse).toBe(0);
    expect(detected / repetitions).toBeGreaterThanOrEqual(0.9);
    expect(differenceEverMissed / repetitions).toBeLessThanOrEqual(tolerance(repetitions));
    expect(liftEverMissed / repetitions).toBeLessThanOrEqual(tolerance(repetitions));
  });

  it('a losing arm is worse, and the direction flips for a lower-is-better metric', () => {
    const sim = new ShopperSimulation(77, halves(0.8), alike);
    sim.addShoppers(60_000);
    const arms = sim.arms();
    expect(analyzeExperiment({ arms, control: 'control' }).comparisons[0].metrics.conversion.verdict).toBe('worse');
    const flipped = analyzeExperiment({ arms, control: 'control', metrics: { conversion: { higherIsBetter: false } } });
    expect(flipped.comparisons[0].metrics.conversion.verdict).toBe('better');
    expect(flipped.comparisons[0].metrics.conversion.lift!.upper).toBeLessThan(0);
  });
});

describe('A/A experiments checked while data arrives', () => {
  // 200 experiments × 40 looks (every 500 shoppers up to 20 000); both arms identical.
  const experiments = 200;
  const looks = 40;
  const declared = { conversion: 0, purchases: 0 };
  let naiveDeclared = 0;

  beforeAll(() => {
    for (let e = 0; e < experiments; e++) {
      const sim = new ShopperSimulation(1_000 + e, halves(), varied);
      const ever = { conversion: false, purchases: false, naive: false };
      for (let look = 0; look < looks; look++) {
        sim.addShoppers(500);
        const arms = sim.arms();
        const { metrics } = analyzeExperiment({ arms, control: 'control', alpha: ALPHA }).comparisons[0];
        for (const metric of ['conversion', 'purchases'] as const) {
          if (metrics[metric].verdict === 'better' || metrics[metric].verdict === 'worse') ever[metric] = true;
        }
        if (Math.abs(naiveZ(arms, 'conversion')) > 1.959964) ever.naive = true;
      }
      if (ever.conversion) declared.conversion++;
      if (ever.purchases) declared.purchases++;
      if (ever.naive) naiveDeclared++;
    }
    console.log(
      `A/A, ${experiments} experiments × ${looks} looks: ever declared a difference — conversion ${declared.conversion / experiments}, ` +
        `purchases (CUPED) ${declared.purchases / experiments}; naive fixed-horizon z-test peeked at the same looks ${naiveDeclared / experiments} ` +
        `(bound ${tolerance(experiments).toFixed(4)})`,
    );
  });

  it('the confidence sequences keep the share that ever declares a difference within α plus its sampling tolerance', () => {
    expect(declared.conversion / experiments).toBeLessThanOrEqual(tolerance(experiments));
    expect(declared.purchases / experiments).toBeLessThanOrEqual(tolerance(experiments));
  });

  it('a naive fixed-horizon z-test peeked at the same times exceeds α several times over', () => {
    expect(naiveDeclared / experiments).toBeGreaterThan(tolerance(experiments));
    expect(naiveDeclared / experiments).toBeGreaterThan(3 * ALPHA);
  });
});

describe('more than two arms', () => {
  it('compares every treatment with control, in input order', () => {
    const sim = new ShopperSimulation(5, [
      { name: 'control', share: 0.4 },
      { name: 'same', share: 0.3 },
      { name: 'better', share: 0.3, effect: 1.5 },
    ], alike);
    sim.addShoppers(60_000);
    const result = analyzeExperiment({ arms: sim.arms(), control: 'control' });
    expect(result.comparisons.map((c) => c.arm)).toEqual(['same', 'better']);
    expect(result.comparisons[0].metrics.conversion.verdict).toBe('no_detectable_difference');
    expect(result.comparisons[1].metrics.conversion.verdict).toBe('better');
    expect(result.srm.degreesOfFreedom).toBe(2);
    expect(result.arms.map((a) => a.observedShare).reduce((a, b) => a + b)).toBeCloseTo(1, 12);
  });
});

describe('minimum sample', () => {
  it('gives no verdict below minUnitsPerArm, or while an arm has no conversions', () => {
    const sim = new ShopperSimulation(9, halves(3), alike);
    sim.addShoppers(150);
    const early = analyzeExperiment({ arms: sim.arms(), control: 'control', minUnitsPerArm: 100 }).comparisons[0].metrics.conversion;
    expect(early.verdict).toBe('insufficient_data');
    expect(early.difference).toBeNull();
    const noConversions: ArmInput[] = [
      { name: 'control', share: 0.5, units: 1_000, metrics: { conversion: { sum: 0, sumSq: 0 } } },
      { name: 'treatment', share: 0.5, units: 1_000, metrics: { conversion: { sum: 30, sumSq: 30 } } },
    ];
    expect(analyzeExperiment({ arms: noConversions, control: 'control' }).comparisons[0].metrics.conversion.verdict).toBe('insufficient_data');
  });
});

/** The fixed-horizon two-sample z statistic of the difference in means. */
function naiveZ(arms: ArmInput[], metric: string): number {
  const [control, treatment] = arms.map((arm) => {
    const { sum, sumSq } = arm.metrics[metric];
    const mean = sum / arm.units;
    return { mean, varianceOfMean: (sumSq - sum * mean) / (arm.units - 1) / arm.units };
  });
  return (treatment.mean - control.mean) / Math.sqrt(treatment.varianceOfMean + control.varianceOfMean);
}
