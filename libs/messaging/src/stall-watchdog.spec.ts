import { describeStall, PartitionPosition, StallWatchdog } from './stall-watchdog';

describe('StallWatchdog', () => {
  let now = 0;
  const clock = () => now;
  const at = (committed: number, high: number, partition = 0, low = 0): PartitionPosition => ({ topic: 'raw', partition, committed, low, high });

  it('reports a lagging partition whose committed offset has not moved for the stall period, and only that one', () => {
    const watchdog = new StallWatchdog({ stallMs: 60_000, clock });
    expect(watchdog.observe([at(100, 150, 0), at(200, 250, 1)])).toEqual([]);
    now += 30_000;
    expect(watchdog.observe([at(100, 400, 0), at(300, 420, 1)])).toEqual([]);
    now += 30_000;
    // Partition 0: 60 s at offset 100 with lag; partition 1 moved 30 s ago.
    expect(watchdog.observe([at(100, 700, 0), at(350, 700, 1)])).toEqual([{ topic: 'raw', partition: 0, lag: 600, committed: 100, stalledMs: 60_000 }]);
    now += 29_000;
    expect(watchdog.observe([at(100, 900, 0), at(350, 900, 1)]).map((s) => s.partition)).toEqual([0]);
    now += 31_000; // partition 1 last moved at 60 s
    expect(watchdog.observe([at(100, 900, 0), at(350, 900, 1)]).map((s) => s.partition)).toEqual([0, 1]);
  });

  it('does not count a partition with nothing to read, however long its offset stays put', () => {
    const watchdog = new StallWatchdog({ stallMs: 10_000, clock });
    for (let i = 0; i < 5; i++) {
      expect(watchdog.observe([at(500, 500)])).toEqual([]);
      now += 10_000;
    }
    // Messages arrive: the clock starts now, not at the first reading.
    expect(watchdog.observe([at(500, 510)])).toEqual([]);
    now += 9_999;
    expect(watchdog.observe([at(500, 520)])).toEqual([]);
    now += 1;
    expect(watchdog.observe([at(500, 520)])).toEqual([{ topic: 'raw', partition: 0, lag: 20, committed: 500, stalledMs: 10_000 }]);
  });

  it('measures a group with no commit from the log start', () => {
    const watchdog = new StallWatchdog({ stallMs: 1000, clock });
    watchdog.observe([at(-1, 80, 0, 30)]);
    now += 1000;
    expect(watchdog.observe([at(-1, 80, 0, 30)])).toEqual([{ topic: 'raw', partition: 0, lag: 50, committed: 30, stalledMs: 1000 }]);
  });

  it('forgets partitions it no longer owns and starts afresh after reset()', () => {
    const watchdog = new StallWatchdog({ stallMs: 1000, clock });
    watchdog.observe([at(1, 9, 0), at(1, 9, 1)]);
    now += 1000;
    watchdog.observe([at(1, 9, 1)]); // partition 0 went to another member
    expect(watchdog.observe([at(1, 9, 0), at(1, 9, 1)]).map((s) => s.partition)).toEqual([1]);
    watchdog.reset();
    now += 5000;
    expect(watchdog.observe([at(1, 9, 0), at(1, 9, 1)])).toEqual([]);
  });

  it('describes a stall in one line with topic, partition, lag, offset and age', () => {
    expect(describeStall('ingest', [{ topic: 'raw', partition: 3, lag: 965, committed: 1200, stalledMs: 121_400 }, { topic: 'raw', partition: 5, lag: 7, committed: 9, stalledMs: 120_000 }])).toBe(
      'consumer group ingest stalled: raw[3] lag 965 at committed offset 1200 for 121 s; raw[5] lag 7 at committed offset 9 for 120 s',
    );
  });
});
