import * as path from 'path';
import { create, toBinary } from '@bufbuild/protobuf';
import { CatalogEventSchema, resolveTopicNames, Topics } from '@recmesh/contracts';
import { InMemoryMessageBus } from '@recmesh/messaging';
import { CatalogChange, CatalogEventRow, CatalogStore, openStore } from '@recmesh/persistence';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { ServingState } from './serving-state';

jest.setTimeout(30_000);
const DEMO = path.resolve(__dirname, '../../../tools/model/demo-model');
const topics = resolveTopicNames('spec.');

/** What ingest does with a catalog change: store it, then forward it to the normalized topic. */
async function ingest(store: CatalogStore, bus: InMemoryMessageBus, n: number, change: { upsert: { itemId: string; title: string; inStock: boolean } } | { delete: { itemId: string } }): Promise<void> {
  const tsMs = Date.now() + n;
  const itemId = 'upsert' in change ? change.upsert.itemId : change.delete.itemId;
  const row: CatalogEventRow = { eventId: `e-${n}`, itemId, kind: 'upsert' in change ? 'upsert' : 'delete', tsMs, payload: '{}', ingestedAtMs: tsMs };
  const applied: CatalogChange =
    'upsert' in change
      ? { kind: 'upsert', eventId: row.eventId, tsMs, item: { itemId, title: change.upsert.title, description: '', categoryPath: ['Phones'], brand: 'b', price: 10, currency: 'EUR', inStock: change.upsert.inStock ? 1 : 0, attributes: {} } }
      : { kind: 'delete', eventId: row.eventId, tsMs, itemId };
  await store.applyBatch([row], [applied]);
  const event = create(CatalogEventSchema, {
    eventId: row.eventId,
    tsMs: BigInt(tsMs),
    change: 'upsert' in change ? { case: 'upsert', value: { itemId, title: change.upsert.title, inStock: change.upsert.inStock } } : { case: 'delete', value: { itemId } },
  });
  await bus.publish(topics.catalogNormalized, [{ key: itemId, value: Buffer.from(toBinary(CatalogEventSchema, event)) }]);
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - started;
}

describe('ServingState follows the catalog as events', () => {
  let ds: DataSource;
  let bus: InMemoryMessageBus;
  let state: ServingState;
  let store: CatalogStore;

  beforeAll(async () => {
    ds = await openStore({ kind: 'embedded' });
    bus = new InMemoryMessageBus();
    await bus.ensureTopics([{ name: topics.catalogNormalized, partitions: Topics.catalogNormalized.partitions }]);
    store = new CatalogStore(ds);
    await ingest(store, bus, 0, { upsert: { itemId: 'old-phone', title: 'Old Phone', inStock: true } });
    const config = { SCORER_MODEL_DIR: DEMO, SCORER_PREFER_CUDA: false, SCORER_TEXT_ENCODER_DIR: '', SCORER_MODEL_POLL_SECONDS: 3600, SCORER_EXTRA_MODEL_VERSIONS: 2 };
    state = await ServingState.open(config, { bus, dataSource: ds }, topics, new Registry());
    expect(state.isReady()).toBe(false);
    await state.start();
  });
  afterAll(async () => {
    await state?.stop();
    await bus?.close();
    await ds?.destroy();
  });

  it('loads what the store holds at start and is ready then', () => {
    expect(state.catalog.get('old-phone')?.title).toBe('Old Phone');
    expect(state.isReady()).toBe(true);
  });

  it('applies an upsert, a stock change and a delete as they arrive, and scores a new item from its text', async () => {
    await ingest(store, bus, 1, { upsert: { itemId: 'new-case', title: 'Brand New Case', inStock: true } });
    await until(() => state.catalog.get('new-case') !== undefined);
    expect(state.model.current().rowOf('new-case')).toBeDefined();

    await ingest(store, bus, 2, { upsert: { itemId: 'new-case', title: 'Brand New Case', inStock: false } });
    await until(() => state.catalog.get('new-case')?.inStock === false);
    expect(state.catalog.accepts('new-case', {}, new Set())).toBe(false);

    await ingest(store, bus, 3, { delete: { itemId: 'old-phone' } });
    await until(() => state.catalog.get('old-phone') === undefined);
  });

  it('skips an undecodable change without stopping the ones after it', async () => {
    // Same key, same partition: the good change queues behind the bad one.
    await bus.publish(topics.catalogNormalized, [{ key: 'after-garbage', value: Buffer.from([0x0a, 0xff]) }]);
    await ingest(store, bus, 4, { upsert: { itemId: 'after-garbage', title: 'After', inStock: true } });
    await until(() => state.catalog.get('after-garbage') !== undefined);
  });
});
