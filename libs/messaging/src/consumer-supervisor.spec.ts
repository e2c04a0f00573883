import { ConsumerSupervisor, ConsumerSupervisorOptions, SupervisedConsumer } from './consumer-supervisor';
import { PartitionPosition } from './stall-watchdog';

/** A fake group on one topic of two partitions: consumers commit by hand, a hung one never stops. */
class FakeGroup {
  readonly committed = [0, 0];
  readonly high = [0, 0];
  readonly started: FakeConsumer[] = [];
  readonly retired: FakeConsumer[] = [];
  failure?: string;
  startFails = false;

  positions(assigned: ReadonlyMap<string, readonly number[]>): PartitionPosition[] {
    return (assigned.get('raw') ?? []).map((partition) => ({ topic: 'raw', partition, committed: this.committed[partition], low: 0, high: this.high[partition] }));
  }
}

class FakeConsumer implements SupervisedConsumer {
  readonly assigned = new Map([['raw', [0, 1]]]);
  hung = false;
  stopped = false;
  stop(): Promise<void> {
    if (this.hung) return new Promise(() => undefined);
    this.stopped = true;
    return Promise.resolve();
  }
}

describe('ConsumerSupervisor', () => {
  let now = 0;
  let group: FakeGroup;
  const warnings: string[] = [];
  const stalls: string[] = [];

  const supervisor = (overrides: Partial<ConsumerSupervisorOptions<FakeConsumer>> = {}) =>
    new ConsumerSupervisor<FakeConsumer>({
      groupId: 'ingest',
      stallMs: 60_000,
      stopTimeoutMs: 5000,
      start: async () => {
        if (group.startFails) throw new Error('broker unreachable');
        const consumer = new FakeConsumer();
        group.started.push(consumer);
        return consumer;
      },
      retire: (consumer) => group.retired.push(consumer),
      readPositions: async (assigned) => group.positions(assigned),
      reportedFailure: () => group.failure,
      markStalled: (reason) => stalls.push(reason),
      logger: { warn: (m) => warnings.push(m) },
      clock: () => now,
      ...overrides,
    });

  beforeEach(() => {
    now = 0;
    group = new FakeGroup();
    warnings.length = 0;
    stalls.length = 0;
  });
  afterEach(() => jest.useRealTimers());

  it('leaves a consumer that keeps committing alone', async () => {
    const s = supervisor();
    await s.start();
    for (let i = 0; i < 10; i++) {
      group.high[0] += 100;
      group.high[1] += 100;
      await s.check();
      group.committed[0] = group.high[0] - 50;
      group.committed[1] = group.high[1] - 50;
      now += 30_000;
    }
    expect(group.started).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it('replaces a consumer whose batch hangs: one WARN line, not ready with the reason, and a new consumer even though the old one never stops', async () => {
    jest.useFakeTimers();
    const s = supervisor();
    await s.start();
    const hung = group.started[0];
    hung.hung = true;
    group.committed[0] = 1200;
    group.high[0] = 1300;
    group.committed[1] = group.high[1] = 40; // nothing to read on partition 1
    await s.check();
    now += 30_000;
    group.high[0] = 2165;
    await s.check();
    expect(group.started).toHaveLength(1);
    now += 30_000;
    const checking = s.check();
    await jest.advanceTimersByTimeAsync(5000); // the stop timeout
    await checking;
    expect(warnings[0]).toBe('consumer group ingest stalled: raw[0] lag 965 at committed offset 1200 for 60 s; restarting the consumer');
    expect(warnings[1]).toBe('stop of the stalled consumer of group ingest did not complete within 5000 ms');
    expect(stalls).toEqual(['stalled (restarting): raw[0] lag 965']);
    expect(group.retired).toEqual([hung]);
    expect(group.started).toHaveLength(2);
    // The new consumer gets a full period before it can be judged.
    now += 59_000;
    await s.check();
    expect(group.started).toHaveLength(2);
  });

  it('stops a stalled consumer that can stop before starting the next one', async () => {
    const s = supervisor({ stallMs: 1000 });
    await s.start();
    group.high[0] = 10;
    await s.check();
    now += 1000;
    await s.check();
    expect(group.started[0].stopped).toBe(true);
    expect(group.started).toHaveLength(2);
  });

  it('gives no verdict while the consumer reports its own failure or the offsets cannot be read, and retries a replacement that failed to start', async () => {
    const unreadable = { current: false };
    const s = supervisor({ stallMs: 1000, readPositions: async (assigned) => (unreadable.current ? Promise.reject(new Error('broker away')) : group.positions(assigned)) });
    await s.start();
    group.high[0] = 10;
    group.failure = 'crashed (restarting): Connection error';
    for (let i = 0; i < 3; i++, now += 1000) await s.check();
    group.failure = undefined;
    unreadable.current = true;
    for (let i = 0; i < 3; i++, now += 1000) await s.check();
    expect(group.started).toHaveLength(1);
    unreadable.current = false;
    await s.check();
    now += 1000;
    group.startFails = true;
    await s.check(); // stalled: stopped, but the replacement cannot start
    expect(group.started).toHaveLength(1);
    expect(stalls).toHaveLength(1);
    group.startFails = false;
    await s.check();
    expect(group.started).toHaveLength(2);
  });

  it('starts nothing once stopped', async () => {
    const s = supervisor({ stallMs: 1000 });
    await s.start();
    await s.stop();
    expect(group.started[0].stopped).toBe(true);
    group.high[0] = 10;
    await s.check();
    now += 5000;
    await s.check();
    expect(group.started).toHaveLength(1);
  });
});
