import { actionName } from '@recmesh/contracts';
import { categoryLabel, SequentialRecommenderModel } from '@recmesh/model-runtime';
import { FeatureStore, SequenceStep } from '@recmesh/persistence';
import {
  CatalogIndex,
  ItemFilters,
  ModelVersionPool,
  POPULARITY_MODEL_VERSION,
  ReasonCode,
  Reasons,
  RecommendationBackend,
  Recommendations,
  RecommendedItem,
  RecommendQuery,
  ServingError,
  ServingErrorCode,
  SimilarQuery,
  UnknownItemError,
} from '@recmesh/serving-core';
import { ModelRetrieval, retrieveTopK } from '@recmesh/vector-retrieval';
import { Counter, Registry } from 'prom-client';
import { MicroBatcher, MicroBatcherOptions } from './micro-batcher';
import { historyItems, HistoryItem, personalReason, relatedCosine, unit } from './reason-attribution';

export interface RecommendationScorerOptions {
  /** The model serving right now; hot reload swaps what this returns. */
  readonly model: () => SequentialRecommenderModel;
  /** Other registered versions a query may name (experiment arms); absent: only the serving model answers. */
  readonly versions?: Pick<ModelVersionPool, 'use'>;
  readonly features: FeatureStore;
  readonly catalog: CatalogIndex;
  readonly batching: MicroBatcherOptions;
  readonly popularityHalfLifeMs: number;
  readonly clock?: () => number;
  readonly ready?: () => boolean;
  /** How top-K is found (exact or an HNSW graph, by SCORER_RETRIEVAL); absent: the model's exact kernel. */
  readonly retrieval?: ModelRetrieval;
  /** Where recmesh_scorer_topk_queries_total goes; absent: not counted. */
  readonly metrics?: Registry;
}

interface ScoreJob {
  readonly model: SequentialRecommenderModel;
  readonly history: ReadonlyArray<{ itemId: string; action: string }>;
  readonly excludeRows: readonly number[];
  readonly fetch: number;
}

/** Candidates fetched per requested item, so filters and stock still leave k. */
const OVERFETCH = 4;

/** Partners read per anchor item for "bought with" / "viewed with" answers. */
const PARTNERS = 20;

/** An anchor partner: the anchor's title, and the orders (0: sessions only) that hold both. */
interface Partner {
  readonly anchorTitle: string;
  readonly orders: number;
}

/**
 * Personal recommendations from the sequential model: each request's user
 * vector and top-K over the whole catalog are computed in micro-batches (one
 * matrix product per batch), then stock, filters and the user's purchases are
 * applied and every item gets a reason that is true of it: the history item
 * that supports it (reason-attribution.ts), "bought with" only where orders
 * hold both items. Users without usable history get a non-personal answer:
 * items bought with the current item or cart, then items seen with them in
 * sessions, then what is trending in the item's or requested category. A query may name what
 * answers it (an experiment arm): another registered model version, or the
 * popularity baseline.
 */
export class RecommendationScorer implements RecommendationBackend {
  private readonly batcher: MicroBatcher<ScoreJob, Array<{ itemId: string; score: number }>>;
  private readonly clock: () => number;
  private readonly relatedBars = new WeakMap<SequentialRecommenderModel, number>();
  private readonly topKQueries?: Counter<'retrieval'>;

  constructor(private readonly options: RecommendationScorerOptions) {
    this.clock = options.clock ?? Date.now;
    // Which retrieval answered: an operator sees when a catalog crossed SCORER_ANN_MIN_ITEMS, or a graph is still building.
    this.topKQueries = options.metrics && new Counter({
      name: 'recmesh_scorer_topk_queries_total',
      help: 'Query vectors whose top-K was found exactly (the model kernel) or in the HNSW graph (ann).',
      labelNames: ['retrieval'],
      registers: [options.metrics],
    });
    this.batcher = new MicroBatcher((jobs) => this.scoreBatch(jobs), options.batching);
  }

  /** Ready when its ServingState is; the scorer itself holds no state that loads. */
  isReady(): boolean {
    return this.options.ready?.() ?? true;
  }

  get modelVersion(): string {
    return this.options.model().modelVersion;
  }

  batchSizes(): readonly number[] {
    return this.batcher.recentBatchSizes();
  }

  /** Jobs of one batch share a model; a reload between batches is picked up by the next one. */
  private async scoreBatch(jobs: ScoreJob[]): Promise<Array<Array<{ itemId: string; score: number }>>> {
    const byModel = new Map<SequentialRecommenderModel, number[]>();
    jobs.forEach((job, i) => byModel.set(job.model, [...(byModel.get(job.model) ?? []), i]));
    const out: Array<Array<{ itemId: string; score: number }>> = new Array(jobs.length);
    for (const [model, indices] of byModel) {
      const users = await model.encodeUsers(indices.map((i) => jobs[i].history));
      const fetch = Math.max(...indices.map((i) => jobs[i].fetch));
      const top = await this.topK(model, users, fetch, indices.map((i) => jobs[i].excludeRows));
      indices.forEach((jobIndex, j) => (out[jobIndex] = top[j].map((s) => ({ itemId: s.itemId, score: s.score }))));
    }
    return out;
  }

