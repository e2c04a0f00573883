import * as path from 'path';
import { Action } from '@recmesh/contracts';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { CatalogStore, FeatureStore, openStore } from '@recmesh/persistence';
import { ConfigError, loadConfig } from '@recmesh/service-config';
import { CatalogIndex } from '@recmesh/serving-core';
import { generateSyntheticShop } from '@recmesh/synthetic-shop';
import { ModelRetrieval } from '@recmesh/vector-retrieval';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { RecommendationScorer } from './recommendation-scorer';
import { ScorerConfigSchema } from './scorer.config';

jest.setTimeout(60_000);
const DEMO_MODEL_DIR = path.resolve(__dirname, '../../../tools/model/demo-model');
const NOW = Date.now();

/**
 * The scorer with SCORER_RETRIEVAL=ann: Recommend and SimilarItems take their candidates from the
 * HNSW graph (the model's exact kernel is not called) and, on the demo catalog, answer what the
 * exact path answers, filters and exclusions included.
 */
describe('RecommendationScorer with HNSW retrieval', () => {
  const shop = generateSyntheticShop({ seed: 42, items: 2000, users: 1 });
  let ds: DataSource;
  let model: SequentialRecommenderModel;
  let exact: RecommendationScorer;
  let ann: RecommendationScorer;
  let retrieval: ModelRetrieval;
  const metrics = { exact: new Registry(), ann: new Registry() };

  beforeAll(async () => {
    model = await SequentialRecommenderModel.load(DEMO_MODEL_DIR, { preferCuda: false });
    ds = await openStore({ kind: 'embedded' });
    await new CatalogStore(ds).applyBatch(
      shop.items.map((i, n) => ({ eventId: `c${n}`, itemId: i.itemId, kind: 'upsert', tsMs: NOW, payload: '{}', ingestedAtMs: NOW })),
      shop.items.map((i, n) => ({
        kind: 'upsert' as const, eventId: `c${n}`, tsMs: NOW,
        item: { itemId: i.itemId, title: i.title, description: '', categoryPath: [...i.categoryPath], brand: i.brand, price: i.price, currency: 'EUR', inStock: i.inStock ? 1 : 0, attributes: {} },
      })),
    );
    const features = new FeatureStore(ds);
    await features.transaction((m) =>
      features.saveSequences(m, [{ userId: 'shopper', steps: shop.items.slice(0, 6).map((p, n) => ({ i: p.itemId, a: Action.VIEW, t: NOW - 10_000 + n, s: 'S' })), updatedTsMs: NOW }]),
    );
    const catalog = new CatalogIndex(new CatalogStore(ds));
    await catalog.reload();
    const options = { model: () => model, features, catalog, batching: { maxBatchSize: 8, maxWaitMs: 1, maxQueue: 100 }, popularityHalfLifeMs: 3_600_000, clock: () => NOW };
    retrieval = new ModelRetrieval({ mode: 'ann', annMinItems: 1, hnsw: { m: 16, efConstruction: 100, efSearch: 100 } });
    exact = new RecommendationScorer({ ...options, metrics: metrics.exact });
    ann = new RecommendationScorer({ ...options, retrieval, metrics: metrics.ann });
    expect(await retrieval.ready(model)).toBe('ann');
  });

  afterAll(async () => {
    await model.release();
    await ds.destroy();
  });

  it('Recommend and SimilarItems come from the graph and match the exact answers', async () => {
    const kernel = jest.spyOn(model, 'topKBatch');
    const recommend = { userId: 'shopper', k: 10, cartItemIds: [], categories: [], excludeItemIds: [shop.items[10].itemId] };
    const similar = { itemId: shop.items[0].itemId, k: 10, categories: [], excludeItemIds: [] };
    const fromGraph = { recommend: await ann.recommend(recommend), similar: await ann.similarItems(similar) };
    expect(kernel).not.toHaveBeenCalled();
    kernel.mockRestore();
    const fromKernel = { recommend: await exact.recommend(recommend), similar: await exact.similarItems(similar) };
    for (const kind of ['recommend', 'similar'] as const) {
      expect(fromGraph[kind].items).toHaveLength(10);
      expect(fromGraph[kind].items.map((i) => i.itemId)).toEqual(fromKernel[kind].items.map((i) => i.itemId));
    }
    const answered = fromGraph.recommend.items.map((i) => i.itemId);
    for (const seenOrExcluded of [...shop.items.slice(0, 6), shop.items[10]]) expect(answered).not.toContain(seenOrExcluded.itemId);
  });

  it('counts the query vectors each retrieval answered on /metrics', async () => {
    const counted = async (registry: Registry) =>
      Object.fromEntries((await registry.getSingleMetric('recmesh_scorer_topk_queries_total')!.get()).values.map((v) => [v.labels.retrieval, v.value]));
    const before = { exact: await counted(metrics.exact), ann: await counted(metrics.ann) };
    const recommend = { userId: 'shopper', k: 5, cartItemIds: [], categories: [], excludeItemIds: [] };
    await Promise.all([ann.recommend(recommend), ann.recommend(recommend), exact.recommend(recommend)]);
    expect((await counted(metrics.ann)).ann - (before.ann.ann ?? 0)).toBe(2);
    expect((await counted(metrics.ann)).exact).toBeUndefined();
    expect((await counted(metrics.exact)).exact - (before.exact.exact ?? 0)).toBe(1);
  });

  it('has its settings in the scorer configuration, validated at start-up', () => {
    expect(loadConfig(ScorerConfigSchema, { SCORER_RETRIEVAL: 'ann', SCORER_ANN_EF_SEARCH: '64' })).toMatchObject({ SCORER_RETRIEVAL: 'ann', SCORER_ANN_EF_SEARCH: 64, SCORER_ANN_M: 16 });
    expect(() => loadConfig(ScorerConfigSchema, { SCORER_RETRIEVAL: 'hnsw', SCORER_ANN_M: '1000' })).toThrow(ConfigError);
  });
});
