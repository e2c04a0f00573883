import * as path from 'path';
import { Action } from '@recmesh/contracts';
import { BundleModel, BundleOptimizer } from '@recmesh/bundling';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { CatalogStore, FeatureStore, openStore, PairIncrement } from '@recmesh/persistence';
import { CatalogIndex, QueueFullError, UnknownItemError } from '@recmesh/serving-core';
import { generateSyntheticShop } from '@recmesh/synthetic-shop';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { BundleQuery } from '@recmesh/serving-core';
import { ModelRetrieval } from '@recmesh/vector-retrieval';
import { BundleRecommender, InvalidBundleQueryError } from './bundle-recommender';
import { CategoryCoPurchaseSnapshot } from './store-complementarity-sources';

jest.setTimeout(60_000);
const DEMO_MODEL_DIR = path.resolve(__dirname, '../../../tools/model/demo-model');
const NOW = Date.now();

describe('BundleRecommender on the demo model, the demo bundle model and the embedded store', () => {
  // The shop's purchases give the co-purchase statistics, as feature-builder would count them.
  const shop = generateSyntheticShop({ seed: 42, items: 2000, users: 800 });
  const byId = new Map(shop.items.map((i) => [i.itemId, i]));
  const leaf = (id: string) => byId.get(id)!.categoryPath[1];
  const phone = shop.items.find((i) => leaf(i.itemId) === 'Smartphones' && i.inStock && shop.items.some((c) => c.attributes['fits'] === i.itemId && c.inStock))!;
  const phoneComplements = new Set(['Phone Cases', 'Chargers', 'Earbuds']);
  let ds: DataSource;
  let model: SequentialRecommenderModel;
  let recommender: BundleRecommender;
  let features: FeatureStore;
  let catalog: CatalogIndex;
  let categories: CategoryCoPurchaseSnapshot;
  let bundleModel: BundleModel;

  const query = (q: Partial<BundleQuery>): BundleQuery => ({ anchorItemIds: [phone.itemId], size: 3, count: 5, requireCategoryDiversity: false, categories: [], excludeItemIds: [], ...q });
  const make = (maxConcurrent = 8, retrieval?: ModelRetrieval) =>
    new BundleRecommender({
      model: () => model, bundleModel: () => bundleModel, features, catalog, categories, optimizer: new BundleOptimizer({ beamWidth: 64 }),
      candidates: 200, maxConcurrent, popularityHalfLifeMs: 72 * 3_600_000, metrics: new Registry(), clock: () => NOW, retrieval,
    });

  beforeAll(async () => {
    model = await SequentialRecommenderModel.load(DEMO_MODEL_DIR, { preferCuda: false });
    bundleModel = await BundleModel.load(path.join(DEMO_MODEL_DIR, 'bundle-model.json'));
    ds = await openStore({ kind: 'embedded' });
    await new CatalogStore(ds).applyBatch(
      shop.items.map((i, n) => ({ eventId: `c${n}`, itemId: i.itemId, kind: 'upsert', tsMs: NOW, payload: '{}', ingestedAtMs: NOW })),
      shop.items.map((i, n) => ({
        kind: 'upsert' as const, eventId: `c${n}`, tsMs: NOW,
        item: { itemId: i.itemId, title: i.title, description: '', categoryPath: [...i.categoryPath], brand: i.brand, price: i.price, currency: 'EUR', inStock: i.inStock ? 1 : 0, attributes: i.attributes },
      })),
    );
    features = new FeatureStore(ds);
    const orders = new Map<string, string[]>();
    const interactions = new Map<string, number>();
    for (const e of shop.events) {
      interactions.set(e.itemId, (interactions.get(e.itemId) ?? 0) + 1);
      if (e.action === 'purchase') orders.set(e.sessionId, [...(orders.get(e.sessionId) ?? []), e.itemId]);
    }
    const pairs: PairIncrement[] = [];
    for (const items of orders.values()) for (const a of items) for (const b of items) if (a !== b) pairs.push({ itemA: a, itemB: b, session: 0, order: 1 });
    await features.transaction(async (m) => {
      await features.incrementPairs(m, pairs);
      await features.savePopularity(m, [...interactions].map(([itemId, n]) => ({ itemId, score: n, referenceTsMs: NOW, interactions: n, leafCategory: leaf(itemId) })));
      await features.saveSequences(m, [
        { userId: 'earbud-fan', steps: shop.items.filter((i) => leaf(i.itemId) === 'Earbuds').slice(0, 6).map((e, n) => ({ i: e.itemId, a: Action.VIEW, t: NOW - 1000 + n, s: 'S' })), updatedTsMs: NOW },
      ]);
    });
    catalog = new CatalogIndex(new CatalogStore(ds));
    await catalog.reload();
    categories = new CategoryCoPurchaseSnapshot(features);
    await categories.reload();
    recommender = make();
  });
  afterAll(async () => {
    await model.release();
    await ds.destroy();
  });

  it('completes a phone with the shop\'s complementary groups, best bundle first, with roles and reasons', async () => {
    const { bundles, modelVersion } = await recommender.compose(query({}));
    expect(bundles).toHaveLength(5);
    expect(modelVersion).toBe(`${bundleModel.version}+${model.modelVersion}`);
    const added = bundles.flatMap((b) => b.items.filter((i) => i.role !== 'anchor'));
    expect(added.filter((i) => phoneComplements.has(leaf(i.itemId))).length / added.length).toBeGreaterThanOrEqual(0.8);
    expect(added.some((i) => leaf(i.itemId) === 'Smartphones')).toBe(false);
    for (let i = 1; i < bundles.length; i++) expect(bundles[i].totalScore).toBeLessThanOrEqual(bundles[i - 1].totalScore);
    for (const b of bundles) {
      expect(b.items[0]).toMatchObject({ itemId: phone.itemId, role: 'anchor' });
      expect(b.items).toHaveLength(3);
      expect(b.reason).toMatch(/^(Completes your .+ with .+|Often bought together with .+)$/);
      for (const i of b.items.slice(1)) {
        expect(i.role).toBe(leaf(i.itemId));
        expect(i.reason).toMatch(/^(Fits your|Often bought together with|Goes with your|Shoppers who chose|Matches your|Picked to complete your) /);
      }
    }
    // A case made for this phone says so.
    const fitting = added.find((i) => byId.get(i.itemId)!.attributes['fits'] === phone.itemId);
    if (fitting) expect(fitting.reason).toBe(`Fits your ${phone.title}`);
    expect(new Set(bundles.map((b) => b.items.map((i) => i.itemId).sort().join())).size).toBe(5);
  });

  it("finds its model-space candidates through the scorer's retrieval: an HNSW graph gives the exact kernel's bundles", async () => {
    const retrieval = new ModelRetrieval({ mode: 'ann', annMinItems: 1, hnsw: { m: 16, efConstruction: 100, efSearch: 200 } });
    expect(await retrieval.ready(model)).toBe('ann');
    const searched = jest.spyOn(retrieval, 'topK');
    const kernel = jest.spyOn(model, 'topKBatch');
    const viaGraph = await make(8, retrieval).compose(query({ userId: 'earbud-fan' }));
    // Anchor vector and the shopper's vector: both searched in the graph, neither scanned by the kernel.
    expect(searched).toHaveBeenCalledTimes(2);
    expect(kernel).not.toHaveBeenCalled();
    kernel.mockRestore();
    const exact = await recommender.compose(query({ userId: 'earbud-fan' }));
    expect(viaGraph.bundles.map((b) => b.items.map((i) => i.itemId))).toEqual(exact.bundles.map((b) => b.items.map((i) => i.itemId)));
  });

  it('keeps the budget, stock, diversity, filters and exclusions', async () => {
    const first = await recommender.compose(query({}));
    const banned = first.bundles[0].items[1].itemId;
    const budget = (phone.price ?? 0) + 60;
    const { bundles } = await recommender.compose(query({ budget, requireCategoryDiversity: true, excludeItemIds: [banned], maxPrice: 100 }));
    expect(bundles.length).toBeGreaterThan(0);
    for (const b of bundles) {
      expect(b.totalPrice).toBeLessThanOrEqual(budget + 1e-9);
      expect(new Set(b.items.map((i) => leaf(i.itemId))).size).toBe(b.items.length);
      for (const i of b.items.slice(1)) {
        expect(i.itemId).not.toBe(banned);
        expect(byId.get(i.itemId)!.inStock).toBe(true);
        expect(i.price!).toBeLessThanOrEqual(100);
      }
    }
    // A budget below the anchor's own price leaves nothing to offer, which is an answer, not an error.
    expect((await recommender.compose(query({ budget: (phone.price ?? 0) - 1 }))).bundles).toEqual([]);
  });

  it('leans to the shopper: an earbud fan is offered the earbuds they looked at', async () => {
    const viewed = new Set(shop.items.filter((i) => leaf(i.itemId) === 'Earbuds').slice(0, 6).map((i) => i.itemId));
    const picked = (bundles: Awaited<ReturnType<BundleRecommender['compose']>>['bundles']) => bundles.flatMap((b) => b.items).filter((i) => viewed.has(i.itemId)).length;
    const anonymous = await recommender.compose(query({ count: 10 }));
    const fan = await recommender.compose(query({ count: 10, userId: 'earbud-fan' }));
    expect(picked(fan.bundles)).toBeGreaterThan(picked(anonymous.bundles));
  });

  it('rejects bad queries with a clear message and unknown anchors as unknown items', async () => {
    await expect(recommender.compose(query({ anchorItemIds: [] }))).rejects.toThrow(new InvalidBundleQueryError('anchor_item_ids needs at least one item (the current item or the cart)'));
    await expect(recommender.compose(query({ size: 6 }))).rejects.toThrow(/size must be between 2 and 5/);
    await expect(recommender.compose(query({ anchorItemIds: [phone.itemId, 'sku-000001'], size: 2 }))).rejects.toThrow(/leaves no room/);
    await expect(recommender.compose(query({ count: 0 }))).rejects.toThrow(/count must be between 1 and 20/);
    await expect(recommender.compose(query({ budget: Number.NaN }))).rejects.toThrow(/budget must be a finite number/);
    await expect(recommender.compose(query({ anchorItemIds: ['no-such-item'] }))).rejects.toBeInstanceOf(UnknownItemError);
  });

  it('refuses work beyond its concurrency bound instead of queueing without limit', async () => {
    const single = make(1);
    const results = await Promise.allSettled([single.compose(query({})), single.compose(query({}))]);
    expect(results[0].status).toBe('fulfilled');
    expect(results[1]).toMatchObject({ status: 'rejected', reason: expect.any(QueueFullError) });
  });
});
