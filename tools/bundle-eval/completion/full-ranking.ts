// Full ranking for bundle completion: every catalog item outside the anchor is scored at once
// (dense passes over catalog indices) and the hidden item's rank is read, ties counting against it.
import { BundleModel, CoPurchaseGraph, InMemoryComplementaritySources, ITEM_FEATURE_INDEX, PAIR_FEATURE_INDEX, smoothedLogLift } from '@recmesh/bundling';
import { RankingMetricsAccumulator, SeededRng } from '@recmesh/numerics';
import { Dataset, Query } from './dataset';
import { seconds } from './log';

export const KS = [5, 10, 20] as const;

/** Everything the dense full-ranking pass needs, over catalog indices. */
export class RankingContext {
  readonly n: number;
  readonly rowStart: Int32Array;
  readonly partners: Int32Array;
  readonly counts: Int32Array;
  readonly degree: Float64Array;
  readonly logPopularity: Float64Array;
  readonly frequency: Float64Array;
  readonly total: number;
  readonly categoryOf: Int32Array;
  readonly categories: string[];
  private readonly categoryRows = new Map<number, Float64Array>();

  constructor(
    readonly ds: Dataset,
    readonly graph: CoPurchaseGraph,
  ) {
    const n = ds.ids.length;
    this.n = n;
    const rowStart = new Int32Array(n + 1);
    const partners: number[] = [];
    const counts: number[] = [];
    this.degree = new Float64Array(n);
    this.frequency = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const id = ds.ids[i];
      graph.forEachPartner(id, (p, c) => {
        partners.push(ds.index.get(p) as number);
        counts.push(c);
      });
      rowStart[i + 1] = partners.length;
      this.degree[i] = graph.coPurchaseDegree(id);
      this.frequency[i] = graph.itemFrequency(id);
    }
    this.rowStart = rowStart;
    this.partners = Int32Array.from(partners);
    this.counts = Int32Array.from(counts);
    this.logPopularity = this.degree.map((d) => Math.log1p(d));
    this.total = graph.totalCoPurchaseDegree;
    const categoryIndex = new Map<string, number>();
    this.categories = [];
    this.categoryOf = Int32Array.from(ds.ids, (id) => {
      const c = graph.leafCategory(id);
      if (c === undefined) return -1;
      let k = categoryIndex.get(c);
      if (k === undefined) {
        k = this.categories.length;
        categoryIndex.set(c, k);
        this.categories.push(c);
      }
      return k;
    });
  }

  /** category_lift of category a with every category. */
  categoryLiftRow(a: number): Float64Array {
    let row = this.categoryRows.get(a);
    if (!row) {
      const g = this.graph;
      const ca = this.categories[a];
      const da = g.categoryCoPurchaseDegree(ca);
      row = Float64Array.from(this.categories, (cb) =>
        smoothedLogLift(g.categoryCoPurchases(ca, cb), da, g.categoryCoPurchaseDegree(cb), g.totalCategoryCoPurchaseDegree),
      );
      this.categoryRows.set(a, row);
    }
    return row;
  }
}

/** Row-normalised copy of a vector table over catalog indices (zero rows where missing), so Σ_a cos(a, c) = (Σ_a â)·ĉ. */
export function unitMatrix(ds: Dataset, table: ReadonlyMap<string, Float32Array> | undefined): { dim: number; data: Float64Array } | undefined {
  if (!table || table.size === 0) return undefined;
  const dim = (table.values().next().value as Float32Array).length;
  const data = new Float64Array(ds.ids.length * dim);
  ds.ids.forEach((id, i) => {
    const v = table.get(id);
    if (!v || v.length !== dim) return;
    let norm = 0;
    for (let k = 0; k < dim; k++) norm += v[k] * v[k];
    if (norm === 0) return;
    const inv = 1 / Math.sqrt(norm);
    for (let k = 0; k < dim; k++) data[i * dim + k] = v[k] * inv;
  });
  return { dim, data };
}

export type Scorer = (anchors: readonly number[], out: Float64Array) => void;

export function popularityScorer(ctx: RankingContext): Scorer {
  return (_anchors, out) => out.set(ctx.frequency);
}

export function coOccurrenceScorer(ctx: RankingContext): Scorer {
  return (anchors, out) => {
    out.fill(0);
    for (const a of anchors) for (let e = ctx.rowStart[a]; e < ctx.rowStart[a + 1]; e++) out[ctx.partners[e]] += ctx.counts[e];
  };
}

