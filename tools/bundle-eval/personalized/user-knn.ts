/**
 * User-based kNN for bundles: cosine similarity between users' training
 * user–bundle vectors, optionally concatenated with their user–item vectors
 * scaled by `itemWeight` (so item overlaps count itemWeight² each):
 *   sim(u,v) = (|B_u ∩ B_v| + w²|I_u ∩ I_v|) / (sqrt(|B_u| + w²|I_u|) · sqrt(|B_v| + w²|I_v|))
 *   score(u,b) = Σ_{v in top-k neighbours of u} sim(u,v) · [b ∈ B_v]
 * Neighbours are drawn from the users with at least one training bundle (a user
 * without one adds nothing to any score, so it would only waste a slot);
 * ties in similarity are broken by the lower user index.
 */
import { CsrMatrix } from '@recmesh/numerics';

export interface UserKnnInputs {
  /** users × bundles, training split (binary). */
  readonly train: CsrMatrix;
  /** bundles × users of `train`. */
  readonly trainByBundle: CsrMatrix;
  /** users × items (binary); needed when itemWeight > 0. */
  readonly userItems?: CsrMatrix;
  /** items × users. */
  readonly itemUsers?: CsrMatrix;
}

export class UserKnn {
  private readonly norms: Float64Array;
  private readonly acc: Float64Array;
  private readonly touched: Int32Array;
  private readonly eligible: Uint8Array;
  private readonly w2: number;

  constructor(
    private readonly inputs: UserKnnInputs,
    readonly itemWeight: number,
  ) {
    const nUsers = inputs.train.nRows;
    if (itemWeight > 0 && (!inputs.userItems || !inputs.itemUsers)) {
      throw new Error('UserKnn: itemWeight > 0 needs userItems and itemUsers');
    }
    this.w2 = itemWeight * itemWeight;
    this.norms = new Float64Array(nUsers);
    this.eligible = new Uint8Array(nUsers);
    for (let u = 0; u < nUsers; u++) {
      const nb = inputs.train.indptr[u + 1] - inputs.train.indptr[u];
      const ni = this.w2 > 0 && inputs.userItems ? inputs.userItems.indptr[u + 1] - inputs.userItems.indptr[u] : 0;
      this.norms[u] = Math.sqrt(nb + this.w2 * ni);
      this.eligible[u] = nb > 0 ? 1 : 0;
    }
    this.acc = new Float64Array(nUsers);
    this.touched = new Int32Array(nUsers);
  }

  /**
   * Neighbours of `u` with positive similarity, most similar first.
   * Returns parallel arrays (user indices, similarities).
   */
  neighbours(u: number): { users: Int32Array; sims: Float64Array } {
    const { train, trainByBundle, userItems, itemUsers } = this.inputs;
    const acc = this.acc;
    let nTouched = 0;
    const touch = (v: number, w: number) => {
      if (acc[v] === 0) this.touched[nTouched++] = v;
      acc[v] += w;
    };
    for (let e = train.indptr[u]; e < train.indptr[u + 1]; e++) {
      const b = train.indices[e];
      for (let f = trainByBundle.indptr[b]; f < trainByBundle.indptr[b + 1]; f++) touch(trainByBundle.indices[f], 1);
    }
    if (this.w2 > 0 && userItems && itemUsers) {
      for (let e = userItems.indptr[u]; e < userItems.indptr[u + 1]; e++) {
        const i = userItems.indices[e];
        for (let f = itemUsers.indptr[i]; f < itemUsers.indptr[i + 1]; f++) {
          const v = itemUsers.indices[f];
          if (this.eligible[v]) touch(v, this.w2);
        }
      }
    }
    const candidates: number[] = [];
    const nu = this.norms[u];
    for (let t = 0; t < nTouched; t++) {
      const v = this.touched[t];
      if (v === u || !this.eligible[v] || nu === 0) {
        acc[v] = 0;
        continue;
      }
      acc[v] = acc[v] / (nu * this.norms[v]); // dot → cosine, in place
      if (acc[v] > 0) candidates.push(v);
      else acc[v] = 0;
    }
    candidates.sort((a, b) => acc[b] - acc[a] || a - b);
    const users = Int32Array.from(candidates);
    const sims = Float64Array.from(candidates, (v) => acc[v]);
    for (const v of candidates) acc[v] = 0;
    return { users, sims };
  }

  /** Adds the scores of neighbours [from, to) into `scores` (length nBundles). */
  accumulate(scores: Float64Array, users: Int32Array, sims: Float64Array, from: number, to: number): void {
    const { train } = this.inputs;
    const end = Math.min(to, users.length);
    for (let n = from; n < end; n++) {
      const v = users[n];
      const s = sims[n];
      for (let e = train.indptr[v]; e < train.indptr[v + 1]; e++) scores[train.indices[e]] += s;
    }
  }

  /** score(u, ·) with the top-k neighbours (k = Infinity: all), written into `scores`. */
  scores(u: number, k: number, scores: Float64Array): Float64Array {
    scores.fill(0);
    const { users, sims } = this.neighbours(u);
    this.accumulate(scores, users, sims, 0, Math.min(k, users.length));
    return scores;
  }
}
