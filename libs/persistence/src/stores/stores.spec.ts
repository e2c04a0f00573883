import { DataSource } from 'typeorm';
import { openStore } from '../data-source';
import { CatalogStore } from './catalog-store';
import { ClickstreamEventRow, ClickstreamEventStore } from './clickstream-event-store';
import { applyPopularityCases } from '../testing/popularity-arithmetic';

const event = (id: string, user = 'u1', sourceOffset = -1): ClickstreamEventRow => ({
  eventId: id,
  userId: user,
  sessionId: 's1',
  itemId: 'i1',
  action: 1,
  quantity: 1,
  price: 9.99,
  currency: 'EUR',
  rating: null,
  tsMs: 1_763_800_000_000,
  recId: '',
  context: { page: 'product' },
  ingestedAtMs: 1_763_800_000_100,
  ...(sourceOffset >= 0 ? { sourcePartition: 2, sourceOffset } : {}),
});

describe('stores on the embedded profile', () => {
  let ds: DataSource;
  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
  });
  afterEach(() => ds.destroy());

  it('adds popularity changes as decayed sums in one statement: newer, late, losses clamped at zero, category kept', async () => {
    const { actual, expected } = await applyPopularityCases(ds);
    expect(actual).toEqual(expected);
  });

  it('stores an event once: a copy from another raw-topic position is a duplicate with no effect', async () => {
    const store = new ClickstreamEventStore(ds);
    const first = await store.storeBatch([event('e1', 'u1', 10), event('e2', 'u1', 11)]);
    expect([...first.inserted].sort()).toEqual(['e1', 'e2']);
    expect([...first.toForward].sort()).toEqual(['e1', 'e2']);
    const again = await store.storeBatch([event('e1', 'u1', 20), event('e2'), event('e3', 'u1', 21)]);
    expect(again.inserted).toEqual(['e3']);
    expect([...again.duplicates].sort()).toEqual(['e1', 'e2']);
    expect([...again.toForward]).toEqual(['e3']);
    expect(await store.count()).toBe(3);
  });

  it('stores the raw-topic position given, and -1/-1 for a row without one (fixtures, imports)', async () => {
    const store = new ClickstreamEventStore(ds);
    await store.storeBatch([event('e1', 'u1', 10), event('e2')]);
    const rows: Array<{ event_id: string; source_partition: number; source_offset: number }> = await ds.query(
      'SELECT event_id, source_partition, source_offset FROM clickstream_events ORDER BY event_id',
    );
    expect(rows.map((r) => [r.event_id, Number(r.source_partition), Number(r.source_offset)])).toEqual([
      ['e1', 2, 10],
      ['e2', -1, -1],
    ]);
  });

  it('forwards again an event redelivered from the same raw-topic position (the attempt that stored it may have died before publishing)', async () => {
    const store = new ClickstreamEventStore(ds);
    await store.storeBatch([event('e1', 'u1', 10)]);
    const retry = await store.storeBatch([event('e1', 'u1', 10), event('e2', 'u1', 11)]);
    expect(retry.inserted).toEqual(['e2']);
    expect([...retry.toForward].sort()).toEqual(['e1', 'e2']);
    expect(retry.duplicates).toEqual([]);
    expect(await store.count()).toBe(2);
  });

  it('applies a catalog change once even when its record is redelivered', async () => {
    const store = new CatalogStore(ds);
    const item = (title: string) => ({
      itemId: 'p1', title, description: '', categoryPath: ['Phones'], brand: 'Acme', price: 100, currency: 'EUR', inStock: 1, attributes: {},
    });
    const log = (eventId: string, tsMs: number, sourceOffset: number) => ({ eventId, itemId: 'p1', kind: 'upsert', tsMs, payload: '{}', ingestedAtMs: tsMs, sourcePartition: 0, sourceOffset });
    await store.applyBatch([log('c1', 1000, 5)], [{ kind: 'upsert', eventId: 'c1', tsMs: 1000, item: item('first') }]);
    await store.applyBatch([log('c2', 2000, 6)], [{ kind: 'upsert', eventId: 'c2', tsMs: 2000, item: item('second') }]);
    const retry = await store.applyBatch([log('c1', 1000, 5)], [{ kind: 'upsert', eventId: 'c1', tsMs: 1000, item: item('first') }]);
    expect([...retry.toForward]).toEqual(['c1']);
    expect(retry.inserted).toEqual([]);
    expect((await store.findItem('p1'))?.title).toBe('second');
    expect(await store.countEvents()).toBe(2);
  });

  it('keeps the newest catalog state whatever the delivery order', async () => {
    const store = new CatalogStore(ds);
    const item = (title: string) => ({
      itemId: 'p1', title, description: '', categoryPath: ['Electronics', 'Phones'], brand: 'Acme',
      price: 100, currency: 'EUR', inStock: 1, attributes: { color: 'black' },
    });
    const log = (eventId: string, tsMs: number, kind: string) => ({ eventId, itemId: 'p1', kind, tsMs, payload: '{}', ingestedAtMs: tsMs });
    await store.applyBatch([log('c2', 2000, 'upsert')], [{ kind: 'upsert', eventId: 'c2', tsMs: 2000, item: item('new title') }]);
    await store.applyBatch([log('c1', 1000, 'upsert')], [{ kind: 'upsert', eventId: 'c1', tsMs: 1000, item: item('old title') }]);
    let stored = await store.findItem('p1');
    expect(stored?.title).toBe('new title');
    expect(stored?.leafCategory).toBe('Phones');
    expect(stored?.attributes).toEqual({ color: 'black' });
    await store.applyBatch([log('c3', 3000, 'delete')], [{ kind: 'delete', eventId: 'c3', tsMs: 3000, itemId: 'p1' }]);
    stored = await store.findItem('p1');
    expect(stored?.deleted).toBe(1);
    expect(await store.countEvents()).toBe(3);
  });
});