  /** Recommend and SimilarItems both find candidates here: the configured retrieval, else the exact kernel. */
  private topK(model: SequentialRecommenderModel, users: Float32Array, k: number, exclude: ReadonlyArray<readonly number[]>) {
    this.topKQueries?.inc({ retrieval: this.options.retrieval?.kindFor(model) ?? 'exact' }, users.length / model.hidden);
    return retrieveTopK(this.options.retrieval, model, users, k, { exclude });
  }

  async recommend(request: RecommendQuery): Promise<Recommendations> {
    const servedBy = request.servedBy;
    if (servedBy && 'strategy' in servedBy) return this.popularRecommend(request);
    return this.withModel(servedBy?.modelVersion, (model) => this.recommendWith(model, request));
  }

  /** Items similar to one item by the model's item vectors; a cold item gets its vector from text. */
  async similarItems(request: SimilarQuery): Promise<Recommendations> {
    const servedBy = request.servedBy;
    if (servedBy && 'strategy' in servedBy) return this.popularSimilar(request);
    return this.withModel(servedBy?.modelVersion, (model) => this.similarWith(model, request));
  }

  /** The serving model, or the version a query names (held until the answer is done). */
  private withModel(modelVersion: string | undefined, work: (model: SequentialRecommenderModel) => Promise<Recommendations>): Promise<Recommendations> {
    const serving = this.options.model();
    if (modelVersion === undefined || modelVersion === serving.modelVersion) return work(serving);
    if (!this.options.versions) return Promise.reject(new ServingError(ServingErrorCode.FailedPrecondition, `this scorer serves only model ${serving.modelVersion}`));
    return this.options.versions.use(modelVersion, work);
  }

  private async recommendWith(model: SequentialRecommenderModel, request: RecommendQuery): Promise<Recommendations> {
    const steps = (await this.options.features.sequence(request.userId)) ?? [];
    const history = steps.filter((s) => model.rowOf(s.i) !== undefined).map((s) => ({ itemId: s.i, action: actionName(s.a) }));
    // What the shopper already interacted with is not news (and bought items are masked as the issue asks);
    // this matches the offline protocol, which masks the user's history.
    const seen = new Set(steps.map((s) => s.i));
    const excluded = new Set([...(request.excludeItemIds ?? []), ...seen, ...request.cartItemIds, ...(request.currentItemId ? [request.currentItemId] : [])]);
    const anchors = [...(request.currentItemId ? [request.currentItemId] : []), ...request.cartItemIds];
    const pairedWith = await this.partnersOf(anchors);
    const items: RecommendedItem[] = [];
    if (history.length > 0) {
      const excludeRows = [...seen].map((id) => model.rowOf(id)).filter((r): r is number => r !== undefined);
      const picked: Array<{ itemId: string; score: number }> = [];
      // Narrow filters can reject most of the top: widen the fetch until k pass or the catalog is exhausted.
      let fetch = Math.min(model.itemIds.length, request.k * OVERFETCH + excluded.size);
      for (let seen = 0; picked.length < request.k && seen < fetch; fetch = Math.min(model.itemIds.length, fetch * 8)) {
        const candidates = await this.batcher.submit({ model, history, excludeRows, fetch }, request.deadlineMs);
        for (const c of candidates.slice(seen)) {
          if (picked.length >= request.k) break;
          if (!this.options.catalog.accepts(c.itemId, request, excluded)) continue;
          picked.push(c);
          excluded.add(c.itemId);
        }
        seen = candidates.length;
        if (fetch >= model.itemIds.length) break;
      }
      const personal = await this.personalReasons(model, steps, picked.map((c) => c.itemId));
      for (const c of picked) {
        // Orders with the cart or the current item come first; a session alone names nothing.
        const partner = pairedWith.get(c.itemId);
        if (partner && partner.orders > 0) items.push(this.item(c.itemId, c.score, 'bought_together', Reasons.boughtTogether(partner.anchorTitle, partner.orders)));
        else {
          const { reasonCode, reason } = personal(c.itemId);
          items.push(this.item(c.itemId, c.score, reasonCode, reason));
        }
      }
    }
    if (items.length < request.k) items.push(...(await this.nonPersonal(request, excluded, pairedWith, request.k - items.length)));
    return { items, modelVersion: model.modelVersion };
  }

