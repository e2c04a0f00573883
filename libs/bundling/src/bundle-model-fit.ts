import { fitListwiseSoftmax, fitStandardizer, listwiseSoftmaxLoss, RankingGroup, SeededRng, upperBound } from '@recmesh/numerics';
import { BUNDLE_MODEL_FORMAT, BundleModel, BundleModelWeights } from './bundle-model';
import { CoPurchaseGraph, InMemoryComplementaritySources, ItemVectorTables } from './co-purchase-graph';
import {
  isItemFeatureName,
  isPairFeatureName,
  ITEM_FEATURE_INDEX,
  ITEM_FEATURE_NAMES,
  itemFeatures,
  ItemFeatureName,
  PAIR_FEATURE_INDEX,
  PAIR_FEATURE_NAMES,
  pairFeatures,
  PairFeatureName,
} from './complementarity-features';

/** Negatives drawn per completion query, by kind. Hard negatives (popular, co-purchased, same category) matter. */
export interface NegativeMix {
  /** Uniform over the catalog. */
  random: number;
  /** Proportional to how many orders hold the item. */
  popular: number;
  /** Partners of a random anchor, proportional to the co-purchase count. */
  coPurchased: number;
  /** Same leaf category as a random anchor or as the target (substitutes). */
  sameCategory: number;
}

export interface FitBundleModelOptions {
  /** Co-purchase graph built from the training orders; completion queries are made from its orders. */
  graph: CoPurchaseGraph;
  /** Every item that can be recommended; negatives are drawn from it. */
  catalog: readonly string[];
  /**
   * Vector tables for the query made from order i. A function lets the caller cross-fit vectors
   * learned from the orders themselves, so that a query's vectors have not seen its order.
   */
  vectors?: ItemVectorTables | ((orderIndex: number) => ItemVectorTables);
  /** Shopper affinity for a candidate in the query made from order i (e.g. the order's buyer); enables personal_affinity. */
  personalAffinity?: (orderIndex: number, itemId: string) => number;
  /** Default: every pair feature. */
  pairFeatures?: readonly PairFeatureName[];
  /** Default: log_popularity, plus personal_affinity when personalAffinity is given. */
  itemFeatures?: readonly ItemFeatureName[];
  seed?: number;
  /** Held-out items per order (distinct, seeded), each a query. Default 3. */
  queriesPerOrder?: number;
  /** Cap on the number of queries (orders are taken in a seeded order). Default 20000. */
  maxQueries?: number;
  negatives?: Partial<NegativeMix>;
  /** Share of orders whose queries pick the L2 strength. Default 0.2. */
  validationFraction?: number;
  /**
   * Correct the sampled softmax for how the negatives were drawn (default true): each negative's
   * term in the partition function is weighted by 1 / its inclusion probability (Horvitz–Thompson;
   * the "logQ correction"), so the loss estimates the softmax over the whole catalogue that full
   * ranking faces, instead of over a sample that over-represents popular, co-purchased and
   * same-category items.
   */
  importanceCorrection?: boolean;
  /**
   * L2 strengths tried (on standardised features); the strongest one within one standard error of
   * the best validation loss is kept. Default [1e-5, 1e-4, 1e-3, 1e-2, 1e-1].
   */
  l2Grid?: readonly number[];
  /** Newton iterations at most per fit. Default 50 (it converges in about ten). */
  maxIterations?: number;
  version?: string;
  /** Extra provenance merged into the model's fittedOn. */
  fittedOn?: Record<string, unknown>;
  log?: (message: string) => void;
}

export interface BundleFitReport {
  seed: number;
  queries: { train: number; validation: number };
  meanCandidatesPerQuery: number;
  negatives: NegativeMix;
  /** Features left out because they were constant over every candidate (no signal in these data). */
  droppedFeatures: string[];
  l2: number;
  /** Newton iterations of the final fit. */
  iterations: number;
  /** Per L2 strength: validation loss (mean softmax cross-entropy over sampled candidates) and sampled recall@10. */
  l2Search: { l2: number; validationLoss: number; iterations: number; validationEstimatedRecallAt10: number }[];
  importanceCorrection: boolean;
  /** Weights in the model's units, by feature name. */
  weights: Record<string, number>;
  seconds: number;
}

