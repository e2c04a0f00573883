import { Coalescer } from './coalescer';
import { MessageBatch } from './message-bus';

const batch = (partition: number): MessageBatch => ({ topic: 't', partition, messages: [] });

describe('Coalescer', () => {
  it('hands the batches of one turn of the event loop over together, and later ones in a group of their own', async () => {
    const groups: number[][] = [];
    const coalescer = new Coalescer<MessageBatch>(async (batches) => {
      groups.push(batches.map((b) => b.partition));
    });
    await Promise.all([0, 1, 2].map((p) => coalescer.handle(batch(p))));
    await coalescer.handle(batch(3));
    expect(groups).toEqual([[0, 1, 2], [3]]);
  });

  it('fails every batch of a group whose handling failed (all are redelivered), and handles the next group afresh', async () => {
    let calls = 0;
    const coalescer = new Coalescer<MessageBatch>(async () => {
      if (calls++ === 0) throw new Error('store down');
    });
    const outcomes = await Promise.allSettled([coalescer.handle(batch(0)), coalescer.handle(batch(1))]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toEqual(new Error('store down'));
    await expect(coalescer.handle(batch(2))).resolves.toBeUndefined();
  });

  it('starts a new group while an earlier one is still being handled (no batch waits for another group)', async () => {
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const seen: number[][] = [];
    const coalescer = new Coalescer<MessageBatch>(async (batches) => {
      seen.push(batches.map((b) => b.partition));
      if (seen.length === 1) await first;
    });
    const slow = coalescer.handle(batch(0));
    await new Promise((r) => setImmediate(r));
    await coalescer.handle(batch(1));
    expect(seen).toEqual([[0], [1]]);
    release();
    await slow;
  });
});
