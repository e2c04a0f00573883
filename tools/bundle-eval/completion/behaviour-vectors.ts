// Behaviour vectors for the completion eval: PPMI of basket co-occurrence + seeded randomized SVD.
import { CoPurchaseGraph } from '@recmesh/bundling';
import { CsrMatrix, randomizedLeftSvd, SeededRng, standardNormal } from '@recmesh/numerics';

/**
 * Behaviour-vector width, chosen on the validation split of the training bundles (--validate, split seed 42, fit
 * seed 1). Youshu (user_item PPMI): recall@10 0.127 at 64, 0.147 at 128, 0.170 at 256. Amazon (training-bundle PPMI,
 * cross-fitted): the fitted weight is ~0 at 16, 64 and 128 and recall@10 does not move, so the cheap width stays.
 */
export const DEFAULT_BEHAVIOUR_DIM: Record<string, number> = { bundle_youshu: 256 };

/**
 * Item vectors from baskets (orders, or a user's items): the positive PMI of item co-occurrence,
 * factorised by seeded randomized SVD (Halko et al. 2011; 2 power iterations) into U·sqrt(Σ), as in
 * Levy & Goldberg's SVD of PPMI. At serving time the behaviour vectors are the sequential model's
 * item vectors instead; these catalogues have no trained sequential model, so this stands in for it.
 */
export function basketEmbeddings(baskets: readonly (readonly string[])[], dim: number, seed: number): Map<string, Float32Array> {
  const graph = new CoPurchaseGraph(baskets);
  const ids = graph.itemIds();
  const n = ids.length;
  const out = new Map<string, Float32Array>();
  if (n === 0 || graph.totalCoPurchaseDegree === 0) return out;
  const total = graph.totalCoPurchaseDegree;
  const degree = Float64Array.from(ids, (id) => graph.coPurchaseDegree(id));
  // CSR of PPMI (symmetric; the graph lists each item's partners in ascending index order).
  const rowStart = new Int32Array(n + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  const idx = new Map(ids.map((id, i) => [id, i]));
  for (let i = 0; i < n; i++) {
    graph.forEachPartner(ids[i], (p, c) => {
      const pmi = Math.log((c * total) / (degree[i] * degree[idx.get(p) as number]));
      if (pmi > 0) {
        cols.push(idx.get(p) as number);
        vals.push(pmi);
      }
    });
    rowStart[i + 1] = cols.length;
  }
  const ppmi: CsrMatrix = { nRows: n, nCols: n, indptr: rowStart, indices: Int32Array.from(cols), values: Float64Array.from(vals) };
  // M is symmetric, so one power iteration (Mᵀ then M) gives the range of M³Ω: M·Ω and two more products.
  const rng = new SeededRng(seed);
  const { rank, singularValues, u } = randomizedLeftSvd(ppmi, { rank: dim, oversample: 10, powerIterations: 1, gaussian: () => standardNormal(rng.next) });
  // Embedding = U_k · sqrt(σ_k).
  for (let i = 0; i < n; i++) {
    const v = new Float32Array(rank);
    let nonzero = false;
    for (let c = 0; c < rank; c++) {
      v[c] = u[i * rank + c] * Math.sqrt(singularValues[c]);
      if (v[c] !== 0) nonzero = true;
    }
    if (nonzero) out.set(ids[i], v);
  }
  return out;
}
