import * as path from 'path';
import { exactTopK, ExactTopKOptions, TopKRows } from './exact-top-k';
import { ItemCatalog } from './item-catalog';
import { ItemScoreKernel, ItemScoreKernelOptions } from './item-score-kernel';
import { SequentialRecommenderModel } from './sequential-recommender-model';

/** Seeded values in [-0.5, 0.5): the kernel is compared with exactTopK on the same numbers. */
function values(n: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  });
}

/** Same rows as exactTopK; scores to 1e-5 (the kernel rescores in float64, so they agree far closer). */
async function expectKernelParity(kernel: ItemScoreKernel, items: Float32Array, rowCount: number, hidden: number, users: Float32Array, k: number, options: ItemScoreKernelOptions = {}): Promise<TopKRows[]> {
  const expected = exactTopK(items, rowCount, hidden, users, k, options);
  const actual = await kernel.topK(items, rowCount, hidden, users, k, options);
  expect(actual.map((r) => [...r.rows])).toEqual(expected.map((r) => [...r.rows]));
  actual.forEach((r, u) => r.scores.forEach((s, i) => expect(Math.abs(s - expected[u].scores[i])).toBeLessThan(1e-5)));
  return actual;
}

describe('ItemScoreKernel', () => {
  let kernel: ItemScoreKernel;
  beforeAll(async () => {
    kernel = await ItemScoreKernel.open(16, 'cpu');
  });
  afterAll(() => kernel.release());

  it('returns the rows exactTopK returns, best first, with scores equal to float32 precision', async () => {
    const rowCount = 3001;
    const items = values(rowCount * 16, 1);
    const users = values(7 * 16, 2);
    const excludeRows = [new Set([5, 9]), undefined, new Set<number>(), new Set([1]), undefined, new Set([100, 200]), undefined];
    const mask = new Uint8Array(rowCount);
    for (let r = 0; r < rowCount; r += 7) mask[r] = 1;
    const expected = exactTopK(items, rowCount, 16, users, 25, { excludeRows, mask });
    const actual = await kernel.topK(items, rowCount, 16, users, 25, { excludeRows, mask });
    expect(actual.map((r) => [...r.rows])).toEqual(expected.map((r) => [...r.rows]));
    actual.forEach((r, u) => r.scores.forEach((s, i) => expect(s).toBeCloseTo(expected[u].scores[i], 5)));
    for (const r of actual) {
      expect(r.rows.includes(0)).toBe(false); // padding row
      for (const row of r.rows) expect(mask[row]).toBe(0);
    }
    expect(actual[0].rows.includes(5) || actual[0].rows.includes(9)).toBe(false);
  });

  const expectParity = (items: Float32Array, rowCount: number, hidden: number, users: Float32Array, k: number, options: ExactTopKOptions = {}) =>
    expectKernelParity(kernel, items, rowCount, hidden, users, k, options);

  it('matches exactTopK with a mask, per-user exclusions larger than k, and a batch of one', async () => {
    const rowCount = 20_001;
    const items = values(rowCount * 16, 11);
    const users = values(5 * 16, 12);
    const mask = new Uint8Array(rowCount);
    for (let r = 0; r < rowCount; r += 3) mask[r] = 1;
    // Exclude each user's own exact top 40: the kernel must over-fetch past them.
    const excludeRows = exactTopK(items, rowCount, 16, users, 40, { mask }).map((r, u) => (u === 2 ? undefined : new Set(r.rows)));
    const actual = await expectParity(items, rowCount, 16, users, 10, { mask, excludeRows });
    actual.forEach((r, u) => r.rows.forEach((row) => expect(excludeRows[u]?.has(row) ?? false).toBe(false)));
    await expectParity(items, rowCount, 16, users.subarray(0, 16), 10, { mask });
  });

  it('returns every live row when k is larger than the catalog or the mask leaves fewer than k', async () => {
    const rowCount = 9;
    const items = values(rowCount * 16, 13);
    const users = values(3 * 16, 14);
    const all = await expectParity(items, rowCount, 16, users, 50);
    expect(all.map((r) => [...r.rows].sort((a, b) => a - b))).toEqual([1, 2, 3].map(() => [1, 2, 3, 4, 5, 6, 7, 8]));
    const mask = Uint8Array.from([0, 1, 1, 0, 1, 1, 1, 0, 1]);
    const masked = await expectParity(items, rowCount, 16, users, 5, { mask, excludeRows: [new Set([3]), undefined, new Set([3, 7])] });
    expect(masked.map((r) => [...r.rows].sort((a, b) => a - b))).toEqual([[7], [3, 7], []]);
  });

  it('reads only rowCount rows of a larger buffer', async () => {
    const rowCount = 1001;
    const items = values(1500 * 16, 15);
    // Rows past rowCount would win every user if they were read.
    items.fill(1000, rowCount * 16);
    const users = values(4 * 16, 16).map(Math.abs);
    const actual = await expectParity(items, rowCount, 16, users, 20);
    for (const r of actual) for (const row of r.rows) expect(row).toBeLessThan(rowCount);
  });

  it('keeps exactTopK ties: equal scores prefer the lower row', async () => {
    const rowCount = 301;
    const items = values(rowCount * 16, 17);
    // Row 5, scaled to beat every random row, copied to rows 10, 20 and 290: all four tie for a user along it.
    for (let j = 0; j < 16; j++) items[5 * 16 + j] *= 4;
    for (const copy of [10, 20, 290]) items.copyWithin(copy * 16, 5 * 16, 6 * 16);
    const users = new Float32Array(2 * 16);
    users.set(items.subarray(5 * 16, 6 * 16), 0);
    users.set(items.subarray(5 * 16, 6 * 16).map((x) => x * 0.5), 16);
    const actual = await expectParity(items, rowCount, 16, users, 3);
    for (const r of actual) expect([...r.rows]).toEqual([5, 10, 20]);
  });

  it('sees items appended to a growing catalog between calls', async () => {
    const rowCount = 2001;
    const matrix = values(rowCount * 16, 19);
    const catalog = new ItemCatalog(16, Array.from({ length: rowCount - 1 }, (_, i) => `item-${i + 1}`), matrix);
    const users = values(3 * 16, 20);
    await expectParity(catalog.matrix, catalog.rowCount, 16, users, 10);
    // New items aligned with each user, scoring above anything trained: each must be that user's best.
    const added = [0, 1, 2].map((u) => catalog.upsertColdItem(`cold-${u}`, users.slice(u * 16, u * 16 + 16).map((x) => x * 100)).row);
    const grown = await expectParity(catalog.matrix, catalog.rowCount, 16, users, 10);
    grown.forEach((r, u) => expect(r.rows[0]).toBe(added[u]));
    // A masked-out new item is skipped; the mask covers the grown row count.
    const mask = new Uint8Array(catalog.rowCount);
    mask[added[0]] = 1;
    const masked = await expectParity(catalog.matrix, catalog.rowCount, 16, users, 10, { mask });
    expect(masked[0].rows.includes(added[0])).toBe(false);
  });

  it('handles k = 0, an empty batch and bad shapes', async () => {
    const items = values(11 * 16, 3);
    expect(await kernel.topK(items, 11, 16, values(16, 4), 0)).toEqual([{ rows: new Int32Array(0), scores: new Float64Array(0) }]);
    expect(await kernel.topK(items, 11, 16, new Float32Array(0), 5)).toEqual([]);
    await expect(kernel.topK(items, 11, 16, values(15, 4), 5)).rejects.toThrow(/not a multiple of hidden=16/);
    await expect(kernel.topK(items, 12, 16, values(16, 4), 5)).rejects.toThrow(/fewer than 12x16/);
  });
});

