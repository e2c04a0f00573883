import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileBusStorage } from './file-bus-storage';
import { InMemoryMessageBus } from './in-memory-message-bus';
import { BusMessage } from './message-bus';

const TOPIC = 'orders.v1';

describe('the in-process bus on FileBusStorage', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-bus-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const storage = () => FileBusStorage.open({ dir, segmentBytes: 1 << 20, retentionMs: 0 });
  const until = async (check: () => boolean) => {
    const deadline = Date.now() + 5_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const publish = (bus: InMemoryMessageBus, from: number, to: number) =>
    bus.publish(TOPIC, Array.from({ length: to - from }, (_, i) => ({ key: `u${(from + i) % 7}`, value: `e${from + i}` })));

  it('keeps published records across a reopen and redelivers only what the group had not committed', async () => {
    const first = new InMemoryMessageBus(undefined, storage());
    await first.ensureTopics([{ name: TOPIC, partitions: 3 }]);
    await publish(first, 0, 30);
    const seen: string[] = [];
    let failAfter = 20;
    const sub = await first.subscribe({
      groupId: 'g',
      topics: [TOPIC],
      maxBatchMessages: 5,
      handler: async (batch) => {
        if (failAfter <= 0) throw new Error('crash before commit');
        failAfter -= batch.messages.length;
        seen.push(...batch.messages.map((m) => m.value!.toString()));
      },
    });
    await until(() => failAfter <= 0);
    await sub.stop();
    await first.close();
    expect(seen.length).toBeGreaterThanOrEqual(20);

    // a new process: the same records, offsets from the file; the group gets exactly the rest
    const second = new InMemoryMessageBus(undefined, storage());
    await second.ensureTopics([{ name: TOPIC, partitions: 3 }]);
    expect(second.read(TOPIC)).toHaveLength(30);
    await publish(second, 30, 35);
    const rest: BusMessage[] = [];
    await second.subscribe({ groupId: 'g', topics: [TOPIC], handler: async (b) => void rest.push(...b.messages) });
    await until(() => seen.length + rest.length === 35);
    await until(() => second.isDrained());
    expect([...seen, ...rest.map((m) => m.value!.toString())].sort()).toEqual(Array.from({ length: 35 }, (_, i) => `e${i}`).sort());
    await second.close();
  });

  it('after a crash (no close) redelivers the uncommitted batch and keeps the offsets file whole', async () => {
    const crashed = new InMemoryMessageBus(undefined, storage());
    await crashed.ensureTopics([{ name: TOPIC, partitions: 1 }]);
    await publish(crashed, 0, 10);
    let handled = 0;
    const sub = await crashed.subscribe({ groupId: 'g', topics: [TOPIC], maxBatchMessages: 4, handler: async (b) => void (handled += b.messages.length) });
    await until(() => handled === 10);
    await sub.stop();
    // never closed, as after a SIGKILL: the lock names this (live) process, which may take it over
    const file = path.join(dir, 'offsets.json');
    const committed = () => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')).groups.g[`${TOPIC}:0`] : undefined);
    await until(() => committed() === 10);
    expect(fs.readdirSync(dir).sort()).toEqual(['LOCK', 'offsets.json', TOPIC]); // the temp file was renamed over it
    await publish(crashed, 10, 13);

    const reopened = new InMemoryMessageBus(undefined, storage());
    await reopened.ensureTopics([{ name: TOPIC, partitions: 1 }]);
    const again: string[] = [];
    await reopened.subscribe({ groupId: 'g', topics: [TOPIC], handler: async (b) => void again.push(...b.messages.map((m) => `${m.offset}=${m.value}`)) });
    await until(() => again.length === 3);
    expect(again).toEqual(['10=e10', '11=e11', '12=e12']);
    await reopened.close();
  });

  it('deletes the segments every group committed past and keeps the partition count of the disk', async () => {
    const bus = new InMemoryMessageBus(undefined, FileBusStorage.open({ dir, segmentBytes: 256, retentionMs: 0 }));
    await bus.ensureTopics([{ name: TOPIC, partitions: 1 }]);
    let handled = 0;
    let holding = true;
    await bus.subscribe({
      groupId: 'g',
      topics: [TOPIC],
      maxBatchMessages: 100,
      handler: async (b) => {
        if (holding) throw new Error('not yet');
        handled += b.messages.length;
      },
    });
    for (let i = 0; i < 40; i++) await publish(bus, i, i + 1);
    const partitionDir = path.join(dir, TOPIC, '0');
    expect(fs.readdirSync(partitionDir).length).toBeGreaterThan(3); // the group has not read them: kept
    holding = false;
    await until(() => handled === 40 && bus.isDrained());
    expect(fs.readdirSync(partitionDir)).toHaveLength(1);
    await bus.close();

    const again = new InMemoryMessageBus(undefined, storage());
    await again.ensureTopics([{ name: TOPIC, partitions: 4 }]);
    await publish(again, 40, 48);
    expect(fs.readdirSync(path.join(dir, TOPIC))).toEqual(['0']);
    expect(again.read(TOPIC).map((m) => Number(m.offset))).toEqual(expect.arrayContaining([40, 47]));
    await again.close();
  });

  it('refuses a directory another live process holds', () => {
    fs.writeFileSync(path.join(dir, 'LOCK'), String(process.ppid));
    expect(() => storage()).toThrow(`the bus directory ${dir} is in use by process ${process.ppid}`);
  });

  it('rejects a topic name that is not a Kafka topic name instead of writing outside the directory', async () => {
    const bus = new InMemoryMessageBus(undefined, storage());
    await expect(bus.ensureTopics([{ name: '../escape', partitions: 1 }])).rejects.toThrow(/is not a Kafka topic name/);
    await bus.close();
  });
});
