/**
 * Seeded randomized truncated SVD (Halko, Martinsson & Tropp 2011) of a CSR matrix, in plain
 * TypeScript: Gaussian range finder, power iterations with re-orthonormalisation, then an exact
 * eigen-decomposition (cyclic Jacobi) of the small Gram matrix. randomizedSvd returns the top
 * `rank` singular values and right singular vectors (left factors are recovered by folding rows
 * in, x·V); randomizedLeftSvd returns the left singular vectors instead.
 */
import { orthonormalizeColumns, symmetricEigen } from './linear-algebra';
import { gaussianSource, mulberry32 } from './random';
import { CsrMatrix } from './sparse-matrix';

export interface TruncatedSvd {
  readonly rank: number;
  readonly nCols: number;
  /** Descending singular values. */
  readonly singularValues: Float64Array;
  /** Right singular vectors, nCols × rank, row-major (row c = embedding of column c). */
  readonly v: Float64Array;
}

export interface LeftTruncatedSvd {
  readonly rank: number;
  readonly nRows: number;
  /** Descending singular values. */
  readonly singularValues: Float64Array;
  /** Left singular vectors, nRows × rank, row-major (row r = embedding of row r). */
  readonly u: Float64Array;
}

/**
 * The random test matrix is drawn either from `seed` (gaussianSource(mulberry32(seed))) or from
 * the caller's standard normal generator `gaussian`, row by row.
 */
export type RandomizedSvdOptions = {
  readonly rank: number;
  /** Extra columns of the range finder (default 10). */
  readonly oversample?: number;
  /** Each power iteration multiplies by Xᵀ and X once more (default 3). */
  readonly powerIterations?: number;
} & ({ readonly seed: number } | { readonly gaussian: () => number });

/** Dense row-major n × l matrix. */
interface Dense {
  readonly n: number;
  readonly l: number;
  readonly data: Float64Array;
}

/** X·M (transpose = false, M is nCols × l) or Xᵀ·M (transpose = true, M is nRows × l). */
function multiply(x: CsrMatrix, m: Dense, transpose: boolean): Dense {
  const l = m.l;
  const n = transpose ? x.nCols : x.nRows;
  const out = new Float64Array(n * l);
  const md = m.data;
  for (let r = 0; r < x.nRows; r++) {
    for (let e = x.indptr[r]; e < x.indptr[r + 1]; e++) {
      const c = x.indices[e];
      const v = x.values[e];
      if (transpose) {
        const ob = c * l;
        const mb = r * l;
        for (let k = 0; k < l; k++) out[ob + k] += v * md[mb + k];
      } else {
        const ob = r * l;
        const mb = c * l;
        for (let k = 0; k < l; k++) out[ob + k] += v * md[mb + k];
      }
    }
  }
  return { n, l, data: out };
}

/** What both factorisations share: Q (orthonormal range basis, nRows × l), Bᵀ = XᵀQ and the eigen-decomposition of B Bᵀ. */
interface Sketch {
  readonly rank: number;
  readonly l: number;
  readonly q: Float64Array;
  readonly bt: Float64Array;
  /** Eigenvectors of B Bᵀ (column e belongs to values[e]). */
  readonly vectors: Float64Array;
  /** Eigen-indices by descending eigenvalue, the first `rank` of them. */
  readonly order: number[];
  readonly singularValues: Float64Array;
}

