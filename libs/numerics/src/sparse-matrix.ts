/** Minimal compressed-sparse-row matrices over typed arrays. */

export interface CsrMatrix {
  readonly nRows: number;
  readonly nCols: number;
  /** Row r holds entries indptr[r] .. indptr[r + 1] - 1. */
  readonly indptr: Int32Array;
  /** Column of each entry, ascending within a row. */
  readonly indices: Int32Array;
  /** Value of each entry (all 1 for binary matrices); csrFromCoordinates stores float32. */
  readonly values: Float32Array | Float64Array;
}

/**
 * Builds a CSR matrix from coordinate triples. Duplicate (row, col) pairs are
 * merged by summing their values (or kept as 1 when `binary`).
 */
export function csrFromCoordinates(
  nRows: number,
  nCols: number,
  rows: ArrayLike<number>,
  cols: ArrayLike<number>,
  values?: ArrayLike<number>,
  binary = false,
): CsrMatrix {
  const n = rows.length;
  if (cols.length !== n || (values && values.length !== n)) {
    throw new Error('csrFromCoordinates: rows, cols and values must have the same length');
  }
  const counts = new Int32Array(nRows + 1);
  for (let e = 0; e < n; e++) {
    const r = rows[e];
    const c = cols[e];
    if (r < 0 || r >= nRows || c < 0 || c >= nCols) {
      throw new Error(`csrFromCoordinates: entry (${r}, ${c}) outside ${nRows}x${nCols}`);
    }
    counts[r + 1]++;
  }
  for (let r = 0; r < nRows; r++) counts[r + 1] += counts[r];
  const cursor = counts.slice(0, nRows);
  const tmpCols = new Int32Array(n);
  const tmpVals = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    const at = cursor[rows[e]]++;
    tmpCols[at] = cols[e];
    tmpVals[at] = values ? values[e] : 1;
  }
  // Sort each row by column and merge duplicates.
  const indptr = new Int32Array(nRows + 1);
  const indices = new Int32Array(n);
  const outVals = new Float32Array(n);
  let nnz = 0;
  const order: number[] = [];
  for (let r = 0; r < nRows; r++) {
    const start = counts[r];
    const end = counts[r + 1];
    order.length = 0;
    for (let e = start; e < end; e++) order.push(e);
    order.sort((a, b) => tmpCols[a] - tmpCols[b] || a - b);
    let lastCol = -1;
    for (const e of order) {
      const c = tmpCols[e];
      if (c === lastCol) {
        if (!binary) outVals[nnz - 1] += tmpVals[e];
        continue;
      }
      indices[nnz] = c;
      outVals[nnz] = binary ? 1 : tmpVals[e];
      nnz++;
      lastCol = c;
    }
    indptr[r + 1] = nnz;
  }
  return { nRows, nCols, indptr, indices: indices.slice(0, nnz), values: outVals.slice(0, nnz) };
}

/** Transpose (columns become rows); keeps values (and their precision). */
export function transposeCsr(m: CsrMatrix): CsrMatrix {
  const counts = new Int32Array(m.nCols + 1);
  for (let e = 0; e < m.indices.length; e++) counts[m.indices[e] + 1]++;
  for (let c = 0; c < m.nCols; c++) counts[c + 1] += counts[c];
  const cursor = counts.slice(0, m.nCols);
  const indices = new Int32Array(m.indices.length);
  const values = m.values instanceof Float64Array ? new Float64Array(m.indices.length) : new Float32Array(m.indices.length);
  for (let r = 0; r < m.nRows; r++) {
    for (let e = m.indptr[r]; e < m.indptr[r + 1]; e++) {
      const at = cursor[m.indices[e]]++;
      indices[at] = r;
      values[at] = m.values[e];
    }
  }
  return { nRows: m.nCols, nCols: m.nRows, indptr: counts, indices, values };
}

/** Number of stored entries of each row. */
export function rowLengths(m: CsrMatrix): Int32Array {
  const out = new Int32Array(m.nRows);
  for (let r = 0; r < m.nRows; r++) out[r] = m.indptr[r + 1] - m.indptr[r];
  return out;
}

/** The column indices of one row (a view, not a copy). */
export function rowIndices(m: CsrMatrix, row: number): Int32Array {
  return m.indices.subarray(m.indptr[row], m.indptr[row + 1]);
}
