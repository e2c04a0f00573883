import { DataSource } from 'typeorm';
import { openStore } from '../data-source';
import { ClickstreamEventEntity } from '../entities/clickstream-event.entity';
import { ExperimentConflictError, ExperimentStore, UnitOutcomeRow } from './experiment-store';

describe('ExperimentStore (embedded)', () => {
  let ds: DataSource;
  let store: ExperimentStore;
  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
    store = new ExperimentStore(ds);
  });
  afterEach(() => ds.destroy());

  it('runs one experiment per surface, never reuses a name, and stops once', async () => {
    await store.create('a', ['recommend'], { name: 'a', surfaces: ['recommend'] }, 1000);
    await expect(store.create('b', ['bundle', 'recommend'], { surfaces: ['bundle', 'recommend'] }, 2000)).rejects.toMatchObject({ kind: 'overlap', message: 'experiment a already runs on recommend: stop it first (one experiment per surface)' });
    await expect(store.create('a', ['bundle'], {}, 2000)).rejects.toBeInstanceOf(ExperimentConflictError);
    await store.create('b', ['bundle'], { surfaces: ['bundle'] }, 2000);
    expect((await store.list(false)).map((e) => e.name)).toEqual(['a', 'b']);
    const stopped = await store.stop('a', 3000, (d) => ({ ...(d as object), stopReason: 'done' }));
    expect(stopped).toMatchObject({ state: 'stopped', stoppedAtMs: 3000, definition: { name: 'a', surfaces: ['recommend'], stopReason: 'done' } });
    await expect(store.stop('a', 4000, (d) => d)).rejects.toMatchObject({ kind: 'stopped' });
    await expect(store.stop('zzz', 4000, (d) => d)).rejects.toMatchObject({ kind: 'not_found' });
    expect((await store.list(false)).map((e) => e.name)).toEqual(['b']);
    expect((await store.list(true)).map((e) => e.name)).toEqual(['a', 'b']);
    // The surface is free again.
    await store.create('c', ['recommend'], { surfaces: ['recommend'] }, 5000);
  });

  it('adds outcomes per unit and reads them back with the events each unit had before the start', async () => {
    await store.create('exp', ['recommend'], {}, 10_000);
    await ds.getRepository(ClickstreamEventEntity).insert(
      [['e1', 'u1', 5_000], ['e2', 'u1', 9_000], ['e3', 'u1', 11_000], ['e4', 'u2', 12_000]].map(([eventId, userId, tsMs]) => ({
        eventId: String(eventId), userId: String(userId), sessionId: '', itemId: 'i', action: 1, quantity: 1, price: null, currency: '', rating: null, tsMs: Number(tsMs), recId: '', context: null, ingestedAtMs: Number(tsMs),
      })),
    );
    await ds.transaction((m) => store.addOutcomes(m, [
      { experiment: 'exp', unitId: 'u1', arm: 'b', tsMs: 10_500, impressions: 1 },
      { experiment: 'exp', unitId: 'u1', arm: 'b', tsMs: 10_700, clicks: 1, purchases: 1, revenue: 19.5 },
      { experiment: 'exp', unitId: 'u2', arm: 'a', tsMs: 12_000, impressions: 2 },
    ]));
    await ds.transaction((m) => store.addOutcomes(m, [{ experiment: 'exp', unitId: 'u1', arm: 'b', tsMs: 10_100, impressions: 1, revenue: 0.5 }]));
    const rows: UnitOutcomeRow[] = [];
    for await (const page of store.units('exp', 10_000)) rows.push(...page);
    expect(rows).toEqual([
      { unitId: 'u1', arm: 'b', impressions: 2, clicks: 1, addToCarts: 0, purchases: 1, revenue: 20, eventsBefore: 2 },
      { unitId: 'u2', arm: 'a', impressions: 2, clicks: 0, addToCarts: 0, purchases: 0, revenue: 0, eventsBefore: 0 },
    ]);
  });
});
