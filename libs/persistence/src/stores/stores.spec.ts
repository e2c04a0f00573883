import { DataSource } from 'typeorm';
import { openStore } from '../data-source';
import { CatalogStore } from './catalog-store';
import { ClickstreamEventRow, ClickstreamEventStore } from './clickstream-event-store';

const event = (id: string, user = 'u1'): ClickstreamEventRow => ({
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
});

describe('stores on the embedded profile', () => {
  let ds: DataSource;
  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
  });
  afterEach(() => ds.destroy());

  it('stores a batch once: redelivery is a no-op and reports duplicates', async () => {
    const store = new ClickstreamEventStore(ds);
    const first = await store.storeBatch([event('e1'), event('e2')]);
    expect([...first.inserted].sort()).toEqual(['e1', 'e2']);
    await store.markForwarded(['e1', 'e2']);
    const again = await store.storeBatch([event('e1'), event('e2'), event('e3')]);
    expect(again.inserted).toEqual(['e3']);
    expect([...again.duplicates].sort()).toEqual(['e1', 'e2']);
    expect([...again.toForward]).toEqual(['e3']);
    expect(await store.count()).toBe(3);
  });

  it('forwards again an event stored by a crashed attempt that never published it', async () => {
    const store = new ClickstreamEventStore(ds);
    await store.storeBatch([event('e1')]);
    const retry = await store.storeBatch([event('e1')]);
    expect(retry.inserted).toEqual([]);
    expect([...retry.toForward]).toEqual(['e1']);
    expect(retry.duplicates).toEqual([]);
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
