import { create, toBinary } from '@bufbuild/protobuf';
import { Action, ClickstreamEventSchema, resolveTopicNames, topicDeclarations } from '@recmesh/contracts';
import { BusMessage, InMemoryMessageBus, MessageBatch } from '@recmesh/messaging';
import { CatalogStore, FeatureStore, openStore } from '@recmesh/persistence';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { FeatureMetrics } from './feature-metrics';
import { FeaturePipeline } from './feature-pipeline';

/** Ingest forwards at least once: the normalized topic may carry one event twice, in one batch or in two. */
describe('FeaturePipeline with the same event twice', () => {
  const topics = resolveTopicNames();
  const now = Date.now();
  let ds: DataSource;
  let features: FeatureStore;
  let registry: Registry;
  let pipeline: FeaturePipeline;
  let offset = 0;

  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
    features = new FeatureStore(ds);
    registry = new Registry();
    const bus = new InMemoryMessageBus();
    await bus.ensureTopics(topicDeclarations(topics));
    pipeline = new FeaturePipeline({
      bus, features, catalog: new CatalogStore(ds), metrics: new FeatureMetrics(registry), topics,
      sequenceLength: 10, popularityHalfLifeMs: 3_600_000, clock: () => now,
    });
  });
  afterEach(() => ds.destroy());

  const event = (eventId: string, itemId: string, action: Action, at: number): BusMessage => ({
    topic: topics.clickstreamNormalized, partition: 0, offset: String(offset++), key: Buffer.from('u1'), headers: {}, timestampMs: now,
    value: Buffer.from(toBinary(ClickstreamEventSchema, create(ClickstreamEventSchema, { eventId, userId: 'u1', sessionId: 'S1', itemId, action, tsMs: BigInt(now - 60_000 + at) }))),
  });
  const batch = (...messages: BusMessage[]): MessageBatch => ({ topic: topics.clickstreamNormalized, partition: 0, messages });
  const counted = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;

  async function expectAppliedOnce(): Promise<void> {
    expect((await features.sequence('u1'))!.map((s) => [s.i, s.a])).toEqual([['phone', Action.PURCHASE], ['case', Action.PURCHASE]]);
    expect(await features.popularity('case')).toMatchObject({ interactions: 1, score: 5 });
    expect(await features.pairsOf('phone', 10)).toEqual([{ itemA: 'phone', itemB: 'case', sessionCount: 1, orderCount: 1 }]);
    expect(await features.pairsOf('case', 10)).toEqual([{ itemA: 'case', itemB: 'phone', sessionCount: 1, orderCount: 1 }]);
  }

  it('applies an event that occurs twice in one batch once, and counts the copy as a duplicate', async () => {
    const phone = event('e1', 'phone', Action.PURCHASE, 1);
    const caseBought = event('e2', 'case', Action.PURCHASE, 2);
    await pipeline.handle(batch(phone, caseBought, { ...caseBought, offset: String(offset++) }));
    await expectAppliedOnce();
    expect(await counted('recmesh_features_events_applied_total')).toBe(2);
    expect(await counted('recmesh_features_events_redelivered_total')).toBe(1);
  });

  it('applies an event that comes again in a later batch once', async () => {
    const caseBought = event('e2', 'case', Action.PURCHASE, 2);
    await pipeline.handle(batch(event('e1', 'phone', Action.PURCHASE, 1), caseBought));
    await pipeline.handle(batch({ ...caseBought, offset: String(offset++) }, { ...caseBought, offset: String(offset++) }));
    await expectAppliedOnce();
    expect(await counted('recmesh_features_events_applied_total')).toBe(2);
    expect(await counted('recmesh_features_events_redelivered_total')).toBe(2);
  });
});