describe('ItemScoreKernel with immutable rows in their own session', () => {
  let kernel: ItemScoreKernel;
  beforeEach(async () => {
    kernel = await ItemScoreKernel.open(16, 'cpu');
  });
  afterEach(() => kernel.release());

  it('answers like exactTopK before and after the immutable rows are frozen, masks, exclusions and k past the catalog included', async () => {
    const rowCount = 5001;
    const items = values(rowCount * 16, 21);
    const users = values(4 * 16, 22);
    const mask = new Uint8Array(rowCount);
    for (let r = 0; r < rowCount; r += 5) mask[r] = 1;
    const excludeRows = exactTopK(items, rowCount, 16, users, 30, { mask }).map((r, u) => (u === 1 ? undefined : new Set(r.rows)));
    // The first call starts the build and is answered per call meanwhile.
    await expectKernelParity(kernel, items, rowCount, 16, users, 10, { mask, excludeRows, immutableRows: 4001 });
    await kernel.freeze(items, 4001);
    expect(kernel.frozenRows).toBe(4001);
    await expectKernelParity(kernel, items, rowCount, 16, users, 10, { mask, excludeRows, immutableRows: 4001 });
    await expectKernelParity(kernel, items, rowCount, 16, users, 10, { immutableRows: 4001 });
    // Every row frozen, no tail: k past the catalog returns all live rows.
    await kernel.freeze(items, rowCount);
    const all = await expectKernelParity(kernel, items, rowCount, 16, users, rowCount + 10, { mask, immutableRows: rowCount });
    expect(all[1].rows.length).toBe(rowCount - 1 - Math.floor((rowCount - 1) / 5));
  });

  it('sees cold items added after the frozen rows and a replaced cold vector, across buffer growth', async () => {
    const trained = 3000;
    const catalog = new ItemCatalog(16, Array.from({ length: trained }, (_, i) => `item-${i + 1}`), values((trained + 1) * 16, 23));
    const users = values(3 * 16, 24);
    const immutableRows = catalog.trainedItemCount + 1;
    await kernel.freeze(catalog.matrix, immutableRows);
    await expectKernelParity(kernel, catalog.matrix, catalog.rowCount, 16, users, 10, { immutableRows });
    const coldRows = [0, 1, 2].map((u) => catalog.upsertColdItem(`cold-${u}`, users.slice(u * 16, u * 16 + 16).map((x) => x * 100)).row);
    const grown = await expectKernelParity(kernel, catalog.matrix, catalog.rowCount, 16, users, 10, { immutableRows });
    grown.forEach((r, u) => expect(r.rows[0]).toBe(coldRows[u]));
    expect(kernel.frozenRows).toBe(immutableRows); // the buffer was reallocated; the trained rows' session stays valid
    // Replacing cold-0 with a vector pointing away from user 0 drops it from user 0's answer.
    catalog.upsertColdItem('cold-0', users.slice(0, 16).map((x) => -x * 100));
    const replaced = await expectKernelParity(kernel, catalog.matrix, catalog.rowCount, 16, users, 10, { immutableRows });
    expect(replaced[0].rows.includes(coldRows[0])).toBe(false);
  });
});

describe('SequentialRecommenderModel.topKBatch', () => {
  it('agrees with topK on the demo model, cold items and exclusions included', async () => {
    const model = await SequentialRecommenderModel.load(path.resolve(__dirname, '../../../tools/model/demo-model'), { preferCuda: false });
    try {
      await model.addColdItem({ itemId: 'cold-1', title: 'Shieldy Case Max', category: 'Electronics > Phone Cases', brand: 'Shieldy' });
      const histories = [0, 1, 2, 3].map((u) => model.itemIds.slice(u * 10, u * 10 + 6).map((itemId) => ({ itemId, action: 'view' })));
      const users = await model.encodeUsers(histories);
      const exclude = histories.map((h) => h.map((e) => e.itemId));
      const slow = model.topK(users, 50, { exclude });
      const fast = await model.topKBatch(users, 50, { exclude });
      expect(fast.map((list) => list.map((s) => s.itemId))).toEqual(slow.map((list) => list.map((s) => s.itemId)));
      fast.forEach((list, u) => list.forEach((s, i) => expect(s.score).toBeCloseTo(slow[u][i].score, 4)));
    } finally {
      await model.release();
    }
  });
});