export interface BundleFitResult {
  model: BundleModel;
  weights: BundleModelWeights;
  report: BundleFitReport;
}

const DEFAULT_NEGATIVES: NegativeMix = { random: 20, popular: 20, coPurchased: 20, sameCategory: 20 };

interface QuerySet {
  /** First row of each query; the first row of a query is its target. */
  start: number[];
  rows: number;
  x: Float64Array;
  /** log(1 / inclusion probability) of each row, added to its score (0 for targets and without correction). */
  offset: Float64Array;
}

/**
 * Fits the bundle model's weights on training orders by leave-one-item-out completion: the rest of
 * the order is the anchor, the features come from the graph without that order (and, for cross-fitted
 * vectors, from vectors that did not see it), and the held-out item must outrank sampled negatives
 * under a listwise softmax loss with L2 on standardised features. The loss is convex in a handful of
 * weights, so it is minimised by damped Newton steps with a backtracking line search (exact,
 * deterministic, about ten iterations; the seed only drives query and negative sampling). A share of
 * the orders is held out to choose the L2 strength (one-standard-error rule); the final weights are
 * then refitted on all queries with that choice.
 */
export function fitBundleModel(options: FitBundleModelOptions): BundleFitResult {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const seed = options.seed ?? 1;
  const rng = new SeededRng(seed);
  const { graph } = options;
  const catalog = [...new Set(options.catalog)];
  if (catalog.length < 2) throw new Error('fitBundleModel: the catalog needs at least two items');
  const pairNames = [...(options.pairFeatures ?? PAIR_FEATURE_NAMES)];
  const itemNames = [...(options.itemFeatures ?? (options.personalAffinity ? ITEM_FEATURE_NAMES : (['log_popularity'] as const)))];
  for (const n of pairNames) if (!isPairFeatureName(n)) throw new Error(`fitBundleModel: unknown pair feature "${n}"`);
  for (const n of itemNames) if (!isItemFeatureName(n)) throw new Error(`fitBundleModel: unknown item feature "${n}"`);
  const negatives: NegativeMix = { ...DEFAULT_NEGATIVES, ...options.negatives };
  const vectorsFor = typeof options.vectors === 'function' ? options.vectors : () => (options.vectors as ItemVectorTables | undefined) ?? {};

  // Queries, grouped by order so validation orders stay unseen by the training queries.
  const orderIds = rng.shuffle(Array.from({ length: graph.orderCount }, (_, i) => i)).filter((o) => graph.orderItems(o).length >= 2);
  const queriesPerOrder = options.queriesPerOrder ?? 3;
  const maxQueries = options.maxQueries ?? 20000;
  const planned: { order: number; target: number }[] = [];
  for (const o of orderIds) {
    const size = graph.orderItems(o).length;
    const picks = rng.shuffle(Array.from({ length: size }, (_, i) => i)).slice(0, Math.min(queriesPerOrder, size));
    for (const t of picks) if (planned.length < maxQueries) planned.push({ order: o, target: t });
  }
  if (planned.length === 0) throw new Error('fitBundleModel: no order has two or more items');
  const validationOrders = new Set(orderIds.slice(0, Math.round(orderIds.length * (options.validationFraction ?? 0.2))));

  const sampler = new NegativeSampler(graph, catalog);
  const correct = options.importanceCorrection ?? true;
  const width = pairNames.length + itemNames.length;
  const pairCols = pairNames.map((n) => PAIR_FEATURE_INDEX[n]);
  const itemCols = itemNames.map((n) => ITEM_FEATURE_INDEX[n]);
  const train: QueryBuilder = new QueryBuilder(width);
  const validation: QueryBuilder = new QueryBuilder(width);
  const pf = new Float64Array(PAIR_FEATURE_NAMES.length);
  const itf = new Float64Array(ITEM_FEATURE_NAMES.length);
  let candidateCount = 0;
  for (const { order, target: t } of planned) {
    const items = graph.orderItems(order);
    const target = items[t];
    const anchors = items.filter((_, i) => i !== t);
    const view = graph.withoutOrder(order);
    const sources = new InMemoryComplementaritySources(view, vectorsFor(order));
    const sampled = sampler.sample(anchors, target, negatives, rng);
    const candidates = [target, ...sampled.ids];
    candidateCount += candidates.length;
    const builder = validationOrders.has(order) ? validation : train;
    builder.beginQuery();
    for (let ci = 0; ci < candidates.length; ci++) {
      const c = candidates[ci];
      const row = builder.addRow(ci > 0 && correct ? -Math.log(sampled.inclusion[ci - 1]) : 0);
      for (const a of anchors) {
        pairFeatures(a, c, sources, pf);
        for (let k = 0; k < pairCols.length; k++) row[k] += pf[pairCols[k]];
      }
      itemFeatures(c, sources, options.personalAffinity ? options.personalAffinity(order, c) : 0, itf);
      for (let k = 0; k < itemCols.length; k++) row[pairCols.length + k] += itf[itemCols[k]];
    }
  }
  const trainSet = train.build();
  const validationSet = validation.build();
  log(`bundle fit: ${trainSet.start.length} training + ${validationSet.start.length} validation queries, ${(candidateCount / planned.length).toFixed(1)} candidates each`);

  // Standardise (scale only: a shift is the same for every candidate of a query, so softmax ignores it).
  const names = [...pairNames, ...itemNames];
  const { std: scale, constant } = fitStandardizer([...queryGroups(trainSet, width), ...queryGroups(validationSet, width)], width);
  const kept = names.map((_, k) => k).filter((k) => !constant[k]);
  const dropped = names.filter((_, k) => constant[k]);
  if (dropped.length > 0) log(`bundle fit: dropping constant features ${dropped.join(', ')}`);
  const trainStd = queryGroups(standardise(trainSet, kept, scale), kept.length);
  const validationStd = validationSet.start.length > 0 ? queryGroups(standardise(validationSet, kept, scale), kept.length) : undefined;

  const maxIterations = options.maxIterations ?? 50;
  const l2Grid = options.l2Grid ?? [1e-5, 1e-4, 1e-3, 1e-2, 1e-1];
  if (l2Grid.length === 0 || l2Grid.some((l2) => !(l2 >= 0))) throw new Error('fitBundleModel: l2Grid needs at least one strength >= 0');
  // Minimises the mean loss + l2·|w|²: the shared fit's penalty is (λ/2)·|w|², so λ = 2·l2.
  const newton = (groups: readonly RankingGroup[], l2: number) => fitListwiseSoftmax(groups, kept.length, { l2: 2 * l2, maxIterations, tolerance: 1e-10 });
  const l2Search: BundleFitReport['l2Search'] = [];
  let chosenL2 = l2Grid[0];
  if (validationStd && l2Grid.length > 1) {
    const perQuery = l2Grid.map((l2) => {
      const result = newton(trainStd, l2);
      const losses = new Float64Array(validationStd.length);
      const validationLoss = listwiseSoftmaxLoss(validationStd, kept.length, result.weights, 0, losses);
      const recall = estimatedRecallAt(validationStd, kept.length, result.weights, 10);
      l2Search.push({ l2, validationLoss, iterations: result.iterations, validationEstimatedRecallAt10: recall });
      log(`bundle fit: l2=${l2} validation loss ${validationLoss.toFixed(4)} (${result.iterations} Newton steps), estimated recall@10 ${recall.toFixed(3)}`);
      return losses;
    });
    // One-standard-error rule (paired over validation queries): the strongest L2 whose validation
    // loss is within one standard error of the best. Near-collinear features (log_lift and
    // co_purchased are almost the same on sparse data) otherwise buy a negligible loss gain with
    // large opposite weights.
    const best = l2Search.reduce((b, s, i) => (s.validationLoss < l2Search[b].validationLoss ? i : b), 0);
    chosenL2 = l2Grid[best];
    l2Grid.forEach((l2, i) => {
      const { mean, standardError } = pairedDifference(perQuery[i], perQuery[best]);
      if (mean <= standardError && l2 > chosenL2) chosenL2 = l2;
    });
  }
  const final = newton(validationStd ? [...trainStd, ...validationStd] : trainStd, chosenL2);

  const weightByName: Record<string, number> = {};
  kept.forEach((k, i) => (weightByName[names[k]] = final.weights[i] / scale[k]));
  const keptPair = pairNames.filter((n) => n in weightByName);
  const keptItem = itemNames.filter((n) => n in weightByName);
  const seconds = (Date.now() - started) / 1000;
  const report: BundleFitReport = {
    seed,
    queries: { train: trainSet.start.length, validation: validationSet.start.length },
    meanCandidatesPerQuery: candidateCount / planned.length,
    negatives,
    droppedFeatures: dropped,
    l2: chosenL2,
    iterations: final.iterations,
    importanceCorrection: correct,
    l2Search,
    weights: weightByName,
    seconds,
  };
  const weights: BundleModelWeights = {
    format: BUNDLE_MODEL_FORMAT,
    version: options.version ?? `bundle-model-seed${seed}`,
    pairFeatures: keptPair,
    pairWeights: keptPair.map((n) => weightByName[n]),
    itemFeatures: keptItem,
    itemWeights: keptItem.map((n) => weightByName[n]),
    fittedOn: {
      orders: graph.orderCount,
      catalogItems: catalog.length,
      seed,
      loss: `listwise softmax cross-entropy over the held-out item and sampled negatives${correct ? ' (importance-weighted to the whole catalogue)' : ''}, L2 on standardised features, Newton`,
      queries: report.queries,
      negatives,
      l2: chosenL2,
      droppedFeatures: dropped,
      ...options.fittedOn,
    },
  };
  return { model: BundleModel.fromJson(weights), weights, report };
}