  private async similarWith(model: SequentialRecommenderModel, request: SimilarQuery): Promise<Recommendations> {
    const entry = this.options.catalog.get(request.itemId);
    let vector = model.itemVector(request.itemId);
    let reasonCode: ReasonCode = 'viewed_similar';
    if (!vector) {
      if (!entry) throw new UnknownItemError(request.itemId);
      vector = (await model.coldItemVector({ itemId: entry.itemId, title: entry.title, category: categoryLabel(entry.categoryPath), brand: entry.brand })).vector;
      reasonCode = 'text_similar';
    }
    const excluded = new Set([...(request.excludeItemIds ?? []), request.itemId]);
    const own = model.rowOf(request.itemId);
    const [candidates] = await this.topK(model, vector, Math.min(model.itemIds.length, request.k * OVERFETCH + excluded.size), [own !== undefined ? [own] : []]);
    const boughtWith = await this.partnersOf([request.itemId], { ordersOnly: true });
    const title = entry?.title ?? request.itemId;
    const items: RecommendedItem[] = [];
    for (const c of candidates) {
      if (items.length >= request.k) break;
      if (!this.options.catalog.accepts(c.itemId, request, excluded)) continue;
      // Near in the item space is "similar"; "bought with" only where orders hold both (another phone is not bought with a phone).
      const partner = boughtWith.get(c.itemId);
      items.push(partner ? this.item(c.itemId, c.score, 'bought_together', Reasons.boughtTogether(title, partner.orders)) : this.item(c.itemId, c.score, reasonCode, Reasons.similarTo(title)));
      excluded.add(c.itemId);
    }
    return { items, modelVersion: model.modelVersion };
  }

  /**
   * item id -> the anchor it was bought with (orders > 0), most co-purchased
   * first, then (unless `ordersOnly`) the anchor it was only seen with in
   * sessions (orders 0), most co-viewed first; the first anchor that names an
   * item keeps it.
   */
  private async partnersOf(anchors: readonly string[], { ordersOnly = false } = {}): Promise<Map<string, Partner>> {
    const out = new Map<string, Partner>();
    const titleOf = (anchor: string) => this.options.catalog.get(anchor)?.title ?? anchor;
    for (const anchor of anchors) {
      for (const p of await this.options.features.coPurchasePartners(anchor, PARTNERS)) if (!out.has(p.itemId)) out.set(p.itemId, { anchorTitle: titleOf(anchor), orders: p.count });
    }
    if (ordersOnly) return out;
    for (const anchor of anchors) {
      for (const pair of await this.options.features.pairsOf(anchor, PARTNERS)) {
        if (pair.sessionCount > 0 && !out.has(pair.itemB)) out.set(pair.itemB, { anchorTitle: titleOf(anchor), orders: 0 });
      }
    }
    return out;
  }

  /**
   * The reason of each model-ranked item for this history (reason-attribution.ts,
   * `personalReason`): the history item nearest to it in the model's item
   * space when that one is related enough, else a history item bought in the
   * same orders as the item, else the nearest one of the item's own leaf
   * category, else a reason that names no item. Only items the
   * user encoder saw (trained items of its window) with a title can be named.
   */
  private async personalReasons(model: SequentialRecommenderModel, steps: readonly SequenceStep[], itemIds: readonly string[]): Promise<(itemId: string) => { reasonCode: ReasonCode; reason: string }> {
    const known = (id: string) => model.rowOf(id) !== undefined && !model.isColdItem(id);
    const history: Array<{ item: HistoryItem; unit: Float32Array }> = [];
    const titles = new Map<string, string>();
    for (const item of historyItems(steps, model.maxSeqLen, known)) {
      const title = this.options.catalog.get(item.itemId)?.title;
      const vector = model.itemVector(item.itemId);
      if (!title || !vector) continue;
      history.push({ item, unit: unit(vector) });
      titles.set(item.itemId, title);
    }
    const orders = new Map<string, Map<string, number>>();
    if (history.length > 0 && itemIds.length > 0) {
      for (const p of await this.options.features.coPurchasesAmong([...itemIds, ...titles.keys()])) {
        if (titles.has(p.itemB) && !titles.has(p.itemA)) orders.set(p.itemA, (orders.get(p.itemA) ?? new Map<string, number>()).set(p.itemB, p.count));
      }
    }
    const titleOf = (item: HistoryItem) => titles.get(item.itemId) ?? item.itemId; // only titled items are in `history`
    const bar = this.relatedBar(model);
    const leafOf = (id: string) => this.options.catalog.get(id)?.leafCategory || undefined;
    // Looked up once per request, not once per history item and candidate (k x window catalog reads).
    const historyLeaves = history.map((h) => leafOf(h.item.itemId));
    return (itemId) => {
      const leaf = leafOf(itemId);
      const sameCategory = new Set<string>();
      if (leaf) history.forEach((h, i) => historyLeaves[i] === leaf && sameCategory.add(h.item.itemId));
      const why = personalReason(model.itemVector(itemId), history, bar, orders.get(itemId), sameCategory);
      switch (why.kind) {
        case 'similar':
        case 'same_category':
          return { reasonCode: 'sequence', reason: Reasons.becauseYou(why.item.did, titleOf(why.item)) };
        case 'bought_with':
          return { reasonCode: 'bought_together', reason: Reasons.boughtTogether(titleOf(why.item), why.orders) };
        case 'none':
          return { reasonCode: 'sequence', reason: Reasons.forYou() };
      }
    };
  }

