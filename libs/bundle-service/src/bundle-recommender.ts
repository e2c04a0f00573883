import { actionName } from '@recmesh/contracts';
import { BundleCandidate, BundleModel, BundleOptimizer, BundleProblemError, ComposedBundle, cosine } from '@recmesh/bundling';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { FeatureStore } from '@recmesh/persistence';
import { ModelRetrieval, retrieveTopK } from '@recmesh/vector-retrieval';
import { Counter, Histogram, Registry } from 'prom-client';
import {
  BundleAnswer,
  BundleBackend,
  BundledItem,
  BundleLimits,
  BundleQuery,
  CatalogEntry,
  CatalogIndex,
  DeadlineExceededError,
  InvalidRequestError,
  QueueFullError,
  RecommendedBundle,
  ServingError,
  ServingErrorCode,
  UnknownItemError,
} from '@recmesh/serving-core';
import { bundleReason, itemReason } from './bundle-reasons';
import { CategoryCoPurchaseSnapshot, RequestComplementaritySources } from './store-complementarity-sources';

/** A query the bundler cannot answer as asked (INVALID_ARGUMENT on the wire). */
export class InvalidBundleQueryError extends InvalidRequestError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidBundleQueryError';
  }
}

export interface BundleRecommenderOptions {
  readonly model: () => SequentialRecommenderModel;
  readonly bundleModel: () => BundleModel;
  readonly features: FeatureStore;
  readonly catalog: CatalogIndex;
  readonly categories: CategoryCoPurchaseSnapshot;
  readonly optimizer: BundleOptimizer;
  /** Items the optimizer chooses from. */
  readonly candidates: number;
  readonly maxConcurrent: number;
  readonly popularityHalfLifeMs: number;
  readonly metrics: Registry;
  readonly clock?: () => number;
  readonly ready?: () => boolean;
  /** How the model-space candidates are found (exact, or HNSW for a large catalog, as the scorer's); absent: the model's exact kernel. */
  readonly retrieval?: ModelRetrieval;
}

/** Candidates pulled from each source before scoring: enough to fill `candidates` after filters. */
const PER_SOURCE = 100;
const COMPLEMENT_CATEGORIES = 6;

/**
 * Personalized bundles around anchor items: gathers candidates (co-purchased
 * with an anchor, close to the anchors in the model's item space, popular in
 * the anchors' complementary categories, and the shopper's own top picks),
 * scores each with the fitted bundle model, and lets the BundleOptimizer pick
 * the best distinct sets under budget, stock, diversity and filters.
 */
export class BundleRecommender implements BundleBackend {
  private running = 0;
  private readonly clock: () => number;
  private readonly requests: Counter<'outcome'>;
  private readonly seconds: Histogram;

