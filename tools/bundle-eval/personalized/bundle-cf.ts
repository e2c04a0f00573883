/**
 * Two collaborative scores over the training user–bundle graph, used as
 * features of the bundle model:
 *  - random walk (P³, as RP3β with β = 0): probability of reaching bundle b in
 *    three uniform steps u → b' → v → b;
 *  - bundle kNN (item-based CF on bundles): Σ_{b' ∈ train(u)} cosine(b, b'),
 *    cosine over the bundles' training-user vectors.
 */
import { CsrMatrix } from '@recmesh/numerics';

export function randomWalkScores(train: CsrMatrix, trainByBundle: CsrMatrix, u: number, out: Float64Array): Float64Array {
  out.fill(0);
  const nbu = train.indptr[u + 1] - train.indptr[u];
  if (nbu === 0) return out;
  for (let e = train.indptr[u]; e < train.indptr[u + 1]; e++) {
    const b1 = train.indices[e];
    const nub = trainByBundle.indptr[b1 + 1] - trainByBundle.indptr[b1];
    for (let f = trainByBundle.indptr[b1]; f < trainByBundle.indptr[b1 + 1]; f++) {
      const v = trainByBundle.indices[f];
      const nbv = train.indptr[v + 1] - train.indptr[v];
      const w = 1 / (nbu * nub * nbv);
      for (let g = train.indptr[v]; g < train.indptr[v + 1]; g++) out[train.indices[g]] += w;
    }
  }
  return out;
}

/** Bundle–bundle cosine similarities over training users, as a CSR matrix (no self-similarity). */
export class BundleKnn {
  readonly similarities: CsrMatrix;

  constructor(train: CsrMatrix, trainByBundle: CsrMatrix) {
    const nB = trainByBundle.nRows;
    const acc = new Float64Array(nB);
    const touched = new Int32Array(nB);
    const indptr = new Int32Array(nB + 1);
    const cols: number[] = [];
    const vals: number[] = [];
    for (let b = 0; b < nB; b++) {
      let n = 0;
      const nb = trainByBundle.indptr[b + 1] - trainByBundle.indptr[b];
      for (let f = trainByBundle.indptr[b]; f < trainByBundle.indptr[b + 1]; f++) {
        const v = trainByBundle.indices[f];
        for (let g = train.indptr[v]; g < train.indptr[v + 1]; g++) {
          const b2 = train.indices[g];
          if (b2 === b) continue;
          if (acc[b2] === 0) touched[n++] = b2;
          acc[b2]++;
        }
      }
      const row = Array.from(touched.subarray(0, n)).sort((x, y) => x - y);
      for (const b2 of row) {
        const nb2 = trainByBundle.indptr[b2 + 1] - trainByBundle.indptr[b2];
        cols.push(b2);
        vals.push(acc[b2] / Math.sqrt(nb * nb2));
        acc[b2] = 0;
      }
      indptr[b + 1] = cols.length;
    }
    this.similarities = { nRows: nB, nCols: nB, indptr, indices: Int32Array.from(cols), values: Float32Array.from(vals) };
  }

  scores(train: CsrMatrix, u: number, out: Float64Array): Float64Array {
    out.fill(0);
    const s = this.similarities;
    for (let e = train.indptr[u]; e < train.indptr[u + 1]; e++) {
      const b = train.indices[e];
      for (let f = s.indptr[b]; f < s.indptr[b + 1]; f++) out[s.indices[f]] += s.values[f];
    }
    return out;
  }
}
