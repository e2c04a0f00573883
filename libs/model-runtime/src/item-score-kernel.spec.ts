import * as path from 'path';
import { exactTopK } from './exact-top-k';
import { ItemScoreKernel } from './item-score-kernel';
import { SequentialRecommenderModel } from './sequential-recommender-model';

/** Seeded values in [-0.5, 0.5): the kernel is compared with exactTopK on the same numbers. */
function values(n: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  });
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

  it('handles k = 0, an empty batch and bad shapes', async () => {
    const items = values(11 * 16, 3);
    expect(await kernel.topK(items, 11, 16, values(16, 4), 0)).toEqual([{ rows: new Int32Array(0), scores: new Float64Array(0) }]);
    expect(await kernel.topK(items, 11, 16, new Float32Array(0), 5)).toEqual([]);
    await expect(kernel.topK(items, 11, 16, values(15, 4), 5)).rejects.toThrow(/not a multiple of hidden=16/);
    await expect(kernel.topK(items, 12, 16, values(16, 4), 5)).rejects.toThrow(/fewer than 12x16/);
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
