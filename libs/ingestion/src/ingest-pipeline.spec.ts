import { fromBinary } from '@bufbuild/protobuf';
import { ClickstreamEventSchema, DeadLetterHeaders, resolveTopicNames, Topics } from '@recmesh/contracts';
import { InMemoryMessageBus } from '@recmesh/messaging';
import { CatalogStore, ClickstreamEventStore, openStore } from '@recmesh/persistence';
import { buildRawClickstreamMix, ExpectedReason, generateSyntheticShop } from '@recmesh/synthetic-shop';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { IngestMetrics } from './ingest-metrics';
import { IngestPipeline } from './ingest-pipeline';
import { IngestWorker } from './ingest-worker';
import { DEFAULT_VALIDATION_LIMITS } from './validation-limits';

async function until(predicate: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

jest.setTimeout(60_000);

describe('IngestPipeline on the embedded profile', () => {
  let bus: InMemoryMessageBus;
  let ds: DataSource;
  let registry: Registry;
  let worker: IngestWorker;
  const shop = generateSyntheticShop({ seed: 11, items: 300, users: 150, startMs: Date.now() - 5 * 86_400_000 });
  const mix = buildRawClickstreamMix(shop.events, { malformedRate: 0.05, duplicateRate: 0.05, seed: 11 });

  beforeEach(async () => {
    bus = new InMemoryMessageBus();
    ds = await openStore({ kind: 'embedded' });
    registry = new Registry();
    const pipeline = new IngestPipeline({
      bus,
      clickstreamStore: new ClickstreamEventStore(ds),
      catalogStore: new CatalogStore(ds),
      metrics: new IngestMetrics(registry),
      limits: DEFAULT_VALIDATION_LIMITS,
    });
    worker = new IngestWorker({ bus, pipeline, groupId: 'ingest', maxBatchMessages: 200, partitionsConcurrently: 1, topics: resolveTopicNames() });
    await worker.start();
  });
  afterEach(async () => {
    await worker.stop();
    await bus.close();
    await ds.destroy();
  });

  it('stores and forwards exactly the valid unique events and dead-letters the rest with reasons', async () => {
    await bus.publish(Topics.clickstreamRaw.name, mix);
    const valid = mix.filter((r) => r.kind === 'valid');
    const malformed = mix.filter((r) => r.kind === 'malformed');
    const store = new ClickstreamEventStore(ds);
    await until(async () => {
      return bus.read(Topics.ingestDeadLetter.name).length === malformed.length && (await store.count()) === valid.length;
    });

    expect((await store.allEventIds()).sort()).toEqual(valid.map((r) => r.eventId!).sort());
    const forwarded = bus.read(Topics.clickstreamNormalized.name).map((m) => fromBinary(ClickstreamEventSchema, m.value!));
    expect(forwarded.map((e) => e.eventId).sort()).toEqual(valid.map((r) => r.eventId!).sort());
    // Keyed by user: one user's events stay in one partition, in event order.
    const normalized = bus.read(Topics.clickstreamNormalized.name);
    for (const m of normalized) expect(m.key!.toString()).toBe(fromBinary(ClickstreamEventSchema, m.value!).userId);

    const dead = bus.read(Topics.ingestDeadLetter.name);
    const expected = malformed.map((r) => `${r.value.toString('base64')}|${ExpectedReason[r.malformed!]}`).sort();
    expect(dead.map((m) => `${m.value!.toString('base64')}|${m.headers[DeadLetterHeaders.reason]}`).sort()).toEqual(expected);
    expect(dead.every((m) => m.headers[DeadLetterHeaders.detail].length > 0)).toBe(true);

    const metrics = await registry.getMetricsAsJSON();
    const value = (name: string) => metrics.find((m) => m.name === name)!.values.reduce((s, v) => s + v.value, 0);
    expect(value('recmesh_ingest_events_accepted_total')).toBe(valid.length);
    expect(value('recmesh_ingest_events_rejected_total')).toBe(malformed.length);
    expect(value('recmesh_ingest_events_duplicate_total')).toBe(mix.filter((r) => r.kind === 'duplicate').length);
  });

  it('keeps the consumer alive through a burst of garbage and goes on with valid events', async () => {
    await bus.publish(Topics.clickstreamRaw.name, Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, value: Buffer.from([0xff, i % 256, 0x00]) })));
    const valid = mix.filter((r) => r.kind === 'valid').slice(0, 50);
    await bus.publish(Topics.clickstreamRaw.name, valid);
    const store = new ClickstreamEventStore(ds);
    await until(async () => (await store.count()) === 50);
    expect(bus.read(Topics.ingestDeadLetter.name)).toHaveLength(500);
  });

  it('applies catalog upserts and deletes and forwards them keyed by item id', async () => {
    const now = Date.now();
    const item = shop.items[0];
    await bus.publish(Topics.catalogRaw.name, [
      { key: item.itemId, value: JSON.stringify({ event_id: 'c1', ts_ms: now - 10, upsert: { item_id: item.itemId, title: item.title, category_path: item.categoryPath, brand: item.brand, price: item.price, in_stock: false } }) },
      { key: item.itemId, value: JSON.stringify({ event_id: 'c1', ts_ms: now - 10, upsert: { item_id: item.itemId, title: 'duplicate', category_path: [] } }) },
      { key: 'x', value: JSON.stringify({ event_id: 'c2', ts_ms: now, upsert: { item_id: 'new-1', title: '' } }) },
    ]);
    const catalog = new CatalogStore(ds);
    await until(async () => (await catalog.countEvents()) === 1 && bus.read(Topics.ingestDeadLetter.name).length === 1);
    const stored = await catalog.findItem(item.itemId);
    expect(stored).toMatchObject({ title: item.title, inStock: 0, brand: item.brand });
    const forwarded = bus.read(Topics.catalogNormalized.name);
    expect(forwarded.map((m) => m.key!.toString())).toEqual([item.itemId]);
  });
});
