import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import { PROTO_ROOT, resolveTopicNames, ScoreRequestSchema, ScoreSimilarRequestSchema } from '@recmesh/contracts';
import { statusesForMalformed } from '@recmesh/contracts/testing';
import { CatalogStore, FeatureStore, ModelRegistry } from '@recmesh/persistence';
import { loadConfig } from '@recmesh/service-config';
import { Infrastructure, openInfrastructure } from '@recmesh/service-runtime';
import { generateSyntheticShop } from '@recmesh/synthetic-shop';
import { Registry } from 'prom-client';
import { InternalGrpcServer, ServingState } from '@recmesh/serving-core';
import { scorerGrpcServer } from './scorer-grpc';
import { ScorerConfigSchema } from './scorer.config';
import { buildScorer } from './scorer.module';

jest.setTimeout(60_000);

type Unary = (req: object, options: { deadline: number }, cb: (err: grpc.ServiceError | null, res: { items: Array<Record<string, unknown>>; modelVersion: string }) => void) => void;

describe('scorer over gRPC', () => {
  let server: InternalGrpcServer;
  let state: ServingState;
  let infra: Infrastructure;
  let client: grpc.Client & { score: Unary; scoreSimilar: Unary };
  const metrics = new Registry();
  const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'broken-model-'));
  const port = 50_000 + Math.floor(Math.random() * 5000);
  const call = (method: 'score' | 'scoreSimilar', req: object) =>
    new Promise<{ items: Array<Record<string, unknown>>; modelVersion: string }>((resolve, reject) =>
      client[method](req, { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res))),
    );

  beforeAll(async () => {
    const config = loadConfig(ScorerConfigSchema, { SCORER_MODEL_DIR: path.resolve(__dirname, '../../../tools/model/demo-model'), SCORER_PREFER_CUDA: 'false', RECMESH_DATA_DIR: ':memory:' });
    infra = await openInfrastructure(config, 'spec');
    const shop = generateSyntheticShop({ seed: 42, items: 2000, users: 1 });
    await new CatalogStore(infra.dataSource).applyBatch(
      shop.items.slice(0, 50).map((i, n) => ({ eventId: `c${n}`, itemId: i.itemId, kind: 'upsert', tsMs: 1, payload: '{}', ingestedAtMs: 1 })),
      shop.items.slice(0, 50).map((i, n) => ({
        kind: 'upsert' as const, eventId: `c${n}`, tsMs: 1,
        item: { itemId: i.itemId, title: i.title, description: '', categoryPath: [...i.categoryPath], brand: i.brand, price: i.price, currency: 'EUR', inStock: 1, attributes: {} },
      })),
    );
    const features = new FeatureStore(infra.dataSource);
    await features.transaction((m) =>
      features.savePopularity(m, shop.items.slice(0, 3).map((i, n) => ({ itemId: i.itemId, score: 10 - n, referenceTsMs: Date.now(), interactions: 5, leafCategory: i.categoryPath[1] }))),
    );
    state = await ServingState.open(config, infra, resolveTopicNames(), metrics);
    await state.start();
    server = scorerGrpcServer(buildScorer(config, state, infra));
    await server.start(port, '127.0.0.1');
    const definition = protoLoader.loadSync('recmesh/scorer/v1/scorer.proto', { includeDirs: [PROTO_ROOT], keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
    const Service = (grpc.loadPackageDefinition(definition) as unknown as { recmesh: { scorer: { v1: { ScorerService: grpc.ServiceClientConstructor } } } }).recmesh.scorer.v1.ScorerService;
    client = new Service(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as typeof client;
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
    await state?.stop();
    await infra?.close();
    fs.rmSync(broken, { recursive: true, force: true });
  });

  it('answers a known item with similar items carrying reasons and the model version', async () => {
    const res = await call('scoreSimilar', { itemId: 'sku-000000', k: 5 });
    expect(res.items.length).toBeGreaterThan(0);
    expect(res.items[0]).toMatchObject({ reasonCode: expect.stringMatching(/^REASON_CODE_/), modelVersion: res.modelVersion });
    expect(String(res.items[0].reason)).toMatch(/^(Similar to|Often bought with) /);
  });

  it.each([
    ['a missing user id', 'score', { k: 5 }, grpc.status.INVALID_ARGUMENT, /user_id is required/],
    ['k out of range', 'score', { userId: 'u', k: 500 }, grpc.status.INVALID_ARGUMENT, /k must be between 1 and 200/],
    ['inverted price range', 'score', { userId: 'u', filters: { minPrice: 10, maxPrice: 5 } }, grpc.status.INVALID_ARGUMENT, /min_price must not exceed max_price/],
    ['an unknown item', 'scoreSimilar', { itemId: 'nope', k: 5 }, grpc.status.NOT_FOUND, /not in the catalog/],
  ] as const)('refuses %s with a clear status', async (_name, method, req, code, message) => {
    await expect(call(method, req)).rejects.toMatchObject({ code, details: expect.stringMatching(message) });
  });

  it.each([
    ['Score', ScoreRequestSchema, { userId: '@@', k: 5, cartItemIds: ['sku-000001'], filters: { categories: ['Phones'], maxPrice: 900 } }],
    ['ScoreSimilar', ScoreSimilarRequestSchema, { itemId: '@@', k: 5 }],
  ] as const)('answers INVALID_ARGUMENT to every malformed %s request', async (method, schema, valid) => {
    const { sent, codes } = await statusesForMalformed(`127.0.0.1:${port}`, `/recmesh.scorer.v1.ScorerService/${method}`, schema as DescMessage, valid as MessageInitShape<DescMessage>);
    expect(sent).toBeGreaterThan(50);
    expect(codes).toEqual(['INVALID_ARGUMENT']);
  });

  describe('what an experiment arm serves', () => {
    beforeAll(async () => {
      const registry = new ModelRegistry(infra.dataSource);
      await registry.registerCandidate('tiny-fixture-1', path.resolve(__dirname, '../../../tools/model/fixtures/tiny'));
      await registry.registerCandidate('shop-retired', path.resolve(__dirname, '../../../tools/model/fixtures/tiny'));
      await registry.retire('shop-retired');
      fs.writeFileSync(path.join(broken, 'manifest.json'), '{ not json');
      await registry.registerCandidate('shop-broken', broken);
    });

    it('answers from a registered candidate with its model version, and from the serving model without one', async () => {
      const serving = await call('score', { userId: 'stranger', k: 3 });
      const arm = await call('score', { userId: 'stranger', k: 3, modelVersion: 'tiny-fixture-1' });
      expect(arm.modelVersion).toBe('tiny-fixture-1');
      expect(arm.items.every((i) => i.modelVersion === 'tiny-fixture-1')).toBe(true);
      expect((await call('scoreSimilar', { itemId: 'sku-000000', k: 3, modelVersion: 'tiny-fixture-1' })).modelVersion).toBe('tiny-fixture-1');
      const ids = (res: { items: Array<Record<string, unknown>> }) => res.items.map((i) => i.itemId);
      expect(ids(await call('score', { userId: 'stranger', k: 3 }))).toEqual(ids(serving));
      expect(serving.modelVersion).toBe(state.model.current().modelVersion);
      expect(await metrics.metrics()).toContain('recmesh_scorer_extra_model_versions_loaded 1');
    });

    it('answers the popularity baseline with trending items', async () => {
      const res = await call('score', { userId: 'stranger', k: 3, popularity: {} });
      expect(res.modelVersion).toBe('popularity');
      expect(res.items.map((i) => i.reasonCode)).toEqual(['REASON_CODE_TRENDING', 'REASON_CODE_TRENDING', 'REASON_CODE_TRENDING']);
      expect(res.items.every((i) => i.modelVersion === 'popularity')).toBe(true);
    });

    it.each([
      ['an unknown version', { modelVersion: 'shop-never-registered' }, grpc.status.NOT_FOUND, /model version shop-never-registered is not registered/],
      ['a retired version', { modelVersion: 'shop-retired' }, grpc.status.NOT_FOUND, /model version shop-retired is retired/],
      ['a malformed version', { modelVersion: 'shop/../x' }, grpc.status.INVALID_ARGUMENT, /model_version must be letters, digits/],
      ['a version that fails to load', { modelVersion: 'shop-broken' }, grpc.status.UNAVAILABLE, /model version shop-broken failed to load/],
    ] as const)('refuses %s with a clear status while the serving model keeps answering', async (_name, servedBy, code, message) => {
      await expect(call('score', { userId: 'u', k: 3, ...servedBy })).rejects.toMatchObject({ code, details: expect.stringMatching(message) });
      await expect(call('scoreSimilar', { itemId: 'sku-000000', k: 3, ...servedBy })).rejects.toMatchObject({ code });
      expect((await call('score', { userId: 'u', k: 3 })).modelVersion).toBe(state.model.current().modelVersion);
    });
  });

  it('answers an unknown user without an error', async () => {
    const res = await call('score', { userId: 'stranger', k: 3 });
    expect(Array.isArray(res.items)).toBe(true);
  });
});
