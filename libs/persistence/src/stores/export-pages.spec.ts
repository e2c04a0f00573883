import { DataSource } from 'typeorm';
import { openStore } from '../data-source';
import { CatalogStore } from './catalog-store';
import { ClickstreamEventRow, ClickstreamEventStore, ClickstreamExportRow } from './clickstream-event-store';

const event = (eventId: string, userId: string, tsMs: number): ClickstreamEventRow => ({
  eventId, userId, sessionId: '', itemId: `i-${eventId}`, action: 1, quantity: 1, price: null, currency: '', rating: null, tsMs, recId: '', context: null, ingestedAtMs: tsMs,
});

describe('read-only export pages (embedded profile)', () => {
  let ds: DataSource;
  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
  });
  afterEach(() => ds.destroy());

  it('pages events in (user_id, ts_ms, event_id) order within [from, to), resuming strictly after the cursor', async () => {
    const store = new ClickstreamEventStore(ds);
    await store.storeBatch([event('e3', 'u1', 20), event('e1', 'u1', 20), event('e2', 'u1', 10), event('e0', 'u0', 30), event('e4', 'u2', 5), event('e5', 'u2', 40), event('e6', 'u0', 9)]);
    const window = { fromMs: 10, toMs: 40 };
    const seen: ClickstreamExportRow[] = [];
    for (let page = await store.exportPage(window, null, 2); page.length > 0; page = await store.exportPage(window, page[page.length - 1], 2)) {
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...page);
    }
    expect(seen.map((r) => r.eventId)).toEqual(['e0', 'e2', 'e1', 'e3']);
    expect(seen[0]).toEqual({ userId: 'u0', tsMs: 30, eventId: 'e0', itemId: 'i-e0', action: 1 });
  });

  it('pages live items by item_id, leaving deleted ones out', async () => {
    const store = new CatalogStore(ds);
    const item = (itemId: string) => ({ itemId, title: itemId, description: '', categoryPath: ['A'], brand: '', price: null, currency: '', inStock: 1, attributes: {}, updatedTsMs: 1 });
    await store.insertItems(['c', 'a', 'd', 'b'].map(item));
    await store.applyBatch([{ eventId: 'x', itemId: 'b', kind: 'delete', tsMs: 2, payload: '{}', ingestedAtMs: 2 }], [{ kind: 'delete', eventId: 'x', tsMs: 2, itemId: 'b' }]);
    const first = await store.liveItemsPage(null, 2);
    expect(first.map((i) => i.itemId)).toEqual(['a', 'c']);
    expect((await store.liveItemsPage('c', 2)).map((i) => i.itemId)).toEqual(['d']);
    expect(await store.liveItemsPage('d', 2)).toEqual([]);
  });
});
