import { csrFromCoordinates, transposeCsr } from '@recmesh/numerics';
import { BundleKnn, randomWalkScores } from './bundle-cf';
import { ItemCooccurrenceLift } from './item-cooccurrence';

describe('ItemCooccurrenceLift', () => {
  // contexts: {0,1}, {0,1}, {2}, {0,2}; N = 4, c(0)=3, c(1)=2, c(2)=2
  const ctx = csrFromCoordinates(4, 3, [0, 0, 1, 1, 2, 3, 3], [0, 1, 0, 1, 2, 0, 2], undefined, true);
  const lift = new ItemCooccurrenceLift(ctx, transposeCsr(ctx), { shrink: 1, minCount: 2, maxNeighbours: 10 });

  it('computes shrunk PPMI (lift, not raw counts) and drops pairs below the minimum count', () => {
    const expected = Math.log((2 * 4) / (3 * 2)) * (2 / 3);
    expect(lift.pairAffinity(0, 1)).toBeCloseTo(expected, 12);
    expect(lift.pairAffinity(1, 0)).toBeCloseTo(expected, 12);
    expect(lift.pairAffinity(0, 2)).toBe(0); // seen once
    expect(lift.pairAffinity(1, 2)).toBe(0); // never together
  });

  it('averages over the profile', () => {
    const got = new Map<number, number>();
    lift.profileAffinity([1, 2], (j, a) => got.set(j, a));
    expect([...got.keys()]).toEqual([0]);
    expect(got.get(0)).toBeCloseTo(lift.pairAffinity(1, 0) / 2, 12);
  });
});

describe('bundle CF scores', () => {
  // users × bundles: u0 {0,1}, u1 {1,2}
  const train = csrFromCoordinates(2, 3, [0, 0, 1, 1], [0, 1, 1, 2], undefined, true);
  const byBundle = transposeCsr(train);

  it('random walk: three uniform steps u → b → v → b', () => {
    const s = randomWalkScores(train, byBundle, 0, new Float64Array(3));
    // from u0: b0 (1/2) → u0 → {b0,b1} (1/2 each); b1 (1/2) → {u0,u1} (1/2) → their bundles (1/2)
    expect(s[0]).toBeCloseTo(0.25 + 0.125, 12);
    expect(s[1]).toBeCloseTo(0.25 + 0.125 + 0.125, 12);
    expect(s[2]).toBeCloseTo(0.125, 12);
  });

  it('bundle kNN: Σ cosine over the user\'s bundles', () => {
    const knn = new BundleKnn(train, byBundle);
    const s = knn.scores(train, 0, new Float64Array(3));
    const c01 = 1 / Math.sqrt(2); // b0 {u0}, b1 {u0,u1}
    const c12 = 1 / Math.sqrt(2);
    // similarities are stored as float32
    expect(s[0]).toBeCloseTo(c01, 6);
    expect(s[1]).toBeCloseTo(c01, 6);
    expect(s[2]).toBeCloseTo(c12, 6);
  });
});