  /** The model's cosine bar for "related" (computed once per loaded model). */
  private relatedBar(model: SequentialRecommenderModel): number {
    let bar = this.relatedBars.get(model);
    if (bar === undefined) this.relatedBars.set(model, (bar = relatedCosine(model.itemMatrix, model.rowCount, model.hidden)));
    return bar;
  }

  private async nonPersonal(request: RecommendQuery, excluded: Set<string>, pairedWith: Map<string, Partner>, needed: number): Promise<RecommendedItem[]> {
    const items: RecommendedItem[] = [];
    for (const [itemId, { anchorTitle, orders }] of pairedWith) {
      if (items.length >= needed) return items;
      if (!this.options.catalog.accepts(itemId, request, excluded)) continue;
      items.push(orders > 0 ? this.item(itemId, 0, 'bought_together', Reasons.boughtTogether(anchorTitle, orders)) : this.item(itemId, 0, 'viewed_together', Reasons.viewedTogether(anchorTitle)));
      excluded.add(itemId);
    }
    const category = request.currentItemId ? this.options.catalog.get(request.currentItemId)?.leafCategory : undefined;
    return this.trending(request, excluded, items, needed, [request.categories?.[0] ?? category]);
  }

  /**
   * Adds the decayed most-popular items that pass the filters to `items` until
   * it holds `needed`: those of each leaf category in `scopes` first, then the
   * whole shop's.
   */
  private async trending(filters: ItemFilters, excluded: Set<string>, items: RecommendedItem[], needed: number, scopes: ReadonlyArray<string | undefined>): Promise<RecommendedItem[]> {
    for (const leafCategory of new Set([...scopes, undefined])) {
      const popular = await this.options.features.topPopular({ leafCategory, limit: needed * OVERFETCH + excluded.size, atMs: this.clock(), halfLifeMs: this.options.popularityHalfLifeMs });
      for (const p of popular) {
        if (items.length >= needed) return items;
        if (!this.options.catalog.accepts(p.itemId, filters, excluded)) continue;
        items.push(this.item(p.itemId, p.score, 'trending', Reasons.trending(leafCategory ?? this.options.catalog.get(p.itemId)?.leafCategory)));
        excluded.add(p.itemId);
      }
    }
    return items;
  }

  /**
   * The popularity baseline of an experiment: the trending fallback's decayed
   * most-popular items, in the requested category when there is one, else the
   * whole shop's (not the current item's category, and no bought-together
   * items: every shopper gets the same ranking). Filters, exclusions, the cart,
   * the current item and what the shopper interacted with are masked, as in
   * every answer of the scorer.
   */
  private async popularRecommend(request: RecommendQuery): Promise<Recommendations> {
    const steps = (await this.options.features.sequence(request.userId)) ?? [];
    const excluded = new Set([...(request.excludeItemIds ?? []), ...steps.map((s) => s.i), ...request.cartItemIds, ...(request.currentItemId ? [request.currentItemId] : [])]);
    const items = await this.trending(request, excluded, [], request.k, [request.categories?.[0]]);
    return { items, modelVersion: POPULARITY_MODEL_VERSION };
  }

  /**
   * The popularity baseline for similar items: the most popular items of the
   * item's own leaf category (FeatureStore keeps popularity per leaf category),
   * then of the requested category, then the whole shop's.
   */
  private async popularSimilar(request: SimilarQuery): Promise<Recommendations> {
    const entry = this.options.catalog.get(request.itemId);
    if (!entry) throw new UnknownItemError(request.itemId);
    const excluded = new Set([...(request.excludeItemIds ?? []), request.itemId]);
    const items = await this.trending(request, excluded, [], request.k, [entry.leafCategory || undefined, request.categories?.[0]]);
    return { items, modelVersion: POPULARITY_MODEL_VERSION };
  }

  private item(itemId: string, score: number, reasonCode: ReasonCode, reason: string): RecommendedItem {
    const entry = this.options.catalog.get(itemId);
    return { itemId, score, reasonCode, reason, title: entry?.title, price: entry?.price ?? undefined };
  }
}
