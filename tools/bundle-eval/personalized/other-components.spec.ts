import { BundleKnn, randomWalkScores } from './bundle-cf';
import { ItemCooccurrenceLift } from './item-cooccurrence';
import { mulberry32, shuffleInPlace } from './prng';
import { csrFromCoordinates, transposeCsr } from './sparse-matrix';
import { topIndices } from './top-k';
import { randomizedSvd, symmetricEigen } from './truncated-svd';

describe('csrFromCoordinates / transposeCsr', () => {
  it('sorts rows, merges duplicates and transposes', () => {
    const m = csrFromCoordinates(2, 3, [1, 0, 1, 1], [2, 1, 0, 2], [1, 2, 3, 4]);
    expect(Array.from(m.indptr)).toEqual([0, 1, 3]);
    expect(Array.from(m.indices)).toEqual([1, 0, 2]);
    expect(Array.from(m.values)).toEqual([2, 3, 5]);
    const t = transposeCsr(m);
    expect(Array.from(t.indptr)).toEqual([0, 1, 2, 3]);
    expect(Array.from(t.indices)).toEqual([1, 0, 1]);
    expect(Array.from(t.values)).toEqual([3, 2, 5]);
  });
});

describe('topIndices', () => {
  it('returns the n largest, best first, lower index on ties, skipping flagged entries', () => {
    const v = [3, 9, 1, 9, 5, 7];
    expect(Array.from(topIndices(v, 3))).toEqual([1, 3, 5]);
    expect(Array.from(topIndices(v, 3, Uint8Array.from([0, 1, 0, 0, 0, 0])))).toEqual([3, 5, 4]);
    expect(Array.from(topIndices(v, 10)).length).toBe(6);
  });
});

describe('seeded generator', () => {
  it('repeats with the same seed and differs with another', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(xs);
    expect(c()).not.toBe(xs[0]);
    const arr = [1, 2, 3, 4, 5];
    shuffleInPlace(arr, mulberry32(1));
    expect([...arr].sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

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

describe('randomizedSvd', () => {
  it('recovers the singular values of an exactly low-rank matrix', () => {
    const rng = mulberry32(3);
    const rows = 40;
    const cols = 25;
    const rank = 3;
    const a = Array.from({ length: rows * rank }, () => rng() - 0.5);
    const b = Array.from({ length: rank * cols }, () => rng() - 0.5);
    const r: number[] = [];
    const c: number[] = [];
    const v: number[] = [];
    const dense = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let k = 0; k < rank; k++) s += a[i * rank + k] * b[k * cols + j];
        dense[i * cols + j] = s;
        r.push(i);
        c.push(j);
        v.push(s);
      }
    }
    const svd = randomizedSvd(csrFromCoordinates(rows, cols, r, c, v), { rank, seed: 1 });
    // Reference: eigenvalues of XᵀX.
    const gram = new Float64Array(cols * cols);
    for (let p = 0; p < cols; p++) for (let q = 0; q < cols; q++) for (let i = 0; i < rows; i++) gram[p * cols + q] += dense[i * cols + p] * dense[i * cols + q];
    const eig = Array.from(symmetricEigen(gram, cols).values).sort((x, y) => y - x);
    for (let k = 0; k < rank; k++) expect(svd.singularValues[k]).toBeCloseTo(Math.sqrt(eig[k]), 3);
    // Right singular vectors are orthonormal.
    for (let p = 0; p < rank; p++) {
      for (let q = 0; q < rank; q++) {
        let d = 0;
        for (let j = 0; j < cols; j++) d += svd.v[j * rank + p] * svd.v[j * rank + q];
        expect(d).toBeCloseTo(p === q ? 1 : 0, 6);
      }
    }
    // Same seed, same result.
    const again = randomizedSvd(csrFromCoordinates(rows, cols, r, c, v), { rank, seed: 1 });
    expect(Array.from(again.v)).toEqual(Array.from(svd.v));
  });
});
