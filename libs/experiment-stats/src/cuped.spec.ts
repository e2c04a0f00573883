import { mulberry32 } from '@recmesh/numerics';
import { analyzeExperiment } from './experiment-analysis';
import { cupedMoments, fitCuped } from './cuped';
import { addUnitValue, emptyMetricSums } from './metric-sums';
import { ShopperSimulation, type ShopperModel } from './testing/shopper-simulation';

// Purchases per shopper driven by a log-normal activity that also drives pre-period purchases.
const model: ShopperModel = { conversionRate: 0.05, purchasesPerShopper: 0.5, prePeriodPurchases: 2, activitySpread: 1 };
const TRUE_DIFFERENCE = 0.5 * 0.1; // a +10% effect on 0.5 purchases per shopper

describe('CUPED', () => {
  it('shrinks the interval with a correlated pre-period covariate and stays unbiased over repetitions', () => {
    const repetitions = 100;
    const adjusted: number[] = [];
    const raw: number[] = [];
    const widthRatios: number[] = [];
    let adjustedCovers = 0;
    for (let r = 0; r < repetitions; r++) {
      const sim = new ShopperSimulation(7_000 + r, [
        { name: 'control', share: 0.5 },
        { name: 'treatment', share: 0.5, effect: 1.1 },
      ], model);
      sim.addShoppers(20_000);
      const arms = sim.arms();
      const withCuped = analyzeExperiment({ arms, control: 'control' }).comparisons[0].metrics.purchases;
      const without = analyzeExperiment({ arms, control: 'control', cuped: false }).comparisons[0].metrics.purchases;
      expect(withCuped.cuped).not.toBeNull();
      expect(without.cuped).toBeNull();
      const a = withCuped.difference!;
      const b = without.difference!;
      adjusted.push(a.estimate);
      raw.push(b.estimate);
      widthRatios.push((a.upper - a.lower) / (b.upper - b.lower));
      // The reported reduction is what the width shows.
      expect((a.upper - a.lower) / (b.upper - b.lower)).toBeCloseTo(Math.sqrt(1 - withCuped.cuped!.varianceReduction), 10);
      if (a.lower <= TRUE_DIFFERENCE && TRUE_DIFFERENCE <= a.upper) adjustedCovers++;
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
    const widthRatio = mean(widthRatios);
    console.log(
      `CUPED over ${repetitions} runs of 20k shoppers: interval width ratio ${widthRatio.toFixed(3)}; ` +
        `mean estimate ${mean(adjusted).toFixed(4)} (raw ${mean(raw).toFixed(4)}, truth ${TRUE_DIFFERENCE}); ` +
        `sd ${sd(adjusted).toFixed(4)} vs raw ${sd(raw).toFixed(4)}; covered in ${adjustedCovers}`,
    );
    expect(widthRatio).toBeLessThan(0.9);
    expect(Math.max(...widthRatios)).toBeLessThan(1);
    // Unbiased: the mean over repetitions is within 3 standard errors of the truth.
    expect(Math.abs(mean(adjusted) - TRUE_DIFFERENCE)).toBeLessThan((3 * sd(adjusted)) / Math.sqrt(repetitions));
    expect(sd(adjusted)).toBeLessThan(sd(raw));
    expect(adjustedCovers / repetitions).toBeGreaterThanOrEqual(0.95 - 2 * Math.sqrt((0.05 * 0.95) / repetitions));
  });

  it('θ is the within-arm least-squares slope of Y on X, computed from the sums alone', () => {
    const uniform = mulberry32(3);
    const xs = [[] as number[], [] as number[]];
    const ys = [[] as number[], [] as number[]];
    const arms = [0, 1].map((arm) => {
      const sums = emptyMetricSums(true);
      for (let i = 0; i < 500; i++) {
        const x = 10 * uniform();
        const y = 2 + 0.7 * x + arm * 5 + uniform();
        xs[arm].push(x);
        ys[arm].push(y);
        addUnitValue(sums, y, x);
      }
      return { units: 500, sums };
    });
    // The slope of Y on X after removing each arm's means.
    let sxy = 0;
    let sxx = 0;
    for (const arm of [0, 1]) {
      const mx = xs[arm].reduce((a, b) => a + b) / 500;
      const my = ys[arm].reduce((a, b) => a + b) / 500;
      xs[arm].forEach((x, i) => {
        sxy += (x - mx) * (ys[arm][i] - my);
        sxx += (x - mx) ** 2;
      });
    }
    const fit = fitCuped(arms)!;
    expect(fit.theta).toBeCloseTo(sxy / sxx, 9);
    expect(fit.theta).toBeCloseTo(0.7, 1);
    // The adjusted variance is the residual variance about that slope.
    const adjusted = cupedMoments(arms[0], fit);
    const direct = xs[0].map((x, i) => ys[0][i] - fit.theta * x);
    const directMean = direct.reduce((a, b) => a + b) / 500;
    expect(adjusted.variance).toBeCloseTo(direct.reduce((a, d) => a + (d - directMean) ** 2, 0) / 499, 9);
  });

  it('is skipped when an arm lacks the covariate or the covariate is constant', () => {
    const withX = emptyMetricSums(true);
    const withoutX = emptyMetricSums(false);
    const constantX = emptyMetricSums(true);
    for (let i = 0; i < 200; i++) {
      addUnitValue(withX, i % 3, i % 5);
      addUnitValue(withoutX, i % 2);
      addUnitValue(constantX, i % 2, 4);
    }
    expect(fitCuped([{ units: 200, sums: withX }, { units: 200, sums: withoutX }])).toBeNull();
    expect(fitCuped([{ units: 200, sums: constantX }, { units: 200, sums: constantX }])).toBeNull();
    const result = analyzeExperiment({
      control: 'a',
      arms: [
        { name: 'a', share: 0.5, units: 200, metrics: { m: withX } },
        { name: 'b', share: 0.5, units: 200, metrics: { m: withoutX } },
      ],
    });
    expect(result.comparisons[0].metrics.m.cuped).toBeNull();
  });
});
