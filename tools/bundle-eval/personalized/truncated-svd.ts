/**
 * Seeded randomized truncated SVD (Halko, Martinsson & Tropp 2011) of a CSR
 * matrix, in plain TypeScript: Gaussian range finder, power iterations with
 * re-orthonormalisation, then an exact eigen-decomposition (cyclic Jacobi) of
 * the small Gram matrix. Returns the top `rank` singular values and right
 * singular vectors; left factors are recovered by folding rows in (x·V).
 */
import { gaussianSource, mulberry32 } from './prng';
import { CsrMatrix } from './sparse-matrix';

export interface TruncatedSvd {
  readonly rank: number;
  readonly nCols: number;
  /** Descending singular values. */
  readonly singularValues: Float64Array;
  /** Right singular vectors, nCols × rank, row-major (row c = embedding of column c). */
  readonly v: Float64Array;
}

export interface RandomizedSvdOptions {
  readonly rank: number;
  readonly seed: number;
  readonly oversample?: number;
  readonly powerIterations?: number;
}

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

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Orthonormalizes the columns of a dense matrix in place: modified Gram–Schmidt
 * on contiguous column copies, applied twice for numerical safety; columns that
 * vanish (rank deficiency) are set to zero.
 */
function orthonormalize(m: Dense): void {
  const { n, l, data } = m;
  const cols: Float64Array[] = [];
  for (let k = 0; k < l; k++) {
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[i] = data[i * l + k];
    cols.push(col);
  }
  for (let pass = 0; pass < 2; pass++) {
    for (let k = 0; k < l; k++) {
      const ck = cols[k];
      for (let j = 0; j < k; j++) {
        const cj = cols[j];
        const proj = dot(ck, cj);
        if (proj !== 0) for (let i = 0; i < n; i++) ck[i] -= proj * cj[i];
      }
      const norm = Math.sqrt(dot(ck, ck));
      if (norm > 1e-10) for (let i = 0; i < n; i++) ck[i] /= norm;
      else ck.fill(0);
    }
  }
  for (let k = 0; k < l; k++) {
    const col = cols[k];
    for (let i = 0; i < n; i++) data[i * l + k] = col[i];
  }
}

/** Eigen-decomposition of a symmetric n×n matrix (row-major) by cyclic Jacobi. */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: v }; // column i of `vectors` belongs to values[i]
}

export function randomizedSvd(x: CsrMatrix, options: RandomizedSvdOptions): TruncatedSvd {
  const rank = Math.min(options.rank, x.nRows, x.nCols);
  const l = Math.min(rank + (options.oversample ?? 10), x.nRows, x.nCols);
  const gauss = gaussianSource(mulberry32(options.seed));
  const omega: Dense = { n: x.nCols, l, data: new Float64Array(x.nCols * l) };
  for (let i = 0; i < omega.data.length; i++) omega.data[i] = gauss();
  let q = multiply(x, omega, false);
  orthonormalize(q);
  for (let it = 0; it < (options.powerIterations ?? 3); it++) {
    const z = multiply(x, q, true);
    orthonormalize(z);
    q = multiply(x, z, false);
    orthonormalize(q);
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
  const order = Array.from({ length: l }, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  const singularValues = new Float64Array(rank);
  const v = new Float64Array(x.nCols * rank);
  // v_r = Bᵀ w_r / σ_r
  const coef = new Float64Array(l * rank);
  for (let r = 0; r < rank; r++) {
    const e = order[r];
    const sigma = Math.sqrt(Math.max(values[e], 0));
    singularValues[r] = sigma;
    if (sigma < 1e-12) continue;
    for (let i = 0; i < l; i++) coef[i * rank + r] = vectors[i * l + e] / sigma;
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
  // Fix the sign of each vector deterministically (largest |entry| positive).
  for (let r = 0; r < rank; r++) {
    let best = 0;
    for (let c = 0; c < x.nCols; c++) if (Math.abs(v[c * rank + r]) > Math.abs(best)) best = v[c * rank + r];
    if (best < 0) for (let c = 0; c < x.nCols; c++) v[c * rank + r] = -v[c * rank + r];
  }
  return { rank, nCols: x.nCols, singularValues, v };
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
