/** Small dense linear algebra on row-major Float64Arrays: Cholesky solves, a symmetric eigen-decomposition, Gram–Schmidt. */

/**
 * Solves A x = b for symmetric positive (semi-)definite n × n A by Cholesky. When A is not
 * positive definite a growing ridge (1e-10, 1e-8, …, 1e8) is added to its diagonal; undefined when
 * even the largest ridge fails (a NaN in A, or A far from positive semi-definite). Reads only the
 * lower triangle of A.
 */
export function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array | undefined {
  for (let ridge = 0; ; ridge = ridge === 0 ? 1e-10 : ridge * 100) {
    const l = choleskyFactor(a, n, ridge);
    if (l === undefined) {
      if (ridge > 1e6) return undefined;
      continue;
    }
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = b[i];
      for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
      y[i] = s / l[i * n + i];
    }
    const x = new Float64Array(n);
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i];
      for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
      x[i] = s / l[i * n + i];
    }
    return x;
  }
}

/** choleskySolve that throws when A cannot be made positive definite. */
export function solveSymmetric(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const x = choleskySolve(a, b, n);
  if (x === undefined) throw new Error('solveSymmetric: matrix is not positive definite');
  return x;
}

/** Lower-triangular L with L Lᵀ = A + ridge·I, or undefined when a pivot is not positive. */
function choleskyFactor(a: Float64Array, n: number, ridge: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j] + (i === j ? ridge : 0);
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0)) return undefined;
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j];
      }
    }
  }
  return l;
}

/** Eigen-decomposition of a symmetric n×n matrix (row-major) by cyclic Jacobi; column i of `vectors` belongs to values[i] (unsorted). */
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
  return { values, vectors: v };
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Orthonormalizes the columns of a row-major n × l matrix in place: modified Gram–Schmidt on
 * contiguous column copies, applied twice for numerical safety; a column that vanishes (norm
 * at most 1e-10: rank deficiency) is set to zero.
 */
export function orthonormalizeColumns(data: Float64Array, n: number, l: number): void {
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
