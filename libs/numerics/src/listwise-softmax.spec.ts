import { solveSymmetric } from './linear-algebra';
import { fitListwiseSoftmax, listwiseSoftmaxLoss, RankingGroup } from './listwise-softmax';
import { gaussianSource, mulberry32 } from './random';
import { fitStandardizer, rawWeights, standardizeGroup } from './standardizer';

/** Toy ranking problem: feature 0 is higher for the relevant row, feature 1 is noise. */
function toyGroups(seed: number, nGroups = 300, rows = 25): RankingGroup[] {
  const gauss = gaussianSource(mulberry32(seed));
  const groups: RankingGroup[] = [];
  for (let g = 0; g < nGroups; g++) {
    const x = new Float64Array(rows * 2);
    for (let j = 0; j < rows; j++) {
      x[j * 2] = gauss() + (j === 0 ? 1.5 : 0);
      x[j * 2 + 1] = gauss();
    }
    groups.push({ features: x, nRows: rows, positives: Int32Array.from([0]) });
  }
  return groups;
}

describe('fitListwiseSoftmax', () => {
  it('learns a positive weight for the informative feature and ~0 for noise', () => {
    const fit = fitListwiseSoftmax(toyGroups(1), 2, { l2: 1e-4 });
    expect(fit.converged).toBe(true);
    expect(fit.weights[0]).toBeGreaterThan(0.8);
    expect(Math.abs(fit.weights[1])).toBeLessThan(0.2 * fit.weights[0]);
    // Beats the zero model on its own objective.
    expect(fit.loss).toBeLessThan(listwiseSoftmaxLoss(toyGroups(1), 2, new Float64Array(2), 1e-4));
  });

  it('is deterministic', () => {
    const a = fitListwiseSoftmax(toyGroups(3), 2, { l2: 1e-3 });
    const b = fitListwiseSoftmax(toyGroups(3), 2, { l2: 1e-3 });
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
    expect(a.iterations).toBe(b.iterations);
  });

  it('reaches a stationary point of the regularized loss', () => {
    const groups = toyGroups(5, 100);
    const l2 = 0.01;
    const { weights } = fitListwiseSoftmax(groups, 2, { l2, tolerance: 1e-16 });
    for (let f = 0; f < 2; f++) {
      const h = 1e-5;
      const plus = Float64Array.from(weights);
      const minus = Float64Array.from(weights);
      plus[f] += h;
      minus[f] -= h;
      const derivative = (listwiseSoftmaxLoss(groups, 2, plus, l2) - listwiseSoftmaxLoss(groups, 2, minus, l2)) / (2 * h);
      expect(Math.abs(derivative)).toBeLessThan(1e-6);
    }
  });

  it('shrinks weights as the L2 penalty grows, and warm starts reach the same optimum', () => {
    const groups = toyGroups(9, 150);
    const weak = fitListwiseSoftmax(groups, 2, { l2: 1e-3, tolerance: 1e-16 });
    const strong = fitListwiseSoftmax(groups, 2, { l2: 1 });
    expect(strong.weights[0]).toBeGreaterThan(0);
    expect(strong.weights[0]).toBeLessThan(weak.weights[0]);
    const warm = fitListwiseSoftmax(groups, 2, { l2: 1e-3, initialWeights: strong.weights, tolerance: 1e-16 });
    expect(warm.weights[0]).toBeCloseTo(weak.weights[0], 6);
    expect(warm.weights[1]).toBeCloseTo(weak.weights[1], 6);
  });

  it('treats a row with log-weight ln 2 like two copies of that row', () => {
    const x = Float64Array.from([2, 0.5, 1, 1, 0, 3]); // 3 rows × 2 features
    const duplicated: RankingGroup = { features: Float64Array.from([...x, 0, 3]), nRows: 4, positives: Int32Array.from([0]) };
    const weighted: RankingGroup = { features: x, nRows: 3, positives: Int32Array.from([0]), logWeights: Float64Array.from([0, 0, Math.log(2)]) };
    const w = Float64Array.from([0.7, -0.3]);
    expect(listwiseSoftmaxLoss([weighted], 2, w, 0)).toBeCloseTo(listwiseSoftmaxLoss([duplicated], 2, w, 0), 12);
  });

  it('averages over several positives of one list', () => {
    const g: RankingGroup = { features: Float64Array.from([1, 2, 0]), nRows: 3, positives: Int32Array.from([0, 1]) };
    const w = Float64Array.from([1]);
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(0));
    expect(listwiseSoftmaxLoss([g], 1, w, 0)).toBeCloseTo(lse - 1.5, 12);
  });
});

describe('standardization and solver', () => {
  it('maps standardized weights back to raw weights that rank identically', () => {
    const groups = toyGroups(11, 50).map((g) => ({ ...g, features: g.features.map((v, i) => (i % 2 === 0 ? 10 * v + 3 : v)) }));
    const s = fitStandardizer(groups, 2);
    expect(s.std[0]).toBeGreaterThan(5);
    const fit = fitListwiseSoftmax(
      groups.map((g) => standardizeGroup(g, s)),
      2,
      { l2: 1e-4 },
    );
    const raw = rawWeights(fit.weights, s);
    const g = groups[0];
    const std = standardizeGroup(g, s);
    const rawScores = Array.from({ length: g.nRows }, (_, j) => raw[0] * g.features[j * 2] + raw[1] * g.features[j * 2 + 1]);
    const stdScores = Array.from({ length: g.nRows }, (_, j) => fit.weights[0] * std.features[j * 2] + fit.weights[1] * std.features[j * 2 + 1]);
    const shift = rawScores[0] - stdScores[0];
    rawScores.forEach((v, j) => expect(v - stdScores[j]).toBeCloseTo(shift, 4));
  });

  it('solves a symmetric positive definite system', () => {
    const a = Float64Array.from([4, 1, 0, 1, 3, 1, 0, 1, 2]);
    const x = solveSymmetric(a, Float64Array.from([1, 2, 3]), 3);
    const back = [0, 1, 2].map((i) => a[i * 3] * x[0] + a[i * 3 + 1] * x[1] + a[i * 3 + 2] * x[2]);
    back.forEach((v, i) => expect(v).toBeCloseTo(i + 1, 10));
  });
});