class QueryBuilder {
  private readonly start: number[] = [];
  private readonly offsets: number[] = [];
  private chunks: Float64Array[] = [];
  private current = new Float64Array(4096);
  private used = 0;
  private rows = 0;

  constructor(private readonly width: number) {}

  beginQuery(): void {
    this.start.push(this.rows);
  }

  /** A zeroed row to fill in. */
  addRow(offset: number): Float64Array {
    this.offsets.push(offset);
    if (this.used + this.width > this.current.length) {
      this.chunks.push(this.current.subarray(0, this.used));
      this.current = new Float64Array(Math.max(4096, this.width * 512));
      this.used = 0;
    }
    const row = this.current.subarray(this.used, this.used + this.width);
    this.used += this.width;
    this.rows++;
    return row;
  }

  build(): QuerySet {
    const x = new Float64Array(this.rows * this.width);
    let offset = 0;
    for (const chunk of [...this.chunks, this.current.subarray(0, this.used)]) {
      x.set(chunk, offset);
      offset += chunk.length;
    }
    return { start: this.start, rows: this.rows, x, offset: Float64Array.from(this.offsets) };
  }
}

class NegativeSampler {
  private readonly catalog: readonly string[];
  private readonly popular: string[] = [];
  private readonly popularCumulative: number[] = [];
  private readonly popularTotal: number;
  private readonly byCategory = new Map<string, string[]>();

