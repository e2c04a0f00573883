import { mulberry32 } from '@recmesh/numerics';
import { boundaryMultiplier, contrastSequence, ratioSequence } from './confidence-sequence';

describe('the mixture boundary', () => {
  it('is wider than a one-look 95% interval everywhere and tightest near the tuning size', () => {
    const sizes = [100, 1_000, 5_000, 10_000, 20_000, 100_000, 1_000_000];
    const k = sizes.map((t) => boundaryMultiplier(t, 0.05, 10_000));
    for (const value of k) expect(value).toBeGreaterThan(1.96);
    const tightest = sizes[k.indexOf(Math.min(...k))];
    expect([5_000, 10_000, 20_000]).toContain(tightest);
    // A stricter α widens it.
    expect(boundaryMultiplier(10_000, 0.01, 10_000)).toBeGreaterThan(boundaryMultiplier(10_000, 0.05, 10_000));
  });
});

describe('Fieller ratio interval', () => {
  it('contains the ratio of the means and excludes 1 exactly when the difference interval excludes 0', () => {
    const uniform = mulberry32(8);
    for (let i = 0; i < 2_000; i++) {
      const control = { units: 200 + Math.floor(5_000 * uniform()), mean: 0.02 + 0.1 * uniform(), variance: 0.01 + 0.1 * uniform() };
      const treatment = { units: 200 + Math.floor(5_000 * uniform()), mean: control.mean * (0.7 + 0.6 * uniform()), variance: 0.01 + 0.1 * uniform() };
      const k = boundaryMultiplier(treatment.units + control.units, 0.05, 10_000);
      const ratio = ratioSequence(treatment, control, k);
      const difference = contrastSequence(treatment, control, 1, k);
      if (!ratio) continue;
      expect(ratio.lower).toBeLessThanOrEqual(treatment.mean / control.mean);
      expect(ratio.upper).toBeGreaterThanOrEqual(treatment.mean / control.mean);
      expect(ratio.lower > 1 || ratio.upper < 1).toBe(difference.lower > 0 || difference.upper < 0);
    }
  });

  it('is unbounded (null) while the control mean is not distinguishable from 0', () => {
    expect(ratioSequence({ units: 100, mean: 0.05, variance: 0.05 }, { units: 100, mean: 0.01, variance: 0.01 }, 3)).toBeNull();
  });
});
