import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { create, DescMessage, fromBinary, MessageInitShape } from '@bufbuild/protobuf';
import { ArmStrategy, BundleRequestSchema, HealthCheckRequestSchema, RecommendationServedSchema, RecommendRequestSchema, resolveTopicNames, SimilarItemsRequestSchema } from '@recmesh/contracts';
import { loadGatewayPackageDefinition, PROTO_LOADER_OPTIONS, statusesForMalformed } from '@recmesh/contracts/testing';
import { InMemoryMessageBus } from '@recmesh/messaging';
import { Registry } from 'prom-client';
import { GatewayCallError, GatewayGrpcServer } from './gateway-grpc-server';
import { GatewayMetrics } from './gateway-metrics';
import {
  BundleAnswer,
  BundleBackend,
  assignArm,
  BundleQuery as BundleBackendQuery,
  ExperimentAssigner,
  ExperimentPlan,
  InvalidRequestError,
  RecommendationBackend,
  Recommendations as BackendAnswer,
  RecommendedItem as BackendItem,
  RecommendQuery,
  ServingError,
  ServingErrorCode,
  SimilarQuery,
  UnknownItemError,
} from '@recmesh/serving-core';

class BackendOverloadedError extends ServingError {
  constructor(message: string) {
    super(ServingErrorCode.Overloaded, message);
  }
}

/** A backend the spec steers: answers, failures, slowness and readiness. */
class FakeBackend implements RecommendationBackend {
  ready = true;
  recommendQueries: RecommendQuery[] = [];
  similarQueries: SimilarQuery[] = [];
  onRecommend: (q: RecommendQuery) => Promise<BackendAnswer> = async (q) => ({
    modelVersion: 'sasrec-demo-7',
    items: (<BackendItem[]>[
      { itemId: 'sku-1', score: 0.93, reason: 'Because you viewed Trail Runner 2', reasonCode: 'viewed_similar', title: 'Trail Runner 3', price: 89.5 },
      { itemId: 'sku-2', score: 0.71, reason: 'Often bought together with Trail Runner 2', reasonCode: 'bought_together' },
      { itemId: 'sku-3', score: 0.4, reason: 'Trending in Running', reasonCode: 'trending', title: 'Socks', price: 0 },
    ]).slice(0, q.k),
  });
  onSimilar: (q: SimilarQuery) => Promise<BackendAnswer> = async (q) => {
    if (q.itemId === 'sku-unknown') throw new UnknownItemError(q.itemId);
    return { modelVersion: 'sasrec-demo-7', items: [{ itemId: 'sku-9', score: 0.88, reason: 'Similar description', reasonCode: 'text_similar', title: 'Trail Runner 2 GTX', price: 120 }] };
  };

  recommend(q: RecommendQuery): Promise<BackendAnswer> {
    this.recommendQueries.push(q);
    return this.onRecommend(q);
  }
  similarItems(q: SimilarQuery): Promise<BackendAnswer> {
    this.similarQueries.push(q);
    return this.onSimilar(q);
  }
  isReady(): boolean {
    return this.ready;
  }
}

/** A bundler the spec steers. */
class FakeBundles implements BundleBackend {
  queries: BundleBackendQuery[] = [];
  async bundles(q: BundleBackendQuery): Promise<BundleAnswer> {
    this.queries.push(q);
    if (q.anchorItemIds.includes('sku-unknown')) throw new UnknownItemError('sku-unknown');
    if (q.anchorItemIds.includes('sku-refused')) throw new InvalidRequestError('size 3 leaves no room next to 3 anchor item(s)');
    return {
      modelVersion: 'bundle-1+sasrec-demo-7',
      bundles: [
        {
          totalScore: 4.2, totalPrice: 564, reason: 'Completes your Nova Phone 3 with Phone Cases and Chargers',
          items: [
            { itemId: 'sku-phone', score: 0, reason: 'Your choice', reasonCode: 'complements_anchor', role: 'anchor', title: 'Nova Phone 3', price: 520 },
            { itemId: 'sku-case', score: 2.1, reason: 'Fits your Nova Phone 3', reasonCode: 'complements_anchor', role: 'Phone Cases', title: 'Shieldy Case 3', price: 19 },
            { itemId: 'sku-charger', score: 1.4, reason: 'Often bought together with Nova Phone 3', reasonCode: 'bought_together', role: 'Chargers', title: 'Voltix 30W', price: 25 },
          ],
        },
      ],
    };
  }
  isReady(): boolean {
    return true;
  }
}

interface Reply<T> {
  error: grpc.ServiceError | null;
  response?: T;
}

type AnyResponse = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function unary(client: grpc.Client, method: string, request: object, deadlineMs?: number): Promise<Reply<AnyResponse>> {
  const fn = (client as unknown as Record<string, (...args: unknown[]) => void>)[method].bind(client);
  return new Promise((resolve) => {
    const options: grpc.CallOptions = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
    fn(request, options, (error: grpc.ServiceError | null, response?: AnyResponse) => resolve({ error, response }));
  });
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(5);
  }
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const base = name.replace(/_(count|sum|bucket)$/, '');
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name || m.name === base);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
  return values.filter((v) => (v.metricName ?? metric?.name) === name).filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want)).reduce((sum, v) => sum + v.value, 0);
}