/** The fitted model's completionScore for every catalog item at once (sparse co-purchase terms, dense cosine terms). */
export function modelScorer(ctx: RankingContext, model: BundleModel, behaviour?: { dim: number; data: Float64Array }, text?: { dim: number; data: Float64Array }): Scorer {
  const wp = model.pairWeightVector();
  const wi = model.itemWeightVector();
  const wLift = wp[PAIR_FEATURE_INDEX.log_lift];
  const wCo = wp[PAIR_FEATURE_INDEX.co_purchased];
  const wCat = wp[PAIR_FEATURE_INDEX.category_lift];
  const wSame = wp[PAIR_FEATURE_INDEX.same_leaf_category];
  const wBeh = wp[PAIR_FEATURE_INDEX.behaviour_cosine];
  const wText = wp[PAIR_FEATURE_INDEX.text_cosine];
  const wPop = wi[ITEM_FEATURE_INDEX.log_popularity];
  const categoryScore = new Float64Array(ctx.categories.length);
  const addCosine = (m: { dim: number; data: Float64Array } | undefined, w: number, anchors: readonly number[], out: Float64Array) => {
    if (!m || w === 0) return;
    const { dim, data } = m;
    const sum = new Float64Array(dim);
    for (const a of anchors) for (let k = 0; k < dim; k++) sum[k] += data[a * dim + k];
    for (let i = 0; i < ctx.n; i++) {
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += sum[k] * data[i * dim + k];
      out[i] += w * dot;
    }
  };
  return (anchors, out) => {
    for (let i = 0; i < ctx.n; i++) out[i] = wPop * ctx.logPopularity[i];
    if (wLift !== 0 || wCo !== 0) {
      for (const a of anchors) {
        for (let e = ctx.rowStart[a]; e < ctx.rowStart[a + 1]; e++) {
          const p = ctx.partners[e];
          const c = ctx.counts[e];
          out[p] += wLift * smoothedLogLift(c, ctx.degree[a], ctx.degree[p], ctx.total) + wCo * Math.log1p(c);
        }
      }
    }
    if ((wCat !== 0 || wSame !== 0) && ctx.categories.length > 0) {
      categoryScore.fill(0);
      let any = false;
      for (const a of anchors) {
        const ca = ctx.categoryOf[a];
        if (ca < 0) continue;
        any = true;
        if (wCat !== 0) {
          const row = ctx.categoryLiftRow(ca);
          for (let b = 0; b < row.length; b++) categoryScore[b] += wCat * row[b];
        }
        categoryScore[ca] += wSame;
      }
      if (any) for (let i = 0; i < ctx.n; i++) if (ctx.categoryOf[i] >= 0) out[i] += categoryScore[ctx.categoryOf[i]];
    }
    addCosine(behaviour, wBeh, anchors, out);
    addCosine(text, wText, anchors, out);
  };
}

export interface RankingResult {
  metrics: Record<string, number>;
  evaluated: number;
  seconds: number;
}

/** Recall@K and NDCG@K (KS) of the hidden items: the anchors are masked, rank = 1 + #items (target excluded) scoring at least the target. */
export function evaluate(ctx: RankingContext, queries: readonly Query[], scorer: Scorer, check?: (q: Query, scores: Float64Array) => void): RankingResult {
  const started = Date.now();
  const scores = new Float64Array(ctx.n);
  const accumulator = new RankingMetricsAccumulator(ctx.n, KS);
  queries.forEach((q, qi) => {
    scorer(q.anchors, scores);
    if (check && qi < 3) check(q, scores);
    accumulator.addUser(scores, [q.target], q.anchors);
  });
  const byK = accumulator.result();
  const metrics: Record<string, number> = {};
  KS.forEach((k) => (metrics[`recall@${k}`] = byK[`recall@${k}`]));
  KS.forEach((k) => (metrics[`ndcg@${k}`] = byK[`ndcg@${k}`]));
  return { metrics, evaluated: queries.length, seconds: seconds(started) };
}

/** The dense pass must agree with BundleModel.completionScore (the served definition) on sampled items. */
export function consistencyCheck(ds: Dataset, model: BundleModel, sources: InMemoryComplementaritySources, rng: SeededRng) {
  return (q: Query, scores: Float64Array) => {
    const anchors = q.anchors.map((i) => ds.ids[i]);
    const probe = [q.target, ...Array.from({ length: 20 }, () => rng.int(ds.ids.length))];
    for (const i of probe) {
      const expected = model.completionScore(anchors, ds.ids[i], sources);
      if (Math.abs(expected - scores[i]) > 1e-6 * (1 + Math.abs(expected))) {
        throw new Error(`full-ranking score of ${ds.ids[i]} is ${scores[i]} but BundleModel.completionScore says ${expected}`);
      }
    }
  };
}
