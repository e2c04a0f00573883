import { ClickstreamEventEntity, openStore, RetentionStore, UserErasureStore } from '@recmesh/persistence';
import { DataSource } from 'typeorm';
import { infraEnv } from '../support/infra-env';
import { ScratchDatabase } from '../support/scratch-database';

const DAY = 86_400_000;
const NOW = 1_765_000_000_000;

/** The MariaDB paths of retention and erasure: DELETE ... LIMIT in bounded batches, by the indexes the migrations add. */
describe('retention and erasure on MariaDB', () => {
  let db: ScratchDatabase;
  let ds: DataSource;
  beforeAll(async () => {
    db = await ScratchDatabase.create(infraEnv().mysqlUrl);
    ds = await openStore({ kind: 'mysql', url: db.url });
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const insertEvents = async (n: number, userId: string, tsMs: number) => {
    const rows = Array.from({ length: n }, (_, i) => ({
      eventId: `${userId}-${tsMs}-${i}`, userId, sessionId: '', itemId: 'sku-1', action: 1, quantity: 1, price: null, currency: '', rating: null, tsMs, recId: '', context: null, ingestedAtMs: tsMs,
    }));
    for (let i = 0; i < rows.length; i += 1000) await ds.getRepository(ClickstreamEventEntity).insert(rows.slice(i, i + 1000));
  };
  const count = async (where = '1 = 1', params: unknown[] = []) => Number((await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM clickstream_events WHERE ${where}`, params))[0].n);

  it('purges rows older than the cutoff a batch of 1,000 at a time, at most maxBatches per pass, and keeps newer ones', async () => {
    await insertEvents(2500, 'old', NOW - 40 * DAY);
    await insertEvents(10, 'new', NOW - DAY);
    const store = new RetentionStore(ds);
    const first = await store.purgeOlderThan(NOW - 30 * DAY, 2);
    expect(first.find((c) => c.table === 'clickstream_events')?.rows).toBe(2000);
    expect(await count()).toBe(510);
    const second = await store.purgeOlderThan(NOW - 30 * DAY);
    expect(second.find((c) => c.table === 'clickstream_events')?.rows).toBe(500);
    expect(await count()).toBe(10);
    // The purge reads the time index, not the whole table.
    const [plan] = await db.query<{ key: string | null }>('EXPLAIN SELECT event_id FROM clickstream_events WHERE ts_ms < ?', [NOW - 30 * DAY]);
    expect(plan.key).toBe('ix_clickstream_ts');
  });

  it('erases a user with more rows than one batch', async () => {
    await insertEvents(2300, 'erase-me', NOW);
    const erased = await new UserErasureStore(ds).erase('erase-me');
    expect(erased.find((c) => c.table === 'clickstream_events')?.rows).toBe(2300);
    expect(await count('user_id = ?', ['erase-me'])).toBe(0);
  });
});
