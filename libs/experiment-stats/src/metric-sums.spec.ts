import { mulberry32 } from '@recmesh/numerics';
import { addUnitValue, emptyMetricSums, mergeMetricSums, rawMoments } from './metric-sums';

describe('metric sums', () => {
  it('buckets merge to the sums of all units, and give the sample mean and variance', () => {
    const uniform = mulberry32(17);
    const values = Array.from({ length: 1_000 }, () => ({ y: Math.floor(5 * uniform()), x: 3 * uniform() }));
    const whole = emptyMetricSums(true);
    const buckets = [emptyMetricSums(true), emptyMetricSums(true), emptyMetricSums(true)];
    values.forEach(({ y, x }, i) => {
      addUnitValue(whole, y, x);
      addUnitValue(buckets[i % 3], y, x);
    });
    const merged = buckets.reduce((a, b) => mergeMetricSums(a, b));
    expect(merged.sum).toBeCloseTo(whole.sum, 9);
    expect(merged.sumSq).toBeCloseTo(whole.sumSq, 9);
    expect(merged.covariate!.sumProduct).toBeCloseTo(whole.covariate!.sumProduct, 9);
    const mean = values.reduce((a, v) => a + v.y, 0) / values.length;
    const variance = values.reduce((a, v) => a + (v.y - mean) ** 2, 0) / (values.length - 1);
    const moments = rawMoments(values.length, merged);
    expect(moments.mean).toBeCloseTo(mean, 12);
    expect(moments.variance).toBeCloseTo(variance, 9);
    expect(mergeMetricSums(whole, emptyMetricSums(false)).covariate).toBeUndefined();
  });
});