const topics = resolveTopicNames('spec.');
const MAX_IN_FLIGHT = 3;

interface Harness {
  server: GatewayGrpcServer;
  backend: FakeBackend;
  bus: InMemoryMessageBus;
  registry: Registry;
  client: grpc.Client;
  health: grpc.Client;
  stop(): Promise<void>;
}

async function startHarness(
  overrides: { defaultDeadlineMs?: number; servedTopic?: string; bundles?: BundleBackend; experiments?: ExperimentAssigner; maxStreamsPerConnection?: number } = {},
): Promise<Harness> {
  const bus = new InMemoryMessageBus();
  await bus.ensureTopics([{ name: topics.recommendationsServed, partitions: 6 }]);
  const backend = new FakeBackend();
  const registry = new Registry();
  const server = new GatewayGrpcServer({
    backend,
    bundles: overrides.bundles,
    bus,
    servedTopic: overrides.servedTopic ?? topics.recommendationsServed,
    metrics: new GatewayMetrics(registry),
    maxInFlight: MAX_IN_FLIGHT,
    defaultDeadlineMs: overrides.defaultDeadlineMs ?? 2000,
    healthWatchIntervalMs: 20,
    experiments: overrides.experiments,
    maxStreamsPerConnection: overrides.maxStreamsPerConnection,
  });
  const port = await server.start(0, '127.0.0.1');
  // The client is built from the same proto files the server serves.
  const loaded = grpc.loadPackageDefinition(loadGatewayPackageDefinition()) as unknown as {
    recmesh: { gateway: { v1: { RecommendationService: grpc.ServiceClientConstructor } } };
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  const address = `127.0.0.1:${port}`;
  const client = new loaded.recmesh.gateway.v1.RecommendationService(address, grpc.credentials.createInsecure());
  const health = new loaded.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  return {
    server,
    backend,
    bus,
    registry,
    client,
    health,
    stop: async () => {
      client.close();
      health.close();
      await server.stop(200);
      await bus.close();
    },
  };
}

describe('GatewayGrpcServer', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });
  beforeEach(() => {
    h.backend.recommendQueries = [];
    h.backend.similarQueries = [];
    h.backend.ready = true;
  });

  function servedRecords() {
    return h.bus.read(topics.recommendationsServed).map((m) => ({ key: m.key?.toString() ?? null, event: fromBinary(RecommendationServedSchema, m.value!) }));
  }

  it('answers Recommend with a rec_id, scored items with reasons and the model version, and publishes the served list', async () => {
    const before = Date.now();
    const { error, response } = await unary(h.client, 'Recommend', {
      userId: 'u-1',
      k: 0,
      context: { currentItemId: 'sku-100', cartItemIds: ['sku-200'], page: 'pdp' },
      filters: { categories: ['Running'], minPrice: 0, maxPrice: 150, excludeItemIds: ['sku-7'] },
    });
    expect(error).toBeNull();
    expect(response!.recId).toMatch(UUID_V4);
    expect(response!.modelVersion).toBe('sasrec-demo-7');
    expect(response!.items).toEqual([
      { itemId: 'sku-1', score: 0.93, reason: 'Because you viewed Trail Runner 2', reasonCode: 'REASON_CODE_VIEWED_SIMILAR', modelVersion: 'sasrec-demo-7', title: 'Trail Runner 3', price: 89.5, _price: 'price' },
      { itemId: 'sku-2', score: 0.71, reason: 'Often bought together with Trail Runner 2', reasonCode: 'REASON_CODE_BOUGHT_TOGETHER', modelVersion: 'sasrec-demo-7', title: '' },
      { itemId: 'sku-3', score: 0.4, reason: 'Trending in Running', reasonCode: 'REASON_CODE_TRENDING', modelVersion: 'sasrec-demo-7', title: 'Socks', price: 0, _price: 'price' },
    ]);

    const [query] = h.backend.recommendQueries;
    expect(query).toEqual({
      userId: 'u-1',
      k: 10,
      currentItemId: 'sku-100',
      cartItemIds: ['sku-200'],
      page: 'pdp',
      categories: ['Running'],
      minPrice: 0,
      maxPrice: 150,
      excludeItemIds: ['sku-7'],
      deadlineMs: expect.any(Number),
    });
    // No client deadline: the server's default (2 s) applies.
    expect(query.deadlineMs).toBeGreaterThanOrEqual(before + 2000);
    expect(query.deadlineMs).toBeLessThanOrEqual(Date.now() + 2000);

    await h.server.flushPublishes();
    const record = servedRecords().find((r) => r.event.recId === response!.recId);
    expect(record).toBeDefined();
    expect(record!.key).toBe('u-1');
    expect(record!.event).toMatchObject({ userId: 'u-1', surface: 'recommend', modelVersion: 'sasrec-demo-7' });
    expect(record!.event.items.map((i) => [i.itemId, i.position, i.score, i.reasonCode])).toEqual([
      ['sku-1', 1, 0.93, 'viewed_similar'],
      ['sku-2', 2, 0.71, 'bought_together'],
      ['sku-3', 3, 0.4, 'trending'],
    ]);
    expect(Number(record!.event.tsMs)).toBeGreaterThanOrEqual(before);
  });

  it('passes the client deadline down and gives every answer a fresh rec_id', async () => {
    const before = Date.now();
    const a = await unary(h.client, 'Recommend', { userId: 'u-2', k: 2 }, 500);
    const b = await unary(h.client, 'Recommend', { userId: 'u-2', k: 2 }, 500);
    expect(a.error).toBeNull();
    expect(a.response!.items).toHaveLength(2);
    expect(a.response!.recId).not.toBe(b.response!.recId);
    const q = h.backend.recommendQueries[0];
    expect(q).toEqual({ userId: 'u-2', k: 2, cartItemIds: [], categories: [], excludeItemIds: [], deadlineMs: expect.any(Number) });
    expect(q.deadlineMs).toBeGreaterThan(before);
    expect(q.deadlineMs).toBeLessThanOrEqual(before + 500 + 500);
  });

  it('answers SimilarItems with the anchor item and publishes the list (keyed by user_id when given)', async () => {
    const { error, response } = await unary(h.client, 'SimilarItems', { itemId: 'sku-100', k: 5, userId: 'u-3', filters: { maxPrice: 200 } });
    expect(error).toBeNull();
    expect(response!.recId).toMatch(UUID_V4);
    expect(response!.itemId).toBe('sku-100');
    expect(response!.modelVersion).toBe('sasrec-demo-7');
    expect(response!.items).toEqual([
      { itemId: 'sku-9', score: 0.88, reason: 'Similar description', reasonCode: 'REASON_CODE_TEXT_SIMILAR', modelVersion: 'sasrec-demo-7', title: 'Trail Runner 2 GTX', price: 120, _price: 'price' },
    ]);
    expect(h.backend.similarQueries[0]).toEqual({ itemId: 'sku-100', k: 5, userId: 'u-3', categories: [], maxPrice: 200, excludeItemIds: [], deadlineMs: expect.any(Number) });

    const anonymous = await unary(h.client, 'SimilarItems', { itemId: 'sku-100' });
    expect(anonymous.error).toBeNull();
    await h.server.flushPublishes();
    const records = servedRecords();
    const keyed = records.find((r) => r.event.recId === response!.recId)!;
    expect(keyed.key).toBe('u-3');
    expect(keyed.event).toMatchObject({ surface: 'similar_items', userId: 'u-3' });
    expect(keyed.event.items.map((i) => i.itemId)).toEqual(['sku-9']);
    const unkeyed = records.find((r) => r.event.recId === anonymous.response!.recId)!;
    expect(unkeyed.key).toBeNull();
    expect(unkeyed.event.userId).toBe('');
  });

  const tooMany = Array.from({ length: 101 }, (_, i) => `sku-${i}`);
  it.each([
    ['Recommend: user_id is required', 'Recommend', {}, 'user_id is required'],
    ['Recommend: user_id is longer than 128 characters', 'Recommend', { userId: 'u'.repeat(129) }, 'user_id is longer than 128 characters'],
    ['Recommend: user_id contains control characters', 'Recommend', { userId: 'u-1\n' }, 'user_id contains control characters'],
    ['Recommend: k must be between 1 and 200', 'Recommend', { userId: 'u-1', k: 201 }, 'k must be between 1 and 200'],
    ['Recommend: filters.min_price must be a finite number >= 0', 'Recommend', { userId: 'u-1', filters: { minPrice: -1 } }, 'filters.min_price must be a finite number >= 0'],
    ['Recommend: filters.max_price must be a finite number >= 0', 'Recommend', { userId: 'u-1', filters: { maxPrice: -0.5 } }, 'filters.max_price must be a finite number >= 0'],
    ['Recommend: filters.min_price (50) is above filters.max_price (10)', 'Recommend', { userId: 'u-1', filters: { minPrice: 50, maxPrice: 10 } }, 'filters.min_price (50) is above filters.max_price (10)'],
    ['Recommend: filters.exclude_item_ids has 101 entries, at most 100', 'Recommend', { userId: 'u-1', filters: { excludeItemIds: tooMany } }, 'filters.exclude_item_ids has 101 entries, at most 100'],
    ['Recommend: filters.categories has 101 entries, at most 100', 'Recommend', { userId: 'u-1', filters: { categories: tooMany } }, 'filters.categories has 101 entries, at most 100'],
    ['Recommend: context.cart_item_ids has 101 entries, at most 100', 'Recommend', { userId: 'u-1', context: { cartItemIds: tooMany } }, 'context.cart_item_ids has 101 entries, at most 100'],
    ['Recommend: context.cart_item_ids[1] contains control characters', 'Recommend', { userId: 'u-1', context: { cartItemIds: ['ok', 'bad\u0000id'] } }, 'context.cart_item_ids[1] contains control characters'],
    ['Recommend: context.current_item_id contains control characters', 'Recommend', { userId: 'u-1', context: { currentItemId: 'x\ty' } }, 'context.current_item_id contains control characters'],
    ['Recommend: filters.exclude_item_ids[0] is required', 'Recommend', { userId: 'u-1', filters: { excludeItemIds: [''] } }, 'filters.exclude_item_ids[0] is required'],
    ['SimilarItems: item_id is required', 'SimilarItems', {}, 'item_id is required'],
    ['SimilarItems: k must be between 1 and 200', 'SimilarItems', { itemId: 'sku-1', k: 1000 }, 'k must be between 1 and 200'],
    ['SimilarItems: item_id contains control characters', 'SimilarItems', { itemId: 'sku\u007f1' }, 'item_id contains control characters'],
    ['SimilarItems: user_id contains control characters', 'SimilarItems', { itemId: 'sku-1', userId: 'u\r' }, 'user_id contains control characters'],
    ['SimilarItems: filters.min_price (5) is above filters.max_price (4)', 'SimilarItems', { itemId: 'sku-1', filters: { minPrice: 5, maxPrice: 4 } }, 'filters.min_price (5) is above filters.max_price (4)'],
  ])('%s → INVALID_ARGUMENT', async (_label, method, request, message) => {
    const { error } = await unary(h.client, method, request);
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toContain(message);
    expect(h.backend.recommendQueries).toHaveLength(0);
    expect(h.backend.similarQueries).toHaveLength(0);
  });

  it.each([
    ['Recommend', RecommendRequestSchema, { userId: '@@', k: 5, context: { cartItemIds: ['sku-1'] }, filters: { categories: ['Shoes'], minPrice: 1 } }],
    ['SimilarItems', SimilarItemsRequestSchema, { itemId: '@@', k: 5, userId: 'u-1' }],
    ['Bundle', BundleRequestSchema, { userId: '@@', anchorItemIds: ['sku-phone'], size: 3, budget: 700 }],
    ['Check', HealthCheckRequestSchema, { service: '@@recmesh.gateway.v1.RecommendationService' }],
  ] as const)('answers INVALID_ARGUMENT to every malformed %s request (random bytes, truncations, invalid UTF-8), never reaching the backend', async (method, schema, valid) => {
    const service = method === 'Check' ? 'grpc.health.v1.Health' : 'recmesh.gateway.v1.RecommendationService';
    const { sent, codes } = await statusesForMalformed(`127.0.0.1:${h.server.port}`, `/${service}/${method}`, schema as DescMessage, valid as MessageInitShape<DescMessage>);
    expect(sent).toBeGreaterThan(50);
    expect(codes).toEqual(['INVALID_ARGUMENT']);
    expect(h.backend.recommendQueries).toHaveLength(0);
    expect(h.backend.similarQueries).toHaveLength(0);
  });

  it('answers NOT_FOUND for an item the backend does not know', async () => {
    const { error } = await unary(h.client, 'SimilarItems', { itemId: 'sku-unknown' });
    expect(error?.code).toBe(grpc.status.NOT_FOUND);
    expect(error?.details).toBe('item sku-unknown is not in the catalog');
  });

  it('maps an overloaded backend to RESOURCE_EXHAUSTED and any other failure to a generic INTERNAL', async () => {
    const original = h.backend.onRecommend;
    try {
      h.backend.onRecommend = async () => {
        throw new BackendOverloadedError('queue full');
      };
      const overloaded = await unary(h.client, 'Recommend', { userId: 'u-1' });
      expect(overloaded.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(overloaded.error?.details).toContain('overloaded');

      h.backend.onRecommend = async () => {
        throw new Error('secret connection string mysql://root:pw@db');
      };
      const failed = await unary(h.client, 'Recommend', { userId: 'u-1' });
      expect(failed.error?.code).toBe(grpc.status.INTERNAL);
      expect(failed.error?.details).toBe('internal error while computing recommendations');
      expect(failed.error?.details).not.toContain('secret');

      h.backend.onRecommend = () => {
        throw new TypeError('synchronous throw');
      };
      expect((await unary(h.client, 'Recommend', { userId: 'u-1' })).error?.code).toBe(grpc.status.INTERNAL);
    } finally {
      h.backend.onRecommend = original;
    }
    expect((await unary(h.client, 'Recommend', { userId: 'u-1' })).error).toBeNull();
  });

  it('refuses calls beyond GATEWAY_MAX_IN_FLIGHT with RESOURCE_EXHAUSTED at once, and serves again when they finish', async () => {
    const original = h.backend.onRecommend;
    const releases: Array<() => void> = [];
    h.backend.onRecommend = (q) => new Promise<void>((resolve) => releases.push(resolve)).then(() => original(q));
    try {
      const slow = Array.from({ length: MAX_IN_FLIGHT }, (_, i) => unary(h.client, 'Recommend', { userId: `u-slow-${i}` }));
      await waitFor(() => releases.length === MAX_IN_FLIGHT);
      expect(h.server.callsInFlight).toBe(MAX_IN_FLIGHT);
      expect(await metricValue(h.registry, 'recmesh_gateway_in_flight')).toBe(MAX_IN_FLIGHT);

      const started = Date.now();
      const refused = await unary(h.client, 'SimilarItems', { itemId: 'sku-1' });
      expect(refused.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(refused.error?.details).toContain(`limit of ${MAX_IN_FLIGHT} calls`);
      expect(Date.now() - started).toBeLessThan(1000);
      // With no latency measured (fixed mode) the retry pushback is its floor.
      expect(refused.error?.metadata.get('grpc-retry-pushback-ms')).toEqual(['20']);

      releases.forEach((release) => release());
      const answers = await Promise.all(slow);
      expect(answers.every((a) => a.error === null)).toBe(true);
    } finally {
      h.backend.onRecommend = original;
    }
    expect(h.server.callsInFlight).toBe(0);
    expect(await metricValue(h.registry, 'recmesh_gateway_in_flight')).toBe(0);
    expect((await unary(h.client, 'SimilarItems', { itemId: 'sku-1' })).error).toBeNull();
  });

  it("a client with a gRPC retry policy waits out the refusal's pushback and gets through", async () => {
    const original = h.backend.onRecommend;
    const releases: Array<() => void> = [];
    h.backend.onRecommend = (q) => new Promise<void>((resolve) => releases.push(resolve)).then(() => original(q));
    // A backoff of 100 s: a retry within seconds can only come from the server's pushback.
    const serviceConfig = { methodConfig: [{ name: [{ service: 'recmesh.gateway.v1.RecommendationService' }], retryPolicy: { maxAttempts: 5, initialBackoff: '100s', maxBackoff: '100s', backoffMultiplier: 1, retryableStatusCodes: ['RESOURCE_EXHAUSTED'] } }] };
    const loaded = grpc.loadPackageDefinition(loadGatewayPackageDefinition()) as unknown as { recmesh: { gateway: { v1: { RecommendationService: grpc.ServiceClientConstructor } } } };
    const retrying = new loaded.recmesh.gateway.v1.RecommendationService(`127.0.0.1:${h.server.port}`, grpc.credentials.createInsecure(), { 'grpc.service_config': JSON.stringify(serviceConfig) });
    const refusedBefore = await metricValue(h.registry, 'recmesh_gateway_requests_total', { method: 'SimilarItems', code: 'RESOURCE_EXHAUSTED' });
    try {
      const slow = Array.from({ length: MAX_IN_FLIGHT }, (_, i) => unary(h.client, 'Recommend', { userId: `u-slow-${i}` }));
      await waitFor(() => releases.length === MAX_IN_FLIGHT);
      const started = Date.now();
      const call = unary(retrying, 'SimilarItems', { itemId: 'sku-1' }, 10_000);
      // Refused once (the slots are held), then the slots free up before the pushback ends.
      for (let i = 0; i < 200 && (await metricValue(h.registry, 'recmesh_gateway_requests_total', { method: 'SimilarItems', code: 'RESOURCE_EXHAUSTED' })) === refusedBefore; i++) await sleep(2);
      releases.forEach((release) => release());
      const answer = await call;
      expect(answer.error).toBeNull();
      expect(Date.now() - started).toBeLessThan(5000);
      expect(await metricValue(h.registry, 'recmesh_gateway_requests_total', { method: 'SimilarItems', code: 'RESOURCE_EXHAUSTED' })).toBeGreaterThan(refusedBefore);
      await Promise.all(slow);
    } finally {
      h.backend.onRecommend = original;
      retrying.close();
    }
  });

  it('answers DEADLINE_EXCEEDED when the backend outlives the client deadline, frees the slot and keeps serving', async () => {
    const original = h.backend.onRecommend;
    let finishLate: () => void = () => undefined;
    h.backend.onRecommend = (q) => new Promise<void>((resolve) => (finishLate = resolve)).then(() => original(q));
    const deadlinesBefore = await metricValue(h.registry, 'recmesh_gateway_requests_total', { method: 'Recommend', code: 'DEADLINE_EXCEEDED' });
    const servedBefore = h.bus.read(topics.recommendationsServed).length;
    try {
      const started = Date.now();
      const { error } = await unary(h.client, 'Recommend', { userId: 'u-late' }, 150);
      expect(error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(h.backend.recommendQueries[0].deadlineMs).toBeLessThanOrEqual(started + 150 + 500);
      await waitFor(() => h.server.callsInFlight === 0);
      expect(await metricValue(h.registry, 'recmesh_gateway_requests_total', { method: 'Recommend', code: 'DEADLINE_EXCEEDED' })).toBe(deadlinesBefore + 1);
    } finally {
      h.backend.onRecommend = original;
    }
    // The backend's late answer is dropped: nothing answered, nothing published.
    finishLate();
    await sleep(20);
    await h.server.flushPublishes();
    expect(h.bus.read(topics.recommendationsServed)).toHaveLength(servedBefore);
    expect((await unary(h.client, 'Recommend', { userId: 'u-after' }, 1000)).error).toBeNull();
  });

  it('answers UNIMPLEMENTED for Bundle when no bundler is configured', async () => {
    const { error } = await unary(h.client, 'Bundle', { userId: 'u-1', anchorItemIds: ['sku-1'], size: 3, count: 1 });
    expect(error?.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(error?.details).toBe('this gateway has no bundler configured (BUNDLER_ADDRESS)');
  });

  it('serves grpc.health.v1.Health: SERVING while the backend is ready, NOT_SERVING otherwise, NOT_FOUND for unknown services', async () => {
    expect((await unary(h.health, 'Check', { service: '' })).response).toEqual({ status: 'SERVING' });
    expect((await unary(h.health, 'Check', { service: 'recmesh.gateway.v1.RecommendationService' })).response).toEqual({ status: 'SERVING' });
    h.backend.ready = false;
    expect((await unary(h.health, 'Check', { service: '' })).response).toEqual({ status: 'NOT_SERVING' });
    expect((await unary(h.health, 'Check', { service: 'no.such.Service' })).error?.code).toBe(grpc.status.NOT_FOUND);
  });

  it('streams health changes on Watch', async () => {
    const stream = (h.health as unknown as { Watch(req: object): grpc.ClientReadableStream<{ status: string }> }).Watch({ service: '' });
    const seen: string[] = [];
    stream.on('data', (m: { status: string }) => seen.push(m.status));
    stream.on('error', () => undefined);
    await waitFor(() => seen.length === 1);
    h.backend.ready = false;
    await waitFor(() => seen.length === 2);
    h.backend.ready = true;
    await waitFor(() => seen.length === 3);
    expect(seen).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    stream.cancel();
  });

  it('lists its services through server reflection (what grpcurl list uses)', async () => {
    const reflectionProtoDir = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto');
    const definition = protoLoader.loadSync('grpc/reflection/v1alpha/reflection.proto', { ...PROTO_LOADER_OPTIONS, includeDirs: [reflectionProtoDir] });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as { grpc: { reflection: { v1alpha: { ServerReflection: grpc.ServiceClientConstructor } } } };
    const client = new loaded.grpc.reflection.v1alpha.ServerReflection(`127.0.0.1:${h.server.port}`, grpc.credentials.createInsecure());
    try {
      const services = await new Promise<string[]>((resolve, reject) => {
        const stream = (client as unknown as { ServerReflectionInfo(): grpc.ClientDuplexStream<object, AnyResponse> }).ServerReflectionInfo();
        stream.on('data', (r: AnyResponse) => {
          resolve((r.listServicesResponse?.service ?? []).map((s: { name: string }) => s.name));
          stream.end();
        });
        stream.on('error', reject);
        stream.write({ listServices: '*' });
      });
      expect(services).toEqual(expect.arrayContaining(['recmesh.gateway.v1.RecommendationService', 'grpc.health.v1.Health']));

      // The descriptors carry the proto's snake_case field names, so grpcurl -d '{"user_id": ...}' works.
      const descriptors = await new Promise<Buffer>((resolve, reject) => {
        const stream = (client as unknown as { ServerReflectionInfo(): grpc.ClientDuplexStream<object, AnyResponse> }).ServerReflectionInfo();
        stream.on('data', (r: AnyResponse) => {
          resolve(Buffer.concat((r.fileDescriptorResponse?.fileDescriptorProto ?? []) as Buffer[]));
          stream.end();
        });
        stream.on('error', reject);
        stream.write({ fileContainingSymbol: 'recmesh.gateway.v1.RecommendationService' });
      });
      expect(descriptors.includes('exclude_item_ids')).toBe(true);
      expect(descriptors.includes('excludeItemIds')).toBe(false);
    } finally {
      client.close();
    }
  });

  it('counts requests by method and status code and times them', async () => {
    expect(await metricValue(h.registry, 'recmesh_gateway_requests_total', { method: 'Recommend', code: 'OK' })).toBeGreaterThan(0);
    expect(await metricValue(h.registry, 'recmesh_gateway_requests_total', { method: 'Recommend', code: 'INVALID_ARGUMENT' })).toBeGreaterThan(0);
    expect(await metricValue(h.registry, 'recmesh_gateway_requests_total', { method: 'Bundle', code: 'UNIMPLEMENTED' })).toBe(1);
    expect(await metricValue(h.registry, 'recmesh_gateway_request_seconds_count', { method: 'SimilarItems' })).toBeGreaterThan(0);
    expect(await metricValue(h.registry, 'recmesh_gateway_served_publish_failures_total')).toBe(0);
  });
});

describe('GatewayGrpcServer Bundle', () => {
  let h: Harness;
  const bundles = new FakeBundles();
  beforeAll(async () => {
    h = await startHarness({ bundles });
  });
  afterAll(() => h.stop());

  it('answers bundles with roles, reasons, the model version and a rec_id, and publishes the offered items', async () => {
    const { error, response } = await unary(h.client, 'Bundle', { userId: 'u-7', anchorItemIds: ['sku-phone'], budget: 600, filters: { categories: ['Electronics'] }, requireCategoryDiversity: true });
    expect(error).toBeNull();
    expect(response!.recId).toMatch(UUID_V4);
    expect(response!.modelVersion).toBe('bundle-1+sasrec-demo-7');
    expect(response!.bundles[0]).toMatchObject({ totalScore: 4.2, totalPrice: 564, reason: 'Completes your Nova Phone 3 with Phone Cases and Chargers' });
    expect(response!.bundles[0].items.map((i: AnyResponse) => [i.role, i.item.itemId, i.item.reason, i.item.reasonCode])).toEqual([
      ['anchor', 'sku-phone', 'Your choice', 'REASON_CODE_COMPLEMENTS_ANCHOR'],
      ['Phone Cases', 'sku-case', 'Fits your Nova Phone 3', 'REASON_CODE_COMPLEMENTS_ANCHOR'],
      ['Chargers', 'sku-charger', 'Often bought together with Nova Phone 3', 'REASON_CODE_BOUGHT_TOGETHER'],
    ]);
    // Defaults and the validated query reach the bundler.
    expect(bundles.queries.at(-1)).toMatchObject({ userId: 'u-7', anchorItemIds: ['sku-phone'], size: 3, count: 3, budget: 600, categories: ['Electronics'], requireCategoryDiversity: true });
    await h.server.flushPublishes();
    const record = h.bus.read(topics.recommendationsServed).map((m) => fromBinary(RecommendationServedSchema, m.value!)).find((r) => r.recId === response!.recId)!;
    expect(record.surface).toBe('bundle');
    expect(record.items.map((i) => i.itemId)).toEqual(['sku-case', 'sku-charger']);
  });

  it.each([
    [{ anchorItemIds: [] }, 'anchor_item_ids needs at least one item'],
    [{ anchorItemIds: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'], size: 5 }, 'at most 10 are allowed'],
    [{ anchorItemIds: ['sku-phone'], size: 6 }, 'size must be between 2 and 5'],
    [{ anchorItemIds: ['sku-phone', 'sku-case'], size: 2 }, 'size 2 leaves no room next to 2 anchor item(s)'],
    [{ anchorItemIds: ['sku-phone'], count: 21 }, 'count must be between 1 and 20'],
    [{ anchorItemIds: ['sku-phone'], budget: -1 }, 'budget must be a finite number >= 0'],
    [{ anchorItemIds: ['sku-phone'], userId: 'x'.repeat(200) }, 'user_id is longer than 128'],
    [{ anchorItemIds: ['sku-phone'], filters: { minPrice: 50, maxPrice: 10 } }, 'filters.min_price (50) is above filters.max_price (10)'],
    [{ anchorItemIds: ['sku-refused'] }, 'leaves no room'],
  ])('refuses %j with INVALID_ARGUMENT: %s', async (request, message) => {
    const { error } = await unary(h.client, 'Bundle', request);
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toContain(message);
  });

  it('answers NOT_FOUND for an unknown anchor', async () => {
    const { error } = await unary(h.client, 'Bundle', { anchorItemIds: ['sku-unknown'] });
    expect(error?.code).toBe(grpc.status.NOT_FOUND);
  });
});

describe('GatewayGrpcServer on its own', () => {
  it('answers DEADLINE_EXCEEDED itself at its default deadline when the client sets none', async () => {
    const h = await startHarness({ defaultDeadlineMs: 100 });
    try {
      h.backend.onRecommend = () => new Promise(() => undefined);
      const started = Date.now();
      const { error } = await unary(h.client, 'Recommend', { userId: 'u-1' });
      expect(error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(error?.details).toContain('no answer within the deadline');
      expect(Date.now() - started).toBeLessThan(1000);
      expect(h.server.callsInFlight).toBe(0);
    } finally {
      await h.stop();
    }
  });

  it('lets one connection hold GATEWAY_MAX_STREAMS_PER_CONNECTION calls: the rest wait in the client, none is refused', async () => {
    const h = await startHarness({ maxStreamsPerConnection: 2 });
    const original = h.backend.onRecommend;
    const releases: Array<() => void> = [];
    h.backend.onRecommend = (q) => new Promise<void>((resolve) => releases.push(resolve)).then(() => original(q));
    try {
      // Five calls on one channel against MAX_IN_FLIGHT = 3: without the cap, two would be refused.
      const calls = Array.from({ length: 5 }, (_, i) => unary(h.client, 'Recommend', { userId: `u-${i}` }, 10_000));
      await waitFor(() => releases.length === 2);
      await new Promise((r) => setTimeout(r, 200));
      expect(releases.length).toBe(2);
      expect(h.server.callsInFlight).toBe(2);
      // Each answer frees a stream for a waiting call.
      while (releases.length < 5) {
        const before = releases.length;
        releases.forEach((release) => release());
        await waitFor(() => releases.length > before);
      }
      releases.forEach((release) => release());
      const answers = await Promise.all(calls);
      expect(answers.map((a) => a.error?.code ?? 'OK')).toEqual(['OK', 'OK', 'OK', 'OK', 'OK']);
      expect(await metricValue(h.registry, 'recmesh_gateway_requests_total', { code: 'RESOURCE_EXHAUSTED' })).toBe(0);
    } finally {
      h.backend.onRecommend = original;
      await h.stop();
    }
  });

  it('still answers the shopper when the served list cannot be published, and counts the failure', async () => {
    const h = await startHarness({ servedTopic: 'spec.topic-that-does-not-exist' });
    try {
      const { error, response } = await unary(h.client, 'Recommend', { userId: 'u-1' });
      expect(error).toBeNull();
      expect(response!.items.length).toBeGreaterThan(0);
      await h.server.flushPublishes();
      expect(await metricValue(h.registry, 'recmesh_gateway_served_publish_failures_total')).toBe(1);
    } finally {
      await h.stop();
    }
  });

  it('turns NOT_SERVING and refuses new work once stopped', async () => {
    const h = await startHarness();
    const port = h.server.port!;
    expect(h.server.healthStatus()).toBe('SERVING');
    await h.server.stop(200);
    expect(h.server.healthStatus()).toBe('NOT_SERVING');
    expect(h.server.isListening()).toBe(false);
    const { error } = await unary(h.client, 'Recommend', { userId: 'u-1' }, 500);
    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(port).toBeGreaterThan(0);
    h.client.close();
    h.health.close();
    await h.bus.close();
  });
});

describe('GatewayGrpcServer in an A/B experiment', () => {
  const plan: ExperimentPlan = {
    name: 'ranker-test', salt: 'ranker-test', surfaces: ['recommend'], controlArm: 'control',
    arms: [
      { name: 'control', share: 0.4, strategy: ArmStrategy.SERVING_MODEL, modelVersion: '' },
      { name: 'candidate', share: 0.3, strategy: ArmStrategy.MODEL_VERSION, modelVersion: 'shop-2' },
      { name: 'popular', share: 0.3, strategy: ArmStrategy.POPULARITY, modelVersion: '' },
    ],
  };
  let h: Harness;
  beforeAll(async () => {
    const experiments = new ExperimentAssigner();
    experiments.replace([plan]);
    h = await startHarness({ experiments });
  });
  afterAll(() => h.stop());

  it("serves each user as their arm, records experiment and arm on the served list, and leaves other surfaces alone", async () => {
    const users = Array.from({ length: 30 }, (_, i) => `shopper-${i}`);
    for (const userId of users) expect((await unary(h.client, 'Recommend', { userId, k: 2 })).error).toBeNull();
    expect((await unary(h.client, 'SimilarItems', { itemId: 'sku-1', k: 1, userId: 'shopper-0' })).error).toBeNull();
    await h.server.flushPublishes();
    const expected = (unit: string) => assignArm(plan, unit);
    const servedBy = { control: undefined, candidate: { modelVersion: 'shop-2' }, popular: { strategy: 'popularity' } } as const;
    expect(h.backend.recommendQueries.map((q) => q.servedBy)).toEqual([...users].map((u) => servedBy[expected(u).name as keyof typeof servedBy]));
    expect(new Set(users.map((u) => expected(u).name)).size).toBe(3); // every arm is exercised
    const served = h.bus.read(topics.recommendationsServed).map((m) => fromBinary(RecommendationServedSchema, m.value!));
    // Published per partition (keyed by user): compared as sets.
    const byUser = (rows: string[][]) => rows.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    expect(byUser(served.filter((s) => s.surface === 'recommend').map((s) => [s.userId, s.experiment, s.arm]))).toEqual(byUser(users.map((u) => [u, 'ranker-test', expected(u).name])));
    expect(served.find((s) => s.surface === 'similar_items')).toMatchObject({ experiment: '', arm: '' });
    expect(h.backend.similarQueries[0].servedBy).toBeUndefined();
  });

  it("answers an arm whose version cannot serve with the serving version, and counts it", async () => {
    const candidateUser = Array.from({ length: 50 }, (_, i) => `other-${i}`).find((u) => assignArm(plan, u).name === 'candidate')!;
    h.backend.recommendQueries = [];
    const original = h.backend.onRecommend;
    h.backend.onRecommend = async (q) => {
      if (q.servedBy && 'modelVersion' in q.servedBy) throw new ServingError(ServingErrorCode.Unavailable, 'model version shop-2 failed to load');
      return original(q);
    };
    try {
      const { error, response } = await unary(h.client, 'Recommend', { userId: candidateUser, k: 2 });
      expect(error).toBeNull();
      expect(response?.modelVersion).toBe('sasrec-demo-7');
      expect(h.backend.recommendQueries.map((q) => q.servedBy)).toEqual([{ modelVersion: 'shop-2' }, undefined]);
      expect(await metricValue(h.registry, 'recmesh_gateway_arm_fallbacks_total', { experiment: 'ranker-test', arm: 'candidate' })).toBe(1);
      await h.server.flushPublishes();
      const served = h.bus.read(topics.recommendationsServed).map((m) => fromBinary(RecommendationServedSchema, m.value!)).find((s) => s.userId === candidateUser);
      expect(served).toMatchObject({ experiment: 'ranker-test', arm: 'candidate', modelVersion: 'sasrec-demo-7' });
    } finally {
      h.backend.onRecommend = original;
    }
  });
});

describe('GatewayGrpcServer in process', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });
  const served = (harness: Harness) => harness.bus.read(topics.recommendationsServed).map((m) => ({ key: m.key?.toString() ?? null, event: fromBinary(RecommendationServedSchema, m.value!) }));

  it('serves a call in process (invoke) as it serves one over gRPC: rec_id, published list, status on failure', async () => {
    const answer = await h.server.invoke('Recommend', create(RecommendRequestSchema, { userId: 'user-in-process', k: 2 }));
    expect(answer.recId).toMatch(UUID_V4);
    expect(answer.items.map((i) => [i.itemId, i.reason])).toEqual([['sku-1', 'Because you viewed Trail Runner 2'], ['sku-2', 'Often bought together with Trail Runner 2']]);
    await h.server.flushPublishes();
    const lists = served(h);
    expect(lists.map((r) => [r.key, r.event.recId, r.event.surface])).toEqual([['user-in-process', answer.recId, 'recommend']]);
    await expect(h.server.invoke('Recommend', create(RecommendRequestSchema, { userId: '', k: 2 }))).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/user_id/) });
    await expect(h.server.invoke('SimilarItems', create(SimilarItemsRequestSchema, { itemId: 'sku-unknown', k: 2 }))).rejects.toBeInstanceOf(GatewayCallError);
    await expect(h.server.invoke('Bundle', create(BundleRequestSchema, { anchorItemIds: ['sku-1'] }))).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });
});
