import { FeatureStore, openStore } from '@recmesh/persistence';
import { applyPopularityCases } from '@recmesh/persistence/testing';
import { DataSource } from 'typeorm';
import { infraEnv } from '../support/infra-env';
import { ScratchDatabase } from '../support/scratch-database';

/**
 * Popularity and pair counts are the rows every feature-builder partition shares. They used to be read
 * with SELECT ... FOR UPDATE after an INSERT IGNORE of the missing rows: the insert's shared lock on an
 * existing row and the locking read's exclusive one deadlocked between partitions (bench:features on
 * RetailRocket: a quarter of all batches). Now each is one atomic upsert in key order, and this test
 * holds both instances' transactions open across overlapping new and existing items.
 */
describe('popularity and pair counts written by concurrent instances on MariaDB', () => {
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

  it('applies every increment of two instances on overlapping items, with no deadlock', async () => {
    const rounds = 30;
    const errors: string[] = [];
    const update = async (ds: DataSource, items: string[]) => {
      const features = new FeatureStore(ds);
      await ds.transaction(async (m) => {
        await features.incrementPairs(m, items.filter((i) => i !== 'hot-0').map((itemB) => ({ itemA: 'hot-0', itemB, session: 1, order: 0 })).reverse());
        // Hold the first locks a moment, as a batch with more work would.
        await new Promise((r) => setTimeout(r, 5));
        await features.addPopularity(m, [...items].reverse().map((itemId) => ({ itemId, score: 1, referenceTsMs: 1, interactions: 1, leafCategory: '' })), 3_600_000);
      }).catch((error: Error) => errors.push(error.message));
    };
    const shared = Array.from({ length: 4 }, (_, i) => `hot-${i}`);
    for (let r = 0; r < rounds; r++) {
      // Interleaved new ids (each transaction's gap overlaps the other's) and existing hot items both touch.
      const a = Array.from({ length: 8 }, (_, i) => `r${String(r).padStart(3, '0')}-${String(2 * i).padStart(2, '0')}`);
      const b = Array.from({ length: 8 }, (_, i) => `r${String(r).padStart(3, '0')}-${String(2 * i + 1).padStart(2, '0')}`).concat(a.slice(0, 2));
      await Promise.all([update(stores[0], [...a, ...shared]), update(stores[1], [...b, ...shared])]);
    }
    expect(errors).toEqual([]);
    const [row] = await db.query<{ n: number; total: number }>('SELECT COUNT(*) AS n, SUM(interactions) AS total FROM item_popularity');
    expect(Number(row.n)).toBe(rounds * 16 + shared.length);
    expect(Number(row.total)).toBe(rounds * (8 + 4 + 10 + 4));
    const [hot] = await db.query<{ interactions: number; score: number }>("SELECT interactions, score FROM item_popularity WHERE item_id = 'hot-1'");
    expect(Number(hot.interactions)).toBe(2 * rounds);
    expect(Number(hot.score)).toBeCloseTo(2 * rounds, 9);
    const [pairs] = await db.query<{ total: number }>("SELECT SUM(session_count) AS total FROM item_pair_counts WHERE item_a = 'hot-0' AND item_b = 'hot-1'");
    expect(Number(pairs.total)).toBe(2 * rounds);
  });

  it('does the same decayed-sum arithmetic as the embedded store (one SQL text, two dialects)', async () => {
    const { actual, expected } = await applyPopularityCases(stores[0]);
    expect(actual).toEqual(expected);
  });
});
