import * as path from 'path';
import { Action } from '@recmesh/contracts';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { CatalogStore, FeatureStore, ModelRegistry, openStore } from '@recmesh/persistence';
import { generateSyntheticShop } from '@recmesh/synthetic-shop';
import { DataSource } from 'typeorm';
import { CatalogIndex, ModelVersionPool, UnknownItemError } from '@recmesh/serving-core';
import { Registry } from 'prom-client';
import { RecommendationScorer } from './recommendation-scorer';

jest.setTimeout(30_000);
const DEMO_MODEL_DIR = path.resolve(__dirname, '../../../tools/model/demo-model');
const TINY_MODEL_DIR = path.resolve(__dirname, '../../../tools/model/fixtures/tiny');
const NOW = Date.now();
const H = 72 * 3_600_000;

describe('RecommendationScorer on the demo model and the embedded store', () => {
  const shop = generateSyntheticShop({ seed: 42, items: 2000, users: 1 });
  const byId = new Map(shop.items.map((i) => [i.itemId, i]));
  const leaf = (id: string) => byId.get(id)!.categoryPath[1];
  const phones = shop.items.filter((i) => leaf(i.itemId) === 'Smartphones' && i.inStock).slice(0, 4);
  const soldOut = shop.items.find((i) => !i.inStock)!;
  let ds: DataSource;
  let model: SequentialRecommenderModel;
  let features: FeatureStore;
  let catalog: CatalogIndex;
  let scorer: RecommendationScorer;
  let versions: ModelVersionPool;
  // The tiny fixture's items (item-00 ... item-19) are in the catalog too; the demo model was not trained on them.
  const tinyItems = Array.from({ length: 20 }, (_, n) => ({ ...shop.items[0], itemId: `item-${String(n).padStart(2, '0')}`, title: `Tiny Thing ${n}`, inStock: true }));

  beforeAll(async () => {
    model = await SequentialRecommenderModel.load(DEMO_MODEL_DIR, { preferCuda: false });
    ds = await openStore({ kind: 'embedded' });
    const items = [...shop.items, { ...shop.items[0], itemId: 'brand-new-case', title: 'Shieldy Case Ultra 999', categoryPath: ['Electronics', 'Phone Cases'], brand: 'Shieldy', popularity: 0 }, ...tinyItems];
    await new CatalogStore(ds).applyBatch(
      items.map((i, n) => ({ eventId: `c${n}`, itemId: i.itemId, kind: 'upsert', tsMs: NOW, payload: '{}', ingestedAtMs: NOW })),
      items.map((i, n) => ({
        kind: 'upsert' as const, eventId: `c${n}`, tsMs: NOW,
        item: { itemId: i.itemId, title: i.title, description: '', categoryPath: [...i.categoryPath], brand: i.brand, price: i.price, currency: 'EUR', inStock: i.inStock ? 1 : 0, attributes: {} },
      })),
    );
    features = new FeatureStore(ds);
    await features.transaction(async (m) => {
      await features.saveSequences(m, [
        { userId: 'phone-browser', steps: phones.map((p, n) => ({ i: p.itemId, a: Action.VIEW, t: NOW - 10_000 + n, s: 'S' })), updatedTsMs: NOW },
        { userId: 'tiny-fan', steps: tinyItems.slice(0, 4).map((t, n) => ({ i: t.itemId, a: Action.VIEW, t: NOW - 10_000 + n, s: 'S' })), updatedTsMs: NOW },
        { userId: 'phone-buyer', steps: [{ i: phones[0].itemId, a: Action.VIEW, t: NOW - 2, s: 'S' }, { i: phones[0].itemId, a: Action.PURCHASE, t: NOW - 1, s: 'S' }], updatedTsMs: NOW },
      ]);
      const shoes = shop.items.filter((i) => leaf(i.itemId) === 'Running Shoes' && i.inStock).slice(0, 5);
      await features.savePopularity(m, [...shoes, soldOut].map((s, n) => ({ itemId: s.itemId, score: 100 - n, referenceTsMs: NOW, interactions: 10, leafCategory: leaf(s.itemId) })));
      await features.incrementPairs(m, [{ itemA: phones[0].itemId, itemB: 'sku-000001', session: 3, order: 2 }]);
    });
    catalog = new CatalogIndex(new CatalogStore(ds));
    await catalog.reload();
    const registry = new ModelRegistry(ds);
    await registry.register(model.modelVersion, DEMO_MODEL_DIR);
    await registry.registerCandidate('tiny-fixture-1', TINY_MODEL_DIR);
    versions = new ModelVersionPool({ registry, load: (dir) => SequentialRecommenderModel.load(dir, { preferCuda: false }), serving: () => model, catalog, maxVersions: 1, metrics: new Registry(), registryCheckMs: 60_000 });
    scorer = new RecommendationScorer({ model: () => model, features, catalog, versions, batching: { maxBatchSize: 32, maxWaitMs: 5, maxQueue: 1000 }, popularityHalfLifeMs: H, clock: () => NOW });
  });
  afterAll(async () => {
    await versions.close();
    await model.release();
    await ds.destroy();
  });

  const accessories = new Set(['Phone Cases', 'Chargers', 'Earbuds', 'Smartphones']);

  it('recommends phone gear to a shopper browsing phones, with reasons and the model version', async () => {
    const { items, modelVersion } = await scorer.recommend({ userId: 'phone-browser', k: 10, cartItemIds: [], categories: [], excludeItemIds: [] });
    expect(modelVersion).toBe(model.modelVersion);
    expect(items).toHaveLength(10);
    expect(items.filter((i) => accessories.has(leaf(i.itemId))).length).toBeGreaterThanOrEqual(6);
    expect(items.every((i) => i.reason.length > 0 && byId.get(i.itemId)!.inStock)).toBe(true);
    // Each reason names the viewed phone that supports the item (another phone: one of the four), or none;
    // never "bought" (the shopper only viewed), never one phone for the whole list.
    const viewed = new Set(phones.map((p) => `Because you viewed ${p.title}`));
    for (const i of items) expect(viewed.has(i.reason) || i.reason === 'Popular with shoppers like you').toBe(true);
    expect(items.filter((i) => leaf(i.itemId) === 'Smartphones').every((i) => viewed.has(i.reason))).toBe(true);
    expect(new Set(items.map((i) => i.reason)).size).toBeGreaterThan(1);
  });

  it('never returns what the shopper bought, and explains items bought with the cart', async () => {
    const { items } = await scorer.recommend({ userId: 'phone-buyer', k: 10, cartItemIds: [phones[0].itemId], categories: [], excludeItemIds: [] });
    expect(items.map((i) => i.itemId)).not.toContain(phones[0].itemId);
    const together = items.find((i) => i.itemId === 'sku-000001');
    if (together) expect(together).toMatchObject({ reasonCode: 'bought_together', reason: `Often bought with ${phones[0].title}` });
    // What the shopper bought is said as bought, not viewed.
    for (const i of items) expect(i.reason).not.toBe(`Because you viewed ${phones[0].title}`);
  });

  it('applies category, price and exclusion filters and never an out-of-stock item', async () => {
    const { items } = await scorer.recommend({ userId: 'phone-browser', k: 5, cartItemIds: [], categories: ['Chargers'], maxPrice: 40, excludeItemIds: [] });
    expect(items.length).toBeGreaterThan(0);
    for (const i of items) {
      expect(leaf(i.itemId)).toBe('Chargers');
      expect(i.price!).toBeLessThanOrEqual(40);
    }
  });

  it('answers an unknown user with what is trending, not an error', async () => {
    const { items } = await scorer.recommend({ userId: 'nobody', k: 3, cartItemIds: [], categories: ['Running Shoes'], excludeItemIds: [] });
    expect(items).toHaveLength(3);
    expect(items.map((i) => i.reasonCode)).toEqual(['trending', 'trending', 'trending']);
    expect(items[0].reason).toBe('Trending in Running Shoes');
    expect(items.map((i) => i.itemId)).not.toContain(soldOut.itemId);
  });

  it('scores concurrent requests together in micro-batches', async () => {
    await Promise.all(Array.from({ length: 16 }, () => scorer.recommend({ userId: 'phone-browser', k: 5, cartItemIds: [], categories: [], excludeItemIds: [] })));
    expect(Math.max(...scorer.batchSizes())).toBeGreaterThan(1);
  });

  it('finds items similar to a known item and to a brand-new one from its text and category', async () => {
    const similar = await scorer.similarItems({ itemId: phones[1].itemId, k: 5, categories: [], excludeItemIds: [] });
    expect(similar.items).toHaveLength(5);
    expect(similar.items.map((i) => i.itemId)).not.toContain(phones[1].itemId);
    const cold = await scorer.similarItems({ itemId: 'brand-new-case', k: 5, categories: [], excludeItemIds: [] });
    expect(cold.items).toHaveLength(5);
    expect(cold.items[0].reason).toBe('Similar to Shieldy Case Ultra 999');
    await expect(scorer.similarItems({ itemId: 'no-such-item', k: 5, categories: [], excludeItemIds: [] })).rejects.toBeInstanceOf(UnknownItemError);
  });

  describe('what an experiment arm serves', () => {
    const query = { k: 5, cartItemIds: [], categories: [], excludeItemIds: [] };

    it('answers from the registered version an arm names, and the default path stays the serving model', async () => {
      const before = await scorer.recommend({ ...query, userId: 'tiny-fan' });
      const arm = await scorer.recommend({ ...query, userId: 'tiny-fan', servedBy: { modelVersion: 'tiny-fixture-1' } });
      expect(arm.modelVersion).toBe('tiny-fixture-1');
      expect(arm.items).toHaveLength(5);
      for (const i of arm.items) expect(i).toMatchObject({ reasonCode: 'sequence', reason: expect.stringMatching(/^Because you viewed Tiny Thing [0-3]$/) });
      for (const viewed of ['item-00', 'item-01', 'item-02', 'item-03']) expect(arm.items.map((i) => i.itemId)).not.toContain(viewed);
      // The serving model knows none of the fan's items: trending for it, as before the arm asked.
      const after = await scorer.recommend({ ...query, userId: 'tiny-fan' });
      expect(after).toEqual(before);
      expect(after.modelVersion).toBe(model.modelVersion);
      expect(after.items.every((i) => i.reasonCode === 'trending')).toBe(true);
      const similar = await scorer.similarItems({ ...query, itemId: 'item-05', servedBy: { modelVersion: 'tiny-fixture-1' } });
      expect(similar.modelVersion).toBe('tiny-fixture-1');
      expect(similar.items.length).toBeGreaterThan(0);
      expect(similar.items[0].reason).toBe('Similar to Tiny Thing 5');
    });

    it('answers the popularity baseline with the trending items, the same for a known shopper as for a stranger', async () => {
      const popular = await scorer.recommend({ ...query, userId: 'phone-browser', servedBy: { strategy: 'popularity' } });
      const fallback = await scorer.recommend({ ...query, userId: 'nobody' });
      expect(popular.modelVersion).toBe('popularity');
      expect(popular.items.map((i) => i.itemId)).toEqual(fallback.items.map((i) => i.itemId));
      expect(popular.items.map((i) => i.reasonCode)).toEqual(['trending', 'trending', 'trending', 'trending', 'trending']);
      expect(popular.items[0].reason).toBe('Trending in Running Shoes');
      expect(popular.items.map((i) => i.itemId)).not.toContain(soldOut.itemId);
      const excluded = await scorer.recommend({ ...query, userId: 'phone-browser', excludeItemIds: [popular.items[0].itemId], servedBy: { strategy: 'popularity' } });
      expect(excluded.items.map((i) => i.itemId)).toEqual(popular.items.slice(1).map((i) => i.itemId));
    });

    it('answers similar items under the popularity baseline with the popular items of the same leaf category', async () => {
      const shoe = (await scorer.recommend({ ...query, userId: 'nobody', k: 1 })).items[0];
      const similar = await scorer.similarItems({ ...query, itemId: shoe.itemId, servedBy: { strategy: 'popularity' } });
      expect(similar.modelVersion).toBe('popularity');
      expect(similar.items.length).toBeGreaterThan(0);
      expect(similar.items.map((i) => i.itemId)).not.toContain(shoe.itemId);
      expect(similar.items.every((i) => i.reasonCode === 'trending' && leaf(i.itemId) === 'Running Shoes')).toBe(true);
      await expect(scorer.similarItems({ ...query, itemId: 'no-such-item', servedBy: { strategy: 'popularity' } })).rejects.toBeInstanceOf(UnknownItemError);
    });
  });
});
