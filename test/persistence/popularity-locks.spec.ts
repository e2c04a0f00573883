import { FeatureStore, openStore } from '@recmesh/persistence';
import { DataSource } from 'typeorm';
import { infraEnv } from '../support/infra-env';
import { ScratchDatabase } from '../support/scratch-database';

/**
 * Two feature-builder instances updating the popularity of overlapping new items at once (the fault
 * probe found 0-3 InnoDB deadlocks per 20-30k events: SELECT ... FOR UPDATE on missing rows takes gap
 * locks, and both transactions then insert into the gap). Rows that do not exist yet are created
 * first, in key order, so the transactions queue on row locks instead of deadlocking.
 */
describe('popularity updates by concurrent instances on MariaDB', () => {
  let db: ScratchDatabase;
  let stores: DataSource[] = [];
  beforeAll(async () => {
    db = await ScratchDatabase.create(infraEnv().mysqlUrl);
    stores = await Promise.all([1, 2].map(() => openStore({ kind: 'mysql', url: db.url })));
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.destroy()));
    await db.drop();
  });

  it('applies every increment of two instances on new items, with no deadlock', async () => {
    const rounds = 30;
    const errors: string[] = [];
    const update = async (ds: DataSource, items: string[]) => {
      const features = new FeatureStore(ds);
      await ds.transaction(async (m) => {
        const current = await features.loadPopularityForUpdate(m, items);
        // Hold the locks a moment, as a batch with more work would.
        await new Promise((r) => setTimeout(r, 5));
        await features.savePopularity(m, items.map((itemId) => {
          const row = current.get(itemId);
          return { itemId, score: (row?.score ?? 0) + 1, referenceTsMs: 1, interactions: (row?.interactions ?? 0) + 1, leafCategory: '' };
        }));
      }).catch((error: Error) => errors.push(error.message));
    };
    for (let r = 0; r < rounds; r++) {
      // Interleaved new ids: each transaction's gap overlaps the other's.
      const a = Array.from({ length: 8 }, (_, i) => `r${String(r).padStart(3, '0')}-${String(2 * i).padStart(2, '0')}`);
      const b = Array.from({ length: 8 }, (_, i) => `r${String(r).padStart(3, '0')}-${String(2 * i + 1).padStart(2, '0')}`).concat(a.slice(0, 2));
      await Promise.all([update(stores[0], a), update(stores[1], b)]);
    }
    expect(errors).toEqual([]);
    const [row] = await db.query<{ n: number; total: number }>('SELECT COUNT(*) AS n, SUM(interactions) AS total FROM item_popularity');
    expect(Number(row.n)).toBe(rounds * 16);
    expect(Number(row.total)).toBe(rounds * 18);
  });
});
