// The embedded store a serving bench scores against: n catalog items (benchItemId) and `users`
// seeded shoppers (user-0 ..) with `history` steps each, deterministic. bench-serving and
// bench-overload use it.
import { Action } from '@recmesh/contracts';
import { CatalogStore, FeatureStore } from '@recmesh/persistence';
import { DataSource } from 'typeorm';
import { benchItemId } from './synthetic-model';

/** The serving benches' shared workload: model width and sequence length, seeded shoppers and their history, and k. */
export const HIDDEN = 64;
export const MAX_SEQ_LEN = 50;
export const USERS = 1000;
export const HISTORY = 20;
export const K = 10;

export async function seedServingStore(ds: DataSource, n: number, users: number, history: number): Promise<void> {
  const now = Date.now();
  await new CatalogStore(ds).insertItems(
    Array.from({ length: n }, (_, i) => ({
      itemId: benchItemId(i), title: `Item ${i}`, description: '', categoryPath: ['Bench', `Cat ${i % 50}`],
      brand: 'b0', price: 10, currency: 'EUR', inStock: 1, attributes: {}, updatedTsMs: now,
    })),
  );
  const features = new FeatureStore(ds);
  let rnd = 12345;
  const next = () => (rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0);
  await features.transaction(async (m) => {
    await features.saveSequences(
      m,
      Array.from({ length: users }, (_, u) => ({
        userId: `user-${u}`,
        steps: Array.from({ length: history }, (_, t) => ({ i: benchItemId(next() % n), a: t % 5 === 4 ? Action.ADD_TO_CART : Action.VIEW, t: now - 100_000 + t, s: 'S' })),
        updatedTsMs: now,
      })),
    );
  });
}
