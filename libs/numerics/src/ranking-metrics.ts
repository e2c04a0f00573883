/**
 * Full-ranking metrics, as in the BGCN / CrossCBR evaluation (recmesh
 * EVAL-PROTOCOL "Personalized bundle recommendation"; the bundle-completion
 * task uses them with one target per query):
 *  - every candidate is scored; the query's masked candidates (a user's
 *    training bundles, a completion query's anchors) are left out;
 *  - Recall@K = (#targets in the top K) / #targets;
 *  - NDCG@K = DCG / IDCG with binary gains, DCG = Σ_hits 1/log2(rank+1),
 *    IDCG = Σ_{r=1..min(#targets, K)} 1/log2(r+1);
 *  - averaged over the queries (users) with at least one target.
 * Ties are broken against the model (as the protocol's sequential task does):
 * an unmasked non-target candidate whose score equals a target's score is
 * ranked above it. A masked target (train ∩ test, empty on Youshu) can never be
 * hit but still counts in the denominator, as CrossCBR's `-1e8` mask does.
 */

export const DEFAULT_KS: readonly number[] = [10, 20, 40];

/**
 * 1-based rank of each target among the unmasked bundles (Infinity if masked).
 * `maskFlags` is a scratch array of length nBundles, all zero on entry and on
 * exit; `targetFlags` likewise.
 */
export function targetRanks(
  scores: ArrayLike<number>,
  targets: ArrayLike<number>,
  masked: ArrayLike<number>,
  maskFlags: Uint8Array,
  targetFlags: Uint8Array,
): number[] {
  const n = scores.length;
  for (let i = 0; i < masked.length; i++) maskFlags[masked[i]] = 1;
  for (let i = 0; i < targets.length; i++) targetFlags[targets[i]] = 1;
  const ranks: number[] = new Array(targets.length).fill(Infinity);
  let minTargetScore = Infinity;
  for (let t = 0; t < targets.length; t++) {
    const b = targets[t];
    if (maskFlags[b]) continue;
    const s = scores[b];
    if (Number.isNaN(s)) throw new Error(`NaN score for bundle ${b}`);
    if (s < minTargetScore) minTargetScore = s;
  }
  if (minTargetScore !== Infinity) {
    // Non-target unmasked bundles that could outrank some target.
    const competitors: number[] = [];
    for (let b = 0; b < n; b++) {
      if (maskFlags[b] || targetFlags[b]) continue;
      const s = scores[b];
      if (s >= minTargetScore || Number.isNaN(s)) competitors.push(Number.isNaN(s) ? Infinity : s);
    }
    for (let t = 0; t < targets.length; t++) {
      const b = targets[t];
      if (maskFlags[b]) continue;
      const s = scores[b];
      let above = 0;
      for (const c of competitors) if (c >= s) above++;
      // Other unmasked targets strictly above, or tied and listed earlier.
      for (let o = 0; o < targets.length; o++) {
        if (o === t) continue;
        const ob = targets[o];
        if (maskFlags[ob] || ob === b) continue;
        const os = scores[ob];
        if (os > s || (os === s && o < t)) above++;
      }
      ranks[t] = above + 1;
    }
  }
  for (let i = 0; i < masked.length; i++) maskFlags[masked[i]] = 0;
  for (let i = 0; i < targets.length; i++) targetFlags[targets[i]] = 0;
  return ranks;
}

/** Recall@K and NDCG@K of one user from the ranks of its targets. */
export function recallNdcgAtK(ranks: readonly number[], k: number): { recall: number; ndcg: number } {
  const nTargets = ranks.length;
  if (nTargets === 0) throw new Error('recallNdcgAtK: user without targets');
  let hits = 0;
  let dcg = 0;
  for (const r of ranks) {
    if (r <= k) {
      hits++;
      dcg += 1 / Math.log2(r + 1);
    }
  }
  let idcg = 0;
  const ideal = Math.min(nTargets, k);
  for (let r = 1; r <= ideal; r++) idcg += 1 / Math.log2(r + 1);
  return { recall: hits / nTargets, ndcg: dcg / idcg };
}

/** Averages recall@K / ndcg@K over users. */
export class RankingMetricsAccumulator {
  private readonly recallSums: Float64Array;
  private readonly ndcgSums: Float64Array;
  private nUsers = 0;
  private readonly maskFlags: Uint8Array;
  private readonly targetFlags: Uint8Array;

  constructor(
    nBundles: number,
    readonly ks: readonly number[] = DEFAULT_KS,
  ) {
    this.recallSums = new Float64Array(ks.length);
    this.ndcgSums = new Float64Array(ks.length);
    this.maskFlags = new Uint8Array(nBundles);
    this.targetFlags = new Uint8Array(nBundles);
  }

  /** Adds one user; users without targets are skipped (returns false). */
  addUser(scores: ArrayLike<number>, targets: ArrayLike<number>, masked: ArrayLike<number>): boolean {
    if (targets.length === 0) return false;
    const ranks = targetRanks(scores, targets, masked, this.maskFlags, this.targetFlags);
    this.addRanks(ranks);
    return true;
  }

  addRanks(ranks: readonly number[]): void {
    this.ks.forEach((k, i) => {
      const m = recallNdcgAtK(ranks, k);
      this.recallSums[i] += m.recall;
      this.ndcgSums[i] += m.ndcg;
    });
    this.nUsers++;
  }

  get usersEvaluated(): number {
    return this.nUsers;
  }

  result(): Record<string, number> {
    const out: Record<string, number> = {};
    this.ks.forEach((k, i) => {
      out[`recall@${k}`] = this.nUsers ? this.recallSums[i] / this.nUsers : 0;
      out[`ndcg@${k}`] = this.nUsers ? this.ndcgSums[i] / this.nUsers : 0;
    });
    return out;
  }
}
