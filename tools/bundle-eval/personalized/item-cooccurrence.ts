/**
 * Item–item co-occurrence affinity as a shrunk positive PMI ("lift") over sets
 * of items (contexts): bundle item lists, or users' item sets. For items i, j:
 *   lift(i,j) = c(i,j) · N / (c(i) · c(j)),
 *   ppmi(i,j) = max(0, ln lift) · c(i,j) / (c(i,j) + shrink)   if c(i,j) ≥ minCount, else 0
 * with c(·) the number of contexts holding the item(s) and N the number of
 * non-empty contexts. Shrinkage and the minimum count damp pairs seen once or
 * twice, whose lift is mostly noise (a pair seen in a single context gets the
 * largest possible lift). Each item keeps only its `maxNeighbours` strongest
 * partners (computed lazily and cached), as item-kNN models do.
 */
import { CsrMatrix, topIndices } from '@recmesh/numerics';

export interface CooccurrenceOptions {
  readonly shrink: number;
  readonly minCount: number;
  readonly maxNeighbours: number;
}

export const DEFAULT_COOCCURRENCE_OPTIONS: CooccurrenceOptions = { shrink: 1, minCount: 2, maxNeighbours: 100 };

interface Neighbours {
  readonly items: Int32Array;
  readonly values: Float64Array;
}

export class ItemCooccurrenceLift {
  private readonly itemCounts: Float64Array;
  private readonly nContexts: number;
  private readonly pairCounts: Float64Array;
  private readonly pairTouched: Int32Array;
  private readonly affinity: Float64Array;
  private readonly affinityTouched: Int32Array;
  private readonly cache = new Map<number, Neighbours>();

  /**
   * @param itemsByContext contexts × items (binary)
   * @param contextsByItem items × contexts (its transpose)
   */
  constructor(
    private readonly itemsByContext: CsrMatrix,
    private readonly contextsByItem: CsrMatrix,
    readonly options: CooccurrenceOptions = DEFAULT_COOCCURRENCE_OPTIONS,
  ) {
    const nItems = itemsByContext.nCols;
    this.itemCounts = new Float64Array(nItems);
    for (let i = 0; i < nItems; i++) this.itemCounts[i] = contextsByItem.indptr[i + 1] - contextsByItem.indptr[i];
    let n = 0;
    for (let c = 0; c < itemsByContext.nRows; c++) if (itemsByContext.indptr[c + 1] > itemsByContext.indptr[c]) n++;
    this.nContexts = n;
    this.pairCounts = new Float64Array(nItems);
    this.pairTouched = new Int32Array(nItems);
    this.affinity = new Float64Array(nItems);
    this.affinityTouched = new Int32Array(nItems);
  }

  /** Shrunk PPMI from raw counts. */
  ppmi(cij: number, ci: number, cj: number): number {
    if (cij < this.options.minCount || cij <= 0 || ci <= 0 || cj <= 0) return 0;
    const pmi = Math.log((cij * this.nContexts) / (ci * cj));
    return pmi > 0 ? (pmi * cij) / (cij + this.options.shrink) : 0;
  }

  /** The strongest PPMI partners of item i (cached). */
  neighbours(i: number): Neighbours {
    const cached = this.cache.get(i);
    if (cached) return cached;
    const { itemsByContext, contextsByItem, itemCounts } = this;
    let nPairs = 0;
    for (let e = contextsByItem.indptr[i]; e < contextsByItem.indptr[i + 1]; e++) {
      const c = contextsByItem.indices[e];
      for (let f = itemsByContext.indptr[c]; f < itemsByContext.indptr[c + 1]; f++) {
        const j = itemsByContext.indices[f];
        if (j === i) continue;
        if (this.pairCounts[j] === 0) this.pairTouched[nPairs++] = j;
        this.pairCounts[j]++;
      }
    }
    const items: number[] = [];
    const values: number[] = [];
    for (let t = 0; t < nPairs; t++) {
      const j = this.pairTouched[t];
      const v = this.ppmi(this.pairCounts[j], itemCounts[i], itemCounts[j]);
      this.pairCounts[j] = 0;
      if (v > 0) {
        items.push(j);
        values.push(v);
      }
    }
    let result: Neighbours;
    if (items.length > this.options.maxNeighbours) {
      const keep = topIndices(values, this.options.maxNeighbours);
      result = { items: Int32Array.from(keep, (k) => items[k]), values: Float64Array.from(keep, (k) => values[k]) };
    } else {
      result = { items: Int32Array.from(items), values: Float64Array.from(values) };
    }
    this.cache.set(i, result);
    return result;
  }

  /** PPMI of (i, j) as used by the affinity (0 unless j is among i's kept partners). */
  pairAffinity(i: number, j: number): number {
    const n = this.neighbours(i);
    const at = n.items.indexOf(j);
    return at < 0 ? 0 : n.values[at];
  }

  /**
   * For a profile of items P, calls `visit(j, a_j)` for every item j with
   * a_j = (1/|P|) Σ_{i∈P} ppmi_kept(i, j) > 0.
   */
  profileAffinity(profile: ArrayLike<number>, visit: (item: number, affinity: number) => void): void {
    if (profile.length === 0) return;
    let nAff = 0;
    const scale = 1 / profile.length;
    for (let p = 0; p < profile.length; p++) {
      const { items, values } = this.neighbours(profile[p]);
      for (let t = 0; t < items.length; t++) {
        const j = items[t];
        if (this.affinity[j] === 0) this.affinityTouched[nAff++] = j;
        this.affinity[j] += values[t] * scale;
      }
    }
    for (let t = 0; t < nAff; t++) {
      const j = this.affinityTouched[t];
      visit(j, this.affinity[j]);
      this.affinity[j] = 0;
    }
  }
}
