import { InMemoryMessageBus } from './in-memory-message-bus';
import { MessageBatch } from './message-bus';

async function until(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('InMemoryMessageBus', () => {
  let bus: InMemoryMessageBus;
  beforeEach(async () => {
    bus = new InMemoryMessageBus();
    await bus.ensureTopics([{ name: 't', partitions: 6 }]);
  });
  afterEach(() => bus.close());

  it('keeps all messages of one key in one partition, in order', async () => {
    await bus.publish('t', Array.from({ length: 20 }, (_, i) => ({ key: 'user-1', value: String(i) })));
    const messages = bus.read('t');
    expect(new Set(messages.map((m) => m.partition)).size).toBe(1);
    expect(messages.map((m) => m.value!.toString())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it('is drained only once every group has handled every message of its topics', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    await bus.subscribe({ groupId: 'slow', topics: ['t'], handler: () => gate });
    expect(bus.isDrained()).toBe(true);
    await bus.publish('t', [{ key: 'k', value: 'x' }]);
    expect(bus.isDrained()).toBe(false);
    release();
    await until(() => bus.isDrained());
  });

  it('refuses unknown topics like a broker without auto-creation', async () => {
    await expect(bus.publish('nope', [{ value: 'x' }])).rejects.toThrow('does not exist');
  });

  it('splits partitions between members of one group and delivers each message once', async () => {
    const seen: string[] = [];
    const byMember = [new Set<number>(), new Set<number>()];
    const handler = (i: number) => async (batch: MessageBatch) => {
      byMember[i].add(batch.partition);
      seen.push(...batch.messages.map((m) => m.value!.toString()));
    };
    const a = await bus.subscribe({ groupId: 'g', topics: ['t'], handler: handler(0) });
    const b = await bus.subscribe({ groupId: 'g', topics: ['t'], handler: handler(1) });
    await bus.publish('t', Array.from({ length: 300 }, (_, i) => ({ key: `k${i}`, value: String(i) })));
    await until(() => seen.length === 300);
    expect(new Set(seen).size).toBe(300);
    const overlap = [...byMember[0]].filter((p) => byMember[1].has(p));
    expect(overlap).toEqual([]);
    expect(byMember[0].size + byMember[1].size).toBe(6);
    await a.stop();
    await b.stop();
  });

  it('redelivers a batch whose handler failed, and commits after success', async () => {
    let attempts = 0;
    const delivered: string[] = [];
    const sub = await bus.subscribe({
      groupId: 'g2',
      topics: ['t'],
      handler: async (batch) => {
        attempts++;
        if (attempts === 1) throw new Error('database down');
        delivered.push(...batch.messages.map((m) => m.value!.toString()));
      },
    });
    await bus.publish('t', [{ key: 'a', value: 'only' }]);
    await until(() => delivered.length === 1);
    expect(attempts).toBe(2);
    expect(delivered).toEqual(['only']);
    await sub.stop();
  });

  it('hands a stopped member\'s partitions to the remaining member', async () => {
    const seen: string[] = [];
    const a = await bus.subscribe({ groupId: 'g3', topics: ['t'], handler: async () => undefined });
    const b = await bus.subscribe({
      groupId: 'g3',
      topics: ['t'],
      handler: async (batch) => void seen.push(...batch.messages.map((m) => m.value!.toString())),
    });
    await a.stop();
    await bus.publish('t', Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: String(i) })));
    await until(() => seen.length === 60);
    await b.stop();
  });
});
