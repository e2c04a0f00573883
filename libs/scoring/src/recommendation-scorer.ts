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
import { MicroBatcher, MicroBatcherOptions } from './micro-batcher';

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
}

interface ScoreJob {
  readonly model: SequentialRecommenderModel;
  readonly history: ReadonlyArray<{ itemId: string; action: string }>;
  readonly excludeRows: readonly number[];
  readonly fetch: number;
}

/** Candidates fetched per requested item, so filters and stock still leave k. */
const OVERFETCH = 4;

/**
 * Personal recommendations from the sequential model: each request's user
 * vector and top-K over the whole catalog are computed in micro-batches (one
 * matrix product per batch), then stock, filters and the user's purchases are
 * applied and every item gets a reason. Users without usable history get a
 * non-personal answer: items bought with the current item or cart, then what
 * is trending in the item's or requested category. A query may name what
 * answers it (an experiment arm): another registered model version, or the
 * popularity baseline.
 */
export class RecommendationScorer implements RecommendationBackend {
  private readonly batcher: MicroBatcher<ScoreJob, Array<{ itemId: string; score: number }>>;
  private readonly clock: () => number;

  constructor(private readonly options: RecommendationScorerOptions) {
    this.clock = options.clock ?? Date.now;
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
      const top = await model.topKBatch(users, fetch, { exclude: indices.map((i) => jobs[i].excludeRows) });
      indices.forEach((jobIndex, j) => (out[jobIndex] = top[j].map((s) => ({ itemId: s.itemId, score: s.score }))));
    }
    return out;
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
    const pairedWith = await this.boughtTogether(anchors);
    const items: RecommendedItem[] = [];
    if (history.length > 0) {
      const excludeRows = [...seen].map((id) => model.rowOf(id)).filter((r): r is number => r !== undefined);
      const lastTitle = this.lastViewedTitle(steps);
      // Narrow filters can reject most of the top: widen the fetch until k pass or the catalog is exhausted.
      let fetch = Math.min(model.itemIds.length, request.k * OVERFETCH + excluded.size);
      for (let seen = 0; items.length < request.k && seen < fetch; fetch = Math.min(model.itemIds.length, fetch * 8)) {
        const candidates = await this.batcher.submit({ model, history, excludeRows, fetch }, request.deadlineMs);
        for (const c of candidates.slice(seen)) {
          if (items.length >= request.k) break;
          if (!this.options.catalog.accepts(c.itemId, request, excluded)) continue;
          const anchor = pairedWith.get(c.itemId);
          items.push(this.item(c.itemId, c.score, anchor ? 'bought_together' : 'sequence', anchor ? Reasons.boughtTogether(anchor) : Reasons.sequence(lastTitle)));
          excluded.add(c.itemId);
        }
        seen = candidates.length;
        if (fetch >= model.itemIds.length) break;
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
    const [candidates] = await model.topKBatch(vector, Math.min(model.itemIds.length, request.k * OVERFETCH + excluded.size), { exclude: [own !== undefined ? [own] : []] });
    const pairedWith = await this.boughtTogether([request.itemId]);
    const title = entry?.title ?? request.itemId;
    const items: RecommendedItem[] = [];
    for (const c of candidates) {
      if (items.length >= request.k) break;
      if (!this.options.catalog.accepts(c.itemId, request, excluded)) continue;
      const together = pairedWith.has(c.itemId);
      items.push(this.item(c.itemId, c.score, together ? 'bought_together' : reasonCode, together ? Reasons.boughtTogether(title) : Reasons.similarTo(title)));
      excluded.add(c.itemId);
    }
    return { items, modelVersion: model.modelVersion };
  }

  /** item id -> title of the anchor it was bought or browsed with most. */
  private async boughtTogether(anchors: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const anchor of anchors) {
      const title = this.options.catalog.get(anchor)?.title ?? anchor;
      for (const pair of await this.options.features.pairsOf(anchor, 20)) if (!out.has(pair.itemB)) out.set(pair.itemB, title);
    }
    return out;
  }

  private async nonPersonal(request: RecommendQuery, excluded: Set<string>, pairedWith: Map<string, string>, needed: number): Promise<RecommendedItem[]> {
    const items: RecommendedItem[] = [];
    for (const [itemId, anchorTitle] of pairedWith) {
      if (items.length >= needed) return items;
      if (!this.options.catalog.accepts(itemId, request, excluded)) continue;
      items.push(this.item(itemId, 0, 'bought_together', Reasons.boughtTogether(anchorTitle)));
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

  private lastViewedTitle(steps: readonly SequenceStep[]): string | undefined {
    for (let i = steps.length - 1; i >= 0; i--) {
      const title = this.options.catalog.get(steps[i].i)?.title;
      if (title) return title;
    }
    return undefined;
  }

  private item(itemId: string, score: number, reasonCode: ReasonCode, reason: string): RecommendedItem {
    const entry = this.options.catalog.get(itemId);
    return { itemId, score, reasonCode, reason, title: entry?.title, price: entry?.price ?? undefined };
  }
}
