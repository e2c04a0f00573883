import { DeadlineExceededError, QueueFullError } from '@recmesh/serving-core';
import { MicroBatcher } from './micro-batcher';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MicroBatcher', () => {
  it('scores requests that arrive together in one call, each getting its own result', async () => {
    const calls: number[][] = [];
    const batcher = new MicroBatcher<number, number>(async (xs) => (calls.push(xs), xs.map((x) => x * 10)), { maxBatchSize: 8, maxWaitMs: 20, maxQueue: 100 });
    const results = await Promise.all([1, 2, 3].map((x) => batcher.submit(x)));
    expect(results).toEqual([10, 20, 30]);
    expect(calls).toEqual([[1, 2, 3]]);
  });

  it('flushes as soon as a batch is full, without waiting', async () => {
    const calls: number[][] = [];
    const batcher = new MicroBatcher<number, number>(async (xs) => (calls.push(xs), xs), { maxBatchSize: 2, maxWaitMs: 10_000, maxQueue: 100 });
    const started = Date.now();
    await Promise.all([batcher.submit(1), batcher.submit(2)]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(calls).toEqual([[1, 2]]);
  });

  it('collects requests that arrive while a batch runs into the next batch', async () => {
    const calls: number[][] = [];
    const batcher = new MicroBatcher<number, number>(async (xs) => (calls.push(xs), await sleep(30), xs), { maxBatchSize: 100, maxWaitMs: 0, maxQueue: 100 });
    const first = batcher.submit(0);
    await sleep(5);
    const rest = [1, 2, 3, 4].map((x) => batcher.submit(x));
    await Promise.all([first, ...rest]);
    expect(calls).toEqual([[0], [1, 2, 3, 4]]);
  });

  it('fails fast when the queue is full instead of queueing without bound', async () => {
    const batcher = new MicroBatcher<number, number>(async (xs) => (await sleep(50), xs), { maxBatchSize: 1, maxWaitMs: 0, maxQueue: 2 });
    const accepted = [batcher.submit(1), batcher.submit(2), batcher.submit(3)];
    await expect(batcher.submit(4)).rejects.toBeInstanceOf(QueueFullError);
    await expect(Promise.all(accepted)).resolves.toEqual([1, 2, 3]);
  });

  it('drops requests whose deadline passed while they waited', async () => {
    const seen: number[] = [];
    const batcher = new MicroBatcher<number, number>(async (xs) => (seen.push(...xs), await sleep(40), xs), { maxBatchSize: 1, maxWaitMs: 0, maxQueue: 10 });
    const slow = batcher.submit(1);
    const late = batcher.submit(2, Date.now() + 10);
    await expect(late).rejects.toBeInstanceOf(DeadlineExceededError);
    await slow;
    expect(seen).toEqual([1]);
  });

  it('rejects every request of a failed batch and keeps serving', async () => {
    let fail = true;
    const batcher = new MicroBatcher<number, number>(async (xs) => {
      if (fail) throw new Error('model session crashed');
      return xs;
    }, { maxBatchSize: 4, maxWaitMs: 5, maxQueue: 10 });
    await expect(Promise.all([batcher.submit(1), batcher.submit(2)])).rejects.toThrow('model session crashed');
    fail = false;
    await expect(batcher.submit(3)).resolves.toBe(3);
  });
});
