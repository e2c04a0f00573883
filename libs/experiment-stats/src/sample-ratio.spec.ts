import { mulberry32 } from '@recmesh/numerics';
import { analyzeExperiment } from './experiment-analysis';
import { sampleRatioMismatch } from './sample-ratio';
import { ShopperSimulation, type ShopperModel } from './testing/shopper-simulation';

const model: ShopperModel = { conversionRate: 0.05, purchasesPerShopper: 0.5, prePeriodPurchases: 2, activitySpread: 1 };

describe('sample-ratio mismatch', () => {
  it('flags a 45/55 assignment bug under a configured 50/50 split, and no verdict is given', () => {
    for (let seed = 0; seed < 20; seed++) {
      // The treatment also truly converts better: SRM must still block the verdict.
      const sim = new ShopperSimulation(600 + seed, [
        { name: 'control', share: 0.5, assignedShare: 0.45 },
        { name: 'treatment', share: 0.5, assignedShare: 0.55, effect: 1.5 },
      ], model);
      sim.addShoppers(10_000);
      const result = analyzeExperiment({ arms: sim.arms(), control: 'control' });
      expect(result.srm.mismatch).toBe(true);
      expect(result.srm.pValue).toBeLessThan(0.001);
      for (const metric of Object.values(result.comparisons[0].metrics)) expect(metric.verdict).toBe('invalid_srm');
    }
  });

  it('does not flag a correct 50/50 split beyond its 0.001 level', () => {
    // 1 000 splits of 20 000 users by a fair draw: expected 1 false alarm at α = 0.001.
    const runs = 1_000;
    let flagged = 0;
    for (let run = 0; run < runs; run++) {
      const uniform = mulberry32(90_000 + run);
      let control = 0;
      for (let i = 0; i < 20_000; i++) if (uniform() < 0.5) control++;
      if (sampleRatioMismatch([control, 20_000 - control], [0.5, 0.5]).mismatch) flagged++;
    }
    console.log(`SRM on fair 50/50 splits: ${flagged} of ${runs} flagged at α = 0.001`);
    expect(flagged / runs).toBeLessThanOrEqual(0.001 + 2 * Math.sqrt((0.001 * 0.999) / runs));
  });

  it('a fair 50/50 experiment keeps its verdicts', () => {
    const sim = new ShopperSimulation(42, [
      { name: 'control', share: 0.5 },
      { name: 'treatment', share: 0.5, effect: 1.5 },
    ], model);
    sim.addShoppers(10_000);
    const result = analyzeExperiment({ arms: sim.arms(), control: 'control' });
    expect(result.srm.mismatch).toBe(false);
    expect(result.comparisons[0].metrics.purchases.verdict).toBe('better');
  });

  it('is Pearson’s statistic against the configured shares, with k − 1 degrees of freedom', () => {
    const result = sampleRatioMismatch([500, 300, 200], [0.5, 0.25, 0.25]);
    // Expected 500, 250, 250: (0 + 2500 + 2500) / 250 = 20.
    expect(result.statistic).toBeCloseTo(20, 12);
    expect(result.degreesOfFreedom).toBe(2);
    expect(result.pValue).toBeCloseTo(Math.exp(-10), 12);
    expect(result.expectedUnits).toEqual([500, 250, 250]);
    expect(sampleRatioMismatch([0, 0], [0.5, 0.5]).mismatch).toBe(false);
  });
});
