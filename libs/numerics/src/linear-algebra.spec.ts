import { choleskySolve, orthonormalizeColumns, solveSymmetric, symmetricEigen } from './linear-algebra';

describe('choleskySolve', () => {
  it('solves a positive semi-definite system with a small ridge', () => {
    // Rank 1: [1 1; 1 1] x = [2; 2] has the minimum-norm-like answer (1, 1) once a tiny ridge is added.
    const x = choleskySolve(Float64Array.from([1, 1, 1, 1]), Float64Array.from([2, 2]), 2) as Float64Array;
    expect(x[0]).toBeCloseTo(1, 4);
    expect(x[1]).toBeCloseTo(1, 4);
  });

  it('gives up on a matrix no ridge makes positive definite, and solveSymmetric throws then', () => {
    const a = Float64Array.from([NaN, 0, 0, 1]);
    expect(choleskySolve(a, Float64Array.from([1, 1]), 2)).toBeUndefined();
    expect(() => solveSymmetric(a, Float64Array.from([1, 1]), 2)).toThrow(/not positive definite/);
  });
});

describe('symmetricEigen', () => {
  it('decomposes a symmetric matrix: A v = λ v for every pair', () => {
    const a = Float64Array.from([4, 1, 0, 1, 3, 1, 0, 1, 2]);
    const { values, vectors } = symmetricEigen(a, 3);
    for (let e = 0; e < 3; e++) {
      for (let i = 0; i < 3; i++) {
        let av = 0;
        for (let j = 0; j < 3; j++) av += a[i * 3 + j] * vectors[j * 3 + e];
        expect(av).toBeCloseTo(values[e] * vectors[i * 3 + e], 10);
      }
    }
    expect(values.reduce((s, v) => s + v, 0)).toBeCloseTo(9, 10);
  });
});

describe('orthonormalizeColumns', () => {
  it('makes the columns orthonormal and zeroes a dependent one', () => {
    // 3 × 3, row-major; the third column is the sum of the first two.
    const m = Float64Array.from([1, 2, 3, 0, 1, 1, 1, 0, 1]);
    orthonormalizeColumns(m, 3, 3);
    const col = (k: number) => [m[k], m[3 + k], m[6 + k]];
    const dotCols = (a: number, b: number) => col(a).reduce((s, v, i) => s + v * col(b)[i], 0);
    expect(dotCols(0, 0)).toBeCloseTo(1, 12);
    expect(dotCols(1, 1)).toBeCloseTo(1, 12);
    expect(dotCols(0, 1)).toBeCloseTo(0, 12);
    expect(col(2)).toEqual([0, 0, 0]);
  });
});