  constructor(private readonly options: BundleRecommenderOptions) {
    this.clock = options.clock ?? Date.now;
    this.requests = new Counter({ name: 'recmesh_bundler_requests_total', help: 'Bundle requests by outcome.', labelNames: ['outcome'], registers: [options.metrics] });
    this.seconds = new Histogram({ name: 'recmesh_bundler_compose_seconds', help: 'Time to compose the bundles of one request.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [options.metrics] });
  }

  get modelVersion(): string {
    return `${this.options.bundleModel().version}+${this.options.model().modelVersion}`;
  }

  /** Ready when its ServingState is. */
  isReady(): boolean {
    return this.options.ready?.() ?? true;
  }

  bundles(query: BundleQuery): Promise<BundleAnswer> {
    return this.compose(query);
  }

  async compose(query: BundleQuery): Promise<BundleAnswer> {
    const stopTimer = this.seconds.startTimer();
    let outcome = 'error';
    try {
      checkQuery(query);
      if (this.running >= this.options.maxConcurrent) throw new QueueFullError(this.options.maxConcurrent);
      this.running += 1;
      try {
        const answer = await this.composeNow(query);
        outcome = answer.bundles.length > 0 ? 'ok' : 'empty';
        return answer;
      } finally {
        this.running -= 1;
      }
    } catch (error) {
      outcome = outcomeOf(error);
      throw error;
    } finally {
      stopTimer();
      this.requests.inc({ outcome });
    }
  }

  private async composeNow(query: BundleQuery): Promise<BundleAnswer> {
    const { catalog, features } = this.options;
    const model = this.options.model();
    const bundleModel = this.options.bundleModel();
    const anchorIds = [...new Set(query.anchorItemIds)];
    const anchors = anchorIds.map((id) => catalog.get(id) ?? throwUnknown(id));
    const user = await this.userVector(model, query.userId);
    this.checkDeadline(query);

    const excluded = new Set([...(query.excludeItemIds ?? []), ...anchorIds]);
    const pool = await this.gatherCandidates(model, anchors, user, query, excluded);
    const ids = [...anchorIds, ...pool];
    const [pairs, degrees, textVectors] = await Promise.all([features.coPurchasesAmong(ids), features.coPurchaseDegrees(ids), features.textVectors(ids)]);
    this.checkDeadline(query);
    const sources = new RequestComplementaritySources({
      pairs, degrees, textVectors, categories: this.options.categories,
      leafCategory: (id) => catalog.get(id)?.leafCategory,
      behaviourVector: (id) => model.itemVector(id),
    });

    const scored = pool
      .map((itemId) => ({ itemId, score: bundleModel.completionScore(anchorIds, itemId, sources, user ? cosine(user, model.itemVector(itemId)) : 0) }))
      .sort((a, b) => b.score - a.score || a.itemId.localeCompare(b.itemId))
      .slice(0, this.options.candidates);
    const candidates: BundleCandidate[] = scored.map((s) => {
      const entry = catalog.get(s.itemId) as CatalogEntry;
      return { itemId: s.itemId, price: entry.price, inStock: entry.inStock, leafCategory: entry.leafCategory, unaryScore: s.score };
    });
    const pairScores = new Float64Array(candidates.length * candidates.length);
    // Pairs of added items only matter when a bundle adds two or more.
    const addedPerBundle = query.size - anchorIds.length;
    for (let i = 0; addedPerBundle >= 2 && i < candidates.length; i++) {
      for (let j = i + 1; j < candidates.length; j++) {
        const s = bundleModel.pairScore(candidates[i].itemId, candidates[j].itemId, sources);
        pairScores[i * candidates.length + j] = s;
        pairScores[j * candidates.length + i] = s;
      }
    }
    const composed = this.solve({
      anchors: anchors.map((a) => ({ itemId: a.itemId, price: a.price, leafCategory: a.leafCategory })),
      candidates,
      pairScore: (i, j) => pairScores[i * candidates.length + j],
      constraints: { size: query.size, count: query.count, budget: query.budget, requireCategoryDiversity: query.requireCategoryDiversity, excludeItemIds: excluded },
    });
    this.checkDeadline(query);
    // The versions this request used, even if a hot reload swapped either meanwhile.
    return { bundles: composed.map((b) => this.describe(b, anchors, candidates, bundleModel, sources)), modelVersion: `${bundleModel.version}+${model.modelVersion}` };
  }

  private solve(problem: Parameters<BundleOptimizer['solve']>[0]): ComposedBundle[] {
    try {
      return this.options.optimizer.solve(problem);
    } catch (error) {
      if (error instanceof BundleProblemError) throw new InvalidBundleQueryError(error.message);
      throw error;
    }
  }

  private async userVector(model: SequentialRecommenderModel, userId: string | undefined): Promise<Float32Array | undefined> {
    if (!userId) return undefined;
    const steps = (await this.options.features.sequence(userId)) ?? [];
    const history = steps.filter((s) => model.rowOf(s.i) !== undefined).map((s) => ({ itemId: s.i, action: actionName(s.a) }));
    return history.length > 0 ? model.encodeUsers([history]) : undefined;
  }

  /** Sellable items inside the filters from every candidate source, in a stable order. */
  private async gatherCandidates(model: SequentialRecommenderModel, anchors: readonly CatalogEntry[], user: Float32Array | undefined, query: BundleQuery, excluded: ReadonlySet<string>): Promise<string[]> {
    const { catalog, features } = this.options;
    const pool = new Set<string>();
    const add = (itemId: string) => {
      if (!pool.has(itemId) && catalog.accepts(itemId, query, excluded)) pool.add(itemId);
    };
    for (const anchor of anchors) for (const p of await features.coPurchasePartners(anchor.itemId, PER_SOURCE)) add(p.itemId);
    const anchorVector = sumOfUnitVectors(anchors.map((a) => model.itemVector(a.itemId)));
    const anchorRows = anchors.map((a) => model.rowOf(a.itemId)).filter((r): r is number => r !== undefined);
    const nearest = (vector: Float32Array, k: number) => retrieveTopK(this.options.retrieval, model, vector, k, { exclude: [anchorRows] });
    if (anchorVector) for (const s of (await nearest(anchorVector, PER_SOURCE))[0]) add(s.itemId);
    if (user) for (const s of (await nearest(user, PER_SOURCE / 2))[0]) add(s.itemId);
    const complementCategories = new Set(anchors.flatMap((a) => this.options.categories.complementsOf(a.leafCategory, COMPLEMENT_CATEGORIES)));
    // Without co-purchase history yet (a new shop), the anchors' own department still gives the model something to rank.
    if (complementCategories.size === 0) {
      const departments = new Set(anchors.map((a) => a.categoryPath[0]));
      for (const e of catalog.entries()) if (departments.has(e.categoryPath[0])) complementCategories.add(e.leafCategory);
    }
    const perCategory = Math.max(10, Math.ceil((2 * PER_SOURCE) / Math.max(1, complementCategories.size)));
    for (const leafCategory of complementCategories) {
      for (const p of await features.topPopular({ leafCategory, limit: perCategory, atMs: this.clock(), halfLifeMs: this.options.popularityHalfLifeMs })) add(p.itemId);
    }
    return [...pool];
  }

  private describe(bundle: ComposedBundle, anchors: readonly CatalogEntry[], candidates: readonly BundleCandidate[], bundleModel: BundleModel, sources: RequestComplementaritySources): RecommendedBundle {
    const anchorItems: BundledItem[] = anchors.map((a) => ({ itemId: a.itemId, score: 0, reason: 'Your choice', reasonCode: 'complements_anchor', role: 'anchor', title: a.title, price: a.price ?? undefined }));
    const added = bundle.members.map((m): BundledItem => {
      const c = candidates[m];
      const entry = this.options.catalog.get(c.itemId) as CatalogEntry;
      // The anchor this item goes with best explains it.
      let best = anchors[0];
      let bestScore = -Infinity;
      for (const a of anchors) {
        const s = bundleModel.pairScore(a.itemId, c.itemId, sources);
        if (s > bestScore) [best, bestScore] = [a, s];
      }
      const { reason, reasonCode } = itemReason(entry, best, bundleModel.strongestSignal(best.itemId, c.itemId, sources));
      return { itemId: c.itemId, score: c.unaryScore, reason, reasonCode, role: c.leafCategory || 'add-on', title: entry.title, price: entry.price ?? undefined };
    });
    return { items: [...anchorItems, ...added], totalScore: bundle.totalScore, totalPrice: bundle.totalPrice, reason: bundleReason(anchors, added) };
  }

  private checkDeadline(query: BundleQuery): void {
    if (query.deadlineMs !== undefined && this.clock() > query.deadlineMs) throw new DeadlineExceededError();
  }
}

function checkQuery(q: BundleQuery): void {
  if (q.anchorItemIds.length === 0) throw new InvalidBundleQueryError('anchor_item_ids needs at least one item (the current item or the cart)');
  if (q.anchorItemIds.length > BundleLimits.maxAnchors) throw new InvalidBundleQueryError(`anchor_item_ids has ${q.anchorItemIds.length} items, at most ${BundleLimits.maxAnchors} are allowed`);
  if (!Number.isInteger(q.size) || q.size < BundleLimits.minSize || q.size > BundleLimits.maxSize) throw new InvalidBundleQueryError(`size must be between ${BundleLimits.minSize} and ${BundleLimits.maxSize}, got ${q.size}`);
  const anchors = new Set(q.anchorItemIds).size;
  if (q.size <= anchors) throw new InvalidBundleQueryError(`size ${q.size} leaves no room next to ${anchors} anchor item(s)`);
  if (!Number.isInteger(q.count) || q.count < 1 || q.count > BundleLimits.maxCount) throw new InvalidBundleQueryError(`count must be between 1 and ${BundleLimits.maxCount}, got ${q.count}`);
  if (q.budget !== undefined && (!Number.isFinite(q.budget) || q.budget < 0)) throw new InvalidBundleQueryError(`budget must be a finite number >= 0, got ${q.budget}`);
}

const OUTCOMES: Partial<Record<ServingErrorCode, string>> = {
  [ServingErrorCode.InvalidRequest]: 'invalid',
  [ServingErrorCode.NotFound]: 'unknown_item',
  [ServingErrorCode.Overloaded]: 'overloaded',
  [ServingErrorCode.DeadlineExceeded]: 'deadline',
};

function outcomeOf(error: unknown): string {
  return (error instanceof ServingError && OUTCOMES[error.code]) || 'error';
}

function throwUnknown(itemId: string): never {
  throw new UnknownItemError(itemId);
}

function sumOfUnitVectors(vectors: ReadonlyArray<Float32Array | undefined>): Float32Array | undefined {
  let out: Float32Array | undefined;
  for (const v of vectors) {
    if (!v) continue;
    const norm = Math.hypot(...v) || 1;
    out ??= new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] += v[i] / norm;
  }
  return out;
}
