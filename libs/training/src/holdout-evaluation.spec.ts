import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { mulberry32 } from '@recmesh/numerics';
import { DatasetEvent, DatasetFormatError, readDatasetDir } from './dataset-files';
import { evaluateOnHoldout } from './holdout-evaluation';
import { decidePromotion, promotionPolicy } from './promotion-gate';
import { headItems, timeSplit } from './time-split';

jest.setTimeout(120_000);
const ROOT = path.resolve(__dirname, '../../..');
const TINY = path.join(ROOT, 'tools/model/fixtures/tiny');
const DEMO = path.join(ROOT, 'tools/model/demo-model');
const SCIENTIFIC = path.resolve(ROOT, '../shared/datasets/amazon_scientific_unisrec/normalized');

/** Random histories over the tiny model's 20 items, plus two items the model never saw. */
function syntheticEvents(): DatasetEvent[] {
  const random = mulberry32(5);
  const items = [...Array.from({ length: 20 }, (_, i) => `item-${String(i).padStart(2, '0')}`), 'new-a', 'new-b'];
  const events: DatasetEvent[] = [];
  for (let u = 0; u < 60; u++) for (let n = 0; n < 6; n++) events.push({ userId: `u${u}`, itemId: items[Math.floor(random() * items.length)], ts: Math.floor(random() * 1000), action: n % 3 === 0 ? 'purchase' : 'review' });
  return events;
}

describe('time split (EVAL-PROTOCOL, a shop\'s own data)', () => {
  it('cuts at the 90% timestamp and tests each user with earlier history on their first later interaction', () => {
    const events: DatasetEvent[] = [
      ...Array.from({ length: 9 }, (_, i) => ({ userId: 'a', itemId: `i${i}`, ts: i, action: 'view' })),
      { userId: 'a', itemId: 'late-1', ts: 9, action: 'view' },
      { userId: 'a', itemId: 'late-2', ts: 9, action: 'view' },
      { userId: 'b', itemId: 'only-late', ts: 20, action: 'view' },
    ];
    const split = timeSplit(events, 0.9);
    expect(split.cutoffTs).toBe(9);
    expect(split.cases).toEqual([{ userId: 'a', history: events.slice(0, 9), target: 'late-1' }]);
    expect(split.trainEvents).toBe(9);
    expect(() => timeSplit(events, 1)).toThrow(RangeError);
  });

  it('calls head the fewest most popular items holding 20% of training interactions', () => {
    expect([...headItems(new Map([['a', 5], ['b', 3], ['c', 1], ['d', 1]]))]).toEqual(['a']);
  });
});

describe('evaluateOnHoldout', () => {
  it('ranks over the whole catalog with history masked, the same as exact top-K over the model', async () => {
    const split = timeSplit(syntheticEvents(), 0.8);
    const model = await SequentialRecommenderModel.load(TINY, { preferCuda: false });
    const check = await SequentialRecommenderModel.load(TINY, { preferCuda: false });
    try {
      const report = await evaluateOnHoldout(model, split, [{ itemId: 'new-a', title: 'Nitrile gloves', category: 'gloves' }, { itemId: 'new-b', brand: 'acme' }]);
      expect(report.usersEvaluated).toBe(split.cases.length);
      expect(split.cases.length).toBeGreaterThan(30);
      // Independent reference: the runtime's exact top-K with the history excluded.
      await check.addColdItems([{ itemId: 'new-a', title: 'Nitrile gloves', category: 'gloves' }, { itemId: 'new-b', brand: 'acme' }]);
      let hits = 0;
      for (const c of split.cases) {
        const users = await check.encodeUsers([c.history.map((e) => ({ itemId: e.itemId, action: e.action === 'purchase' ? 'purchase' : 'view' }))]);
        const top = check.topK(users, 10, { exclude: [c.history.map((e) => e.itemId).filter((id) => id !== c.target)] })[0];
        if (top.some((s) => s.itemId === c.target)) hits++;
      }
      expect(report.recallAt10).toBeCloseTo(hits / split.cases.length, 10);
      expect(report.ndcgAt10).toBeGreaterThan(0);
      expect(report.ndcgAt10).toBeLessThanOrEqual(report.recallAt10);
      expect(report.catalogCoverage).toBeCloseTo(split.cases.filter((c) => !c.target.startsWith('new-')).length / split.cases.length, 10);
    } finally {
      await model.release();
      await check.release();
    }
  });

  it('measures the demo model on a real shop (Amazon Scientific) as unable to serve it, so the gate replaces it', async () => {
    const { items, events } = await readDatasetDir(SCIENTIFIC);
    // Scientific's ts is each user's position; spread users over time so the split is by time.
    const split = timeSplit(events.map((e, i) => ({ ...e, ts: e.ts * 1000 + (i % 1000) })), 0.9);
    const demo = await SequentialRecommenderModel.load(DEMO, { preferCuda: false });
    try {
      const report = await evaluateOnHoldout(demo, split, items);
      expect(report.usersEvaluated).toBeGreaterThan(1000);
      expect(report.catalogCoverage).toBe(0);
      const decision = decidePromotion({ ndcgAt10: 0.01, tailRecallAt20: 0.01, catalogCoverage: 0.9 }, report, promotionPolicy({ PROMOTION_MIN_NDCG_GAIN: 2, PROMOTION_MAX_TAIL_RECALL_LOSS: 5, PROMOTION_MIN_CURRENT_COVERAGE: 50 }));
      expect(decision).toMatchObject({ promote: true, reason: expect.stringContaining('knows 0.0%') });
    } finally {
      await demo.release();
    }
  });

  it('refuses a malformed or empty export with a clear error', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recmesh-ds-'));
    await fs.writeFile(path.join(dir, 'items.jsonl'), '{"item_id":"a"}\n');
    await fs.writeFile(path.join(dir, 'events.csv'), 'user_id,item_id,ts,action\n');
    await expect(readDatasetDir(dir)).rejects.toThrow(new DatasetFormatError(`${dir}/events.csv has no events`));
    await fs.writeFile(path.join(dir, 'events.csv'), 'user_id,item_id,ts,action\nu1,a,notanumber,view\n');
    await expect(readDatasetDir(dir)).rejects.toThrow('events.csv record 2 is malformed');
    await fs.writeFile(path.join(dir, 'items.jsonl'), '{"title":"no id"}\n');
    await expect(readDatasetDir(dir)).rejects.toThrow('items.jsonl line 1 has no item_id');
  });
});
