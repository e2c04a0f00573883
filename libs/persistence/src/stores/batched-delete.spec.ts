import { DataSource } from 'typeorm';
import { openStore } from '../data-source';
import { deleteInBatches } from './batched-delete';

describe('deleteInBatches on the embedded store', () => {
  let ds: DataSource;
  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
    await ds.query('CREATE TABLE scratch_rows (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, ts_ms INTEGER NOT NULL)');
    const values = Array.from({ length: 250 }, (_, i) => `(${i}, '${i % 5 === 0 ? 'u-1' : 'u-2'}', ${i})`).join(',');
    await ds.query(`INSERT INTO scratch_rows (id, owner, ts_ms) VALUES ${values}`);
  });
  afterEach(async () => {
    await ds.destroy();
  });
  const count = async (where = '1 = 1') => Number((await ds.query(`SELECT COUNT(*) AS n FROM scratch_rows WHERE ${where}`))[0].n);

  it('removes every matching row over several batches, counts them, and leaves the rest', async () => {
    expect(await deleteInBatches(ds, 'scratch_rows', 'owner = ?', ['u-1'], { batch: 7 })).toBe(50);
    expect(await count("owner = 'u-1'")).toBe(0);
    expect(await count()).toBe(200);
    // Idempotent: nothing left to remove.
    expect(await deleteInBatches(ds, 'scratch_rows', 'owner = ?', ['u-1'], { batch: 7 })).toBe(0);
  });

  it('stops after maxBatches, and the next pass goes on', async () => {
    expect(await deleteInBatches(ds, 'scratch_rows', 'ts_ms < ?', [100], { batch: 30, maxBatches: 2 })).toBe(60);
    expect(await count('ts_ms < 100')).toBe(40);
    expect(await deleteInBatches(ds, 'scratch_rows', 'ts_ms < ?', [100], { batch: 30 })).toBe(40);
    expect(await count()).toBe(150);
  });

  it('ends on an exact multiple of the batch with one empty batch', async () => {
    expect(await deleteInBatches(ds, 'scratch_rows', 'ts_ms < ?', [60], { batch: 30 })).toBe(60);
    expect(await count()).toBe(190);
  });
});
