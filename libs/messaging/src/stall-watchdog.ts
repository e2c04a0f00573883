/** Where a group stands on one partition, as the broker reports it. */
export interface PartitionPosition {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset; -1 when it has committed none. */
  readonly committed: number;
  /** Log start offset: where a group with no commit begins. */
  readonly low: number;
  /** High watermark: the offset the next message will get. */
  readonly high: number;
}

/** A partition with messages waiting whose committed offset has not moved for `stalledMs`. */
export interface StalledPartition {
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
  readonly committed: number;
  readonly stalledMs: number;
}

export interface StallWatchdogOptions {
  /** Lag that has not moved for this long is a stall. */
  readonly stallMs: number;
  readonly clock?: () => number;
}

/**
 * Notices a consumer that believes it is running while a partition it owns
 * makes no progress: lag above zero and the committed offset unchanged for
 * `stallMs`. kafkajs heartbeats only between batches and gives no signal when
 * a batch handler or a fetch never settles (kafkajs#659, #1431), so /ready and
 * the group state alone cannot see it.
 */
export class StallWatchdog {
  private readonly clock: () => number;
  /** Per "topic|partition": the committed offset last seen and since when it has not moved while lagging. */
  private readonly since = new Map<string, { committed: number; sinceMs: number }>();

  constructor(private readonly options: StallWatchdogOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Feeds one reading of the partitions this consumer owns; gives those stalled now. */
  observe(positions: readonly PartitionPosition[]): StalledPartition[] {
    const now = this.clock();
    const stalled: StalledPartition[] = [];
    const seen = new Set<string>();
    for (const p of positions) {
      const key = `${p.topic}|${p.partition}`;
      seen.add(key);
      const position = p.committed < 0 ? p.low : p.committed;
      const lag = Math.max(0, p.high - position);
      const previous = this.since.get(key);
      if (lag === 0) {
        // Caught up: no clock runs until there is something to read.
        this.since.delete(key);
        continue;
      }
      if (!previous || previous.committed !== position) {
        // Lag first seen, or the offset moved: the clock starts from this reading.
        this.since.set(key, { committed: position, sinceMs: now });
        continue;
      }
      const stalledMs = now - previous.sinceMs;
      if (stalledMs >= this.options.stallMs) stalled.push({ topic: p.topic, partition: p.partition, lag, committed: position, stalledMs });
    }
    // Partitions no longer owned (a rebalance) are forgotten.
    for (const key of [...this.since.keys()]) if (!seen.has(key)) this.since.delete(key);
    return stalled;
  }

  /** After a restart of the consumer: every partition gets a full period again. */
  reset(): void {
    this.since.clear();
  }
}

/** One WARN line that makes the next occurrence diagnosable. */
export function describeStall(groupId: string, stalled: readonly StalledPartition[]): string {
  const parts = stalled.map((s) => `${s.topic}[${s.partition}] lag ${s.lag} at committed offset ${s.committed} for ${Math.round(s.stalledMs / 1000)} s`);
  return `consumer group ${groupId} stalled: ${parts.join('; ')}`;
}