function sketch(x: CsrMatrix, options: RandomizedSvdOptions): Sketch {
  const rank = Math.min(options.rank, x.nRows, x.nCols);
  const l = Math.min(rank + (options.oversample ?? 10), x.nRows, x.nCols);
  const gauss = 'gaussian' in options ? options.gaussian : gaussianSource(mulberry32(options.seed));
  const omega: Dense = { n: x.nCols, l, data: new Float64Array(x.nCols * l) };
  for (let i = 0; i < omega.data.length; i++) omega.data[i] = gauss();
  let q = multiply(x, omega, false);
  orthonormalizeColumns(q.data, q.n, l);
  for (let it = 0; it < (options.powerIterations ?? 3); it++) {
    const z = multiply(x, q, true);
    orthonormalizeColumns(z.data, z.n, l);
    q = multiply(x, z, false);
    orthonormalizeColumns(q.data, q.n, l);
  }
  // B = Qᵀ X (l × nCols); Bᵀ = Xᵀ Q (nCols × l, row-major).
  const bt = multiply(x, q, true).data;
  const gram = new Float64Array(l * l);
  for (let c = 0; c < x.nCols; c++) {
    const base = c * l;
    for (let i = 0; i < l; i++) {
      const bi = bt[base + i];
      if (bi === 0) continue;
      for (let j = i; j < l; j++) gram[i * l + j] += bi * bt[base + j];
    }
  }
  for (let i = 0; i < l; i++) for (let j = 0; j < i; j++) gram[i * l + j] = gram[j * l + i];
  const { values, vectors } = symmetricEigen(gram, l);
  const order = Array.from({ length: l }, (_, i) => i)
    .sort((a, b) => values[b] - values[a] || a - b)
    .slice(0, rank);
  const singularValues = Float64Array.from(order, (e) => Math.sqrt(Math.max(values[e], 0)));
  return { rank, l, q: q.data, bt, vectors, order, singularValues };
}

/** Flips the sign of each of the `rank` columns of a row-major matrix so that its largest |entry| is positive (a deterministic sign). */
function fixSigns(m: Float64Array, rows: number, rank: number): void {
  for (let r = 0; r < rank; r++) {
    let best = 0;
    for (let c = 0; c < rows; c++) if (Math.abs(m[c * rank + r]) > Math.abs(best)) best = m[c * rank + r];
    if (best < 0) for (let c = 0; c < rows; c++) m[c * rank + r] = -m[c * rank + r];
  }
}

export function randomizedSvd(x: CsrMatrix, options: RandomizedSvdOptions): TruncatedSvd {
  const { rank, l, bt, vectors, order, singularValues } = sketch(x, options);
  const v = new Float64Array(x.nCols * rank);
  // v_r = Bᵀ w_r / σ_r
  const coef = new Float64Array(l * rank);
  for (let r = 0; r < rank; r++) {
    const sigma = singularValues[r];
    if (sigma < 1e-12) continue;
    for (let i = 0; i < l; i++) coef[i * rank + r] = vectors[i * l + order[r]] / sigma;
  }
  for (let c = 0; c < x.nCols; c++) {
    const base = c * l;
    const out = c * rank;
    for (let i = 0; i < l; i++) {
      const bi = bt[base + i];
      if (bi === 0) continue;
      for (let r = 0; r < rank; r++) v[out + r] += bi * coef[i * rank + r];
    }
  }
  fixSigns(v, x.nCols, rank);
  return { rank, nCols: x.nCols, singularValues, v };
}

/** Left singular vectors U = Q·W (W: eigenvectors of B Bᵀ), e.g. item embeddings U·sqrt(Σ) of a symmetric PPMI matrix. */
export function randomizedLeftSvd(x: CsrMatrix, options: RandomizedSvdOptions): LeftTruncatedSvd {
  const { rank, l, q, vectors, order, singularValues } = sketch(x, options);
  const u = new Float64Array(x.nRows * rank);
  for (let i = 0; i < x.nRows; i++) {
    for (let r = 0; r < rank; r++) {
      const e = order[r];
      let s = 0;
      for (let a = 0; a < l; a++) s += q[i * l + a] * vectors[a * l + e];
      u[i * rank + r] = s;
    }
  }
  fixSigns(u, x.nRows, rank);
  return { rank, nRows: x.nRows, singularValues, u };
}

/** Projects a sparse row (columns, values) onto the right singular vectors: x·V. */
export function foldIn(svd: TruncatedSvd, cols: ArrayLike<number>, vals: ArrayLike<number>, out: Float64Array = new Float64Array(svd.rank)): Float64Array {
  out.fill(0);
  for (let e = 0; e < cols.length; e++) {
    const base = cols[e] * svd.rank;
    const w = vals[e];
    for (let r = 0; r < svd.rank; r++) out[r] += w * svd.v[base + r];
  }
  return out;
}