  constructor(
    private readonly graph: CoPurchaseGraph,
    catalog: readonly string[],
  ) {
    this.catalog = catalog;
    const inCatalog = new Set(catalog);
    let total = 0;
    for (const id of graph.itemIds()) {
      const f = graph.itemFrequency(id);
      if (f <= 0 || !inCatalog.has(id)) continue;
      total += f;
      this.popular.push(id);
      this.popularCumulative.push(total);
    }
    this.popularTotal = total;
    for (const id of catalog) {
      const category = graph.leafCategory(id);
      if (category === undefined) continue;
      const list = this.byCategory.get(category);
      if (list) list.push(id);
      else this.byCategory.set(category, [id]);
    }
  }

  /**
   * Negatives of each kind, de-duplicated, never an anchor or the target, each with its probability
   * of having been drawn at least once: 1 − Π_kind (1 − q_kind(item))^draws_kind.
   */
  sample(anchors: readonly string[], target: string, mix: NegativeMix, rng: SeededRng): { ids: string[]; inclusion: number[] } {
    const taken = new Set<string>([...anchors, target]);
    const ids: string[] = [];
    const draw = (n: number, pick: () => string | undefined): number => {
      let got = 0;
      let attempts = 0;
      for (; got < n && attempts < n * 4; attempts++) {
        const id = pick();
        if (id === undefined || taken.has(id)) continue;
        taken.add(id);
        ids.push(id);
        got++;
      }
      return attempts;
    };
    const categoryOf = (id: string) => this.graph.leafCategory(id);
    const draws = {
      random: draw(mix.random, () => this.catalog[rng.int(this.catalog.length)]),
      popular: draw(mix.popular, () => (this.popular.length === 0 ? undefined : this.popular[upperBound(this.popularCumulative, rng.next() * this.popularTotal)])),
      // Counts of the full graph: they differ from the leave-this-order-out counts only between the
      // order's own items, which are never negatives.
      coPurchased: draw(mix.coPurchased, () => this.graph.samplePartner(anchors[rng.int(anchors.length)], rng.next())),
      sameCategory: draw(mix.sameCategory, () => {
        const from = rng.int(anchors.length + 1);
        const category = categoryOf(from === anchors.length ? target : anchors[from]);
        const list = category === undefined ? undefined : this.byCategory.get(category);
        return list === undefined ? undefined : list[rng.int(list.length)];
      }),
    };
    const sources = [...anchors, target].map(categoryOf);
    const inclusion = ids.map((id) => {
      const qRandom = 1 / this.catalog.length;
      const qPopular = this.popularTotal > 0 ? this.graph.itemFrequency(id) / this.popularTotal : 0;
      let qCo = 0;
      for (const a of anchors) {
        const degree = this.graph.coPurchaseDegree(a);
        if (degree > 0) qCo += this.graph.coPurchases(a, id) / degree;
      }
      qCo /= anchors.length;
      const category = categoryOf(id);
      const size = category === undefined ? 0 : (this.byCategory.get(category)?.length ?? 0);
      const qSame = size === 0 ? 0 : sources.filter((c) => c === category).length / sources.length / size;
      const logMiss =
        draws.random * log1mSafe(qRandom) + draws.popular * log1mSafe(qPopular) + draws.coPurchased * log1mSafe(qCo) + draws.sameCategory * log1mSafe(qSame);
      return Math.max(-Math.expm1(logMiss), 1e-12);
    });
    return { ids, inclusion };
  }
}

