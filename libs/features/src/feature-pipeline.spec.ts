import { fromBinary } from '@bufbuild/protobuf';
import { Action, EntityType, FeatureUpdatedSchema, resolveTopicNames, topicDeclarations } from '@recmesh/contracts';
import { IngestMetrics, IngestPipeline, IngestWorker, DEFAULT_VALIDATION_LIMITS } from '@recmesh/ingestion';
import { ConsumerWorker, InMemoryMessageBus } from '@recmesh/messaging';
import { CatalogStore, ClickstreamEventStore, FeatureStore, openStore } from '@recmesh/persistence';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { FeatureMetrics } from './feature-metrics';
import { FeaturePipeline, ItemTextEmbedder } from './feature-pipeline';

jest.setTimeout(30_000);

async function until(predicate: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('FeaturePipeline behind ingest on the embedded profile', () => {
  const topics = resolveTopicNames();
  let bus: InMemoryMessageBus;
  let ds: DataSource;
  let features: FeatureStore;
  let workers: ConsumerWorker[];
  const embedded: string[] = [];
  const embedder: ItemTextEmbedder = {
    name: 'fake-length-encoder',
    embed: async (texts) => texts.map((t) => (embedded.push(t), new Float32Array([t.length, 1, 0]))),
  };

  beforeEach(async () => {
    embedded.length = 0;
    bus = new InMemoryMessageBus();
    ds = await openStore({ kind: 'embedded' });
    features = new FeatureStore(ds);
    const ingest = new IngestPipeline({
      bus, topics, clickstreamStore: new ClickstreamEventStore(ds), catalogStore: new CatalogStore(ds),
      metrics: new IngestMetrics(new Registry()), limits: DEFAULT_VALIDATION_LIMITS,
    });
    const pipeline = new FeaturePipeline({
      bus, features, catalog: new CatalogStore(ds), metrics: new FeatureMetrics(new Registry()), topics,
      sequenceLength: 3, popularityHalfLifeMs: 3_600_000, textEmbedder: embedder,
    });
    workers = [
      new IngestWorker({ bus, pipeline: ingest, groupId: 'ingest', maxBatchMessages: 100, partitionsConcurrently: 1, topics }),
      new ConsumerWorker({
        name: 'features', bus, groupId: 'features', declare: topicDeclarations(topics), consume: [topics.clickstreamNormalized, topics.catalogNormalized],
        handler: (b) => pipeline.handle(b), maxBatchMessages: 100, partitionsConcurrently: 1,
      }),
    ];
    for (const w of workers) await w.start();
  });
  afterEach(async () => {
    for (const w of workers) await w.stop();
    await bus.close();
    await ds.destroy();
  });

  const now = Date.now();
  const click = (id: string, user: string, item: string, action: string, session: string, offset: number) => ({
    key: user,
    value: JSON.stringify({ event_id: id, user_id: user, item_id: item, action, session_id: session, ts_ms: now - 60_000 + offset }),
  });

  it('keeps sequences, popularity and session/order co-occurrence, and announces the changes', async () => {
    await bus.publish(topics.catalogRaw, [
      { key: 'phone', value: JSON.stringify({ event_id: 'c1', ts_ms: now - 120_000, upsert: { item_id: 'phone', title: 'Nova Phone X', category_path: ['Electronics', 'Smartphones'], brand: 'Nova' } }) },
    ]);
    await bus.publish(topics.clickstreamRaw, [
      click('e1', 'u1', 'phone', 'view', 'S1', 1),
      click('e2', 'u1', 'phone', 'purchase', 'S1', 2),
      click('e3', 'u1', 'case', 'view', 'S1', 3),
      click('e4', 'u1', 'case', 'purchase', 'S1', 4),
      click('e5', 'u1', 'charger', 'view', 'S2', 5),
    ]);
    await until(async () => (await features.sequence('u1'))?.length === 3);
    expect((await features.sequence('u1'))!.map((s) => [s.i, s.a])).toEqual([
      ['case', Action.VIEW], ['case', Action.PURCHASE], ['charger', Action.VIEW],
    ]);
    const phone = await features.popularity('phone');
    expect(phone).toMatchObject({ interactions: 2, leafCategory: 'Smartphones' });
    expect(phone!.score).toBeCloseTo(1 * Math.pow(0.5, 1 / 3_600_000) + 5, 6);
    expect(await features.pairsOf('phone', 10)).toEqual([{ itemA: 'phone', itemB: 'case', sessionCount: 1, orderCount: 1 }]);
    expect(await features.pairsOf('charger', 10)).toEqual([]);
    expect(embedded).toEqual(['Nova Phone X. Electronics > Smartphones. Nova']);
    expect((await features.textEmbedding('phone'))?.encoder).toBe('fake-length-encoder');

    const updates = bus.read(topics.featuresUpdated).map((m) => fromBinary(FeatureUpdatedSchema, m.value!));
    expect(updates.find((u) => u.entityType === EntityType.USER && u.entityId === 'u1')?.features).toEqual(['sequence']);
    expect(updates.find((u) => u.entityType === EntityType.ITEM && u.entityId === 'phone' && u.features.includes('co_occurrence'))).toBeDefined();
  });

  it('changes nothing when the same normalized events are delivered again', async () => {
    await bus.publish(topics.clickstreamRaw, [click('e1', 'u2', 'phone', 'view', 'S', 1), click('e2', 'u2', 'case', 'view', 'S', 2)]);
    await until(async () => (await features.sequence('u2'))?.length === 2);
    const before = { seq: await features.sequence('u2'), pop: await features.popularity('phone'), pairs: await features.pairsOf('phone', 5) };
    // Replay the normalized topic as a redelivery after a crash would.
    await bus.publish(topics.clickstreamNormalized, bus.read(topics.clickstreamNormalized).map((m) => ({ key: m.key, value: m.value! })));
    await until(() => bus.read(topics.clickstreamNormalized).length === 4);
    await new Promise((r) => setTimeout(r, 300));
    expect({ seq: await features.sequence('u2'), pop: await features.popularity('phone'), pairs: await features.pairsOf('phone', 5) }).toEqual(before);
  });

  it('does not embed an item again when only its price changed', async () => {
    const upsert = (id: string, price: number) => ({ key: 'p', value: JSON.stringify({ event_id: id, ts_ms: now, upsert: { item_id: 'p', title: 'Mug', category_path: ['Home'], price } }) });
    await bus.publish(topics.catalogRaw, [upsert('c1', 10)]);
    await until(() => embedded.length === 1);
    await bus.publish(topics.catalogRaw, [upsert('c2', 12)]);
    await until(() => bus.read(topics.catalogNormalized).length === 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(embedded).toHaveLength(1);
  });
});
