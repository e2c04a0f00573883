import { symmetricEigen } from './linear-algebra';
import { mulberry32, standardNormal } from './random';
import { foldIn, randomizedLeftSvd, randomizedSvd } from './randomized-svd';
import { csrFromCoordinates } from './sparse-matrix';

/** A dense rows × cols matrix of exact rank `rank`, as coordinates and row-major. */
function lowRank(seed: number, rows: number, cols: number, rank: number) {
  const rng = mulberry32(seed);
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
  return { r, c, v, dense };
}

describe('randomizedSvd', () => {
  it('recovers the singular values of an exactly low-rank matrix', () => {
    const rows = 40;
    const cols = 25;
    const rank = 3;
    const { r, c, v, dense } = lowRank(3, rows, cols, rank);
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

describe('randomizedLeftSvd', () => {
  const rows = 30;
  const cols = 20;
  const rank = 3;
  const { r, c, v, dense } = lowRank(5, rows, cols, rank);
  const x = csrFromCoordinates(rows, cols, r, c, v);

  it('returns orthonormal left singular vectors with X v_k = ±σ_k u_k', () => {
    const right = randomizedSvd(x, { rank, seed: 2 });
    const left = randomizedLeftSvd(x, { rank, seed: 2 });
    expect(Array.from(left.singularValues)).toEqual(Array.from(right.singularValues));
    for (let p = 0; p < rank; p++) {
      for (let q = 0; q < rank; q++) {
        let d = 0;
        for (let i = 0; i < rows; i++) d += left.u[i * rank + p] * left.u[i * rank + q];
        expect(d).toBeCloseTo(p === q ? 1 : 0, 6);
      }
      let projection = 0;
      for (let i = 0; i < rows; i++) {
        let xv = 0;
        for (let j = 0; j < cols; j++) xv += dense[i * cols + j] * right.v[j * rank + p];
        projection += xv * left.u[i * rank + p];
      }
      expect(Math.abs(projection)).toBeCloseTo(left.singularValues[p], 6);
    }
  });

  it('takes the test matrix from a caller-supplied standard normal generator', () => {
    const uniform = mulberry32(9);
    const a = randomizedLeftSvd(x, { rank, gaussian: () => standardNormal(uniform) });
    const again = mulberry32(9);
    const b = randomizedLeftSvd(x, { rank, gaussian: () => standardNormal(again) });
    expect(Array.from(a.u)).toEqual(Array.from(b.u));
    const seeded = randomizedLeftSvd(x, { rank, seed: 2 });
    for (let k = 0; k < rank; k++) expect(a.singularValues[k]).toBeCloseTo(seeded.singularValues[k], 8);
  });
});

describe('foldIn', () => {
  it('projects a row onto the right singular vectors', () => {
    const svd = { rank: 2, nCols: 3, singularValues: Float64Array.from([2, 1]), v: Float64Array.from([1, 0, 0, 1, 0, 0]) };
    expect(Array.from(foldIn(svd, [0, 1, 2], [3, 4, 5]))).toEqual([3, 4]);
  });
});