/** Mean and standard error of a − b over paired entries. */
function pairedDifference(a: Float64Array, b: Float64Array): { mean: number; standardError: number } {
  const n = a.length;
  if (n < 2) return { mean: 0, standardError: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += a[i] - b[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (a[i] - b[i] - mean) ** 2;
  return { mean, standardError: Math.sqrt(ss / (n - 1) / n) };
}

/** log(1 − q), −∞ for q ≥ 1. */
function log1mSafe(q: number): number {
  return q >= 1 ? -Infinity : Math.log1p(-q);
}

function standardise(set: QuerySet, kept: number[], scale: Float64Array): QuerySet {
  const width = scale.length;
  const x = new Float64Array(set.rows * kept.length);
  for (let r = 0; r < set.rows; r++) kept.forEach((k, i) => (x[r * kept.length + i] = set.x[r * width + k] / scale[k]));
  return { start: set.start, rows: set.rows, x, offset: set.offset };
}

const TARGET_ROW = Int32Array.of(0);

/** The queries of a set as ranking lists over views of its rows; the target (first row) is the positive. */
function queryGroups(set: QuerySet, width: number): RankingGroup[] {
  return set.start.map((from, q) => {
    const to = q + 1 < set.start.length ? set.start[q + 1] : set.rows;
    return { features: set.x.subarray(from * width, to * width), nRows: to - from, positives: TARGET_ROW, logWeights: set.offset.subarray(from, to) };
  });
}

/**
 * Share of queries whose estimated full-catalogue rank is at most k, ties counting against: rank =
 * 1 + Σ over negatives scoring at least the target of 1 / inclusion probability (exp(log-weight)).
 */
function estimatedRecallAt(groups: readonly RankingGroup[], width: number, w: Float64Array, k: number): number {
  let hits = 0;
  for (const { features: x, nRows, logWeights } of groups) {
    const score = (r: number) => {
      let s = 0;
      for (let j = 0; j < width; j++) s += w[j] * x[r * width + j];
      return s;
    };
    const target = score(0);
    let rank = 1;
    for (let r = 1; r < nRows; r++) if (score(r) >= target) rank += Math.exp((logWeights as Float64Array)[r]);
    if (rank <= k) hits++;
  }
  return hits / Math.max(1, groups.length);
}
