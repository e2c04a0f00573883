/**
 * Embedding affinity between users and bundles from one truncated SVD of a
 * joint sparse matrix (computed in TypeScript, seeded):
 *   rows    = users, then bundles (bundles as pseudo-users, so bundles nobody
 *             trained on still get an embedding from their items)
 *   columns = bundles, then items
 *   user row u   : 1 for each training bundle, `userItemWeight` for each item of u
 *   bundle row b : `bundleSelfWeight` on its own column, `bundleItemWeight` for each item
 * Each row block is scaled to unit L2 norm before weighting, so users with many
 * items do not dominate. The affinity is the PureSVD-style reconstruction
 *   score(u, b) = (x_u V) · V[b]   (the user's row projected onto the top-r
 * right singular subspace, read at bundle column b).
 */
import { CsrMatrix, csrFromCoordinates, foldIn, randomizedSvd, TruncatedSvd } from '@recmesh/numerics';
import { PersonalizedBundleData } from './user-bundle-splits';

export interface EmbeddingAffinityParams {
  readonly rank: number;
  readonly userItemWeight: number;
  readonly bundleSelfWeight: number;
  readonly bundleItemWeight: number;
  readonly powerIterations: number;
}

export const DEFAULT_EMBEDDING_PARAMS: EmbeddingAffinityParams = {
  rank: 16,
  userItemWeight: 0.5,
  bundleSelfWeight: 0.5,
  bundleItemWeight: 0.5,
  powerIterations: 3,
};

export class EmbeddingAffinity {
  readonly svd: TruncatedSvd;
  private readonly matrix: CsrMatrix;
  private readonly userVec: Float64Array;

  constructor(
    private readonly data: PersonalizedBundleData,
    readonly params: EmbeddingAffinityParams,
    seed: number,
  ) {
    const { nUsers, nBundles, train, userItems, bundleItems } = data;
    const rows: number[] = [];
    const cols: number[] = [];
    const vals: number[] = [];
    for (let u = 0; u < nUsers; u++) {
      const nb = train.indptr[u + 1] - train.indptr[u];
      const ni = userItems.indptr[u + 1] - userItems.indptr[u];
      for (let e = train.indptr[u]; e < train.indptr[u + 1]; e++) {
        rows.push(u);
        cols.push(train.indices[e]);
        vals.push(1 / Math.sqrt(nb));
      }
      if (params.userItemWeight > 0) {
        for (let e = userItems.indptr[u]; e < userItems.indptr[u + 1]; e++) {
          rows.push(u);
          cols.push(nBundles + userItems.indices[e]);
          vals.push(params.userItemWeight / Math.sqrt(ni));
        }
      }
    }
    for (let b = 0; b < nBundles; b++) {
      const r = nUsers + b;
      if (params.bundleSelfWeight > 0) {
        rows.push(r);
        cols.push(b);
        vals.push(params.bundleSelfWeight);
      }
      const ni = bundleItems.indptr[b + 1] - bundleItems.indptr[b];
      if (params.bundleItemWeight > 0) {
        for (let e = bundleItems.indptr[b]; e < bundleItems.indptr[b + 1]; e++) {
          rows.push(r);
          cols.push(nBundles + bundleItems.indices[e]);
          vals.push(params.bundleItemWeight / Math.sqrt(ni));
        }
      }
    }
    this.matrix = csrFromCoordinates(nUsers + nBundles, nBundles + data.nItems, rows, cols, vals);
    this.svd = randomizedSvd(this.matrix, { rank: params.rank, seed, powerIterations: params.powerIterations });
    this.userVec = new Float64Array(this.svd.rank);
  }

  /** Writes score(u, b) for every bundle into `out`. */
  scores(u: number, out: Float64Array): Float64Array {
    const m = this.matrix;
    const p = foldIn(this.svd, m.indices.subarray(m.indptr[u], m.indptr[u + 1]), m.values.subarray(m.indptr[u], m.indptr[u + 1]), this.userVec);
    const r = this.svd.rank;
    const v = this.svd.v;
    for (let b = 0; b < this.data.nBundles; b++) {
      let s = 0;
      const base = b * r;
      for (let k = 0; k < r; k++) s += p[k] * v[base + k];
      out[b] = s;
    }
    return out;
  }
}
