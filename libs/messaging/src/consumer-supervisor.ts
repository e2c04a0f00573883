import { describeStall, PartitionPosition, StallWatchdog } from './stall-watchdog';
import { withTimeout } from './with-timeout';

/** One running consumer of a subscription, as the supervisor sees it. */
export interface SupervisedConsumer {
  /** Partitions the group gave it, by topic (its last join). */
  readonly assigned: ReadonlyMap<string, readonly number[]>;
  /** Leaves the group; waits for the batch in flight. */
  stop(): Promise<void>;
}

export interface ConsumerSupervisorOptions<C extends SupervisedConsumer> {
  readonly groupId: string;
  /** Lag whose committed offset has not moved for this long is a stall. */
  readonly stallMs: number;
  /** How long a stalled consumer's stop() may take before it is left behind (its batch may never settle). */
  readonly stopTimeoutMs: number;
  /** Connects, subscribes and runs a new consumer. */
  readonly start: () => Promise<C>;
  /** Called before a stalled consumer is stopped: its late batches and events must no longer count. */
  readonly retire: (consumer: C) => void;
  readonly readPositions: (assigned: ReadonlyMap<string, readonly number[]>) => Promise<PartitionPosition[]>;
  /** What the consumer reported itself (crash, disconnect) while it is not back in its group; kafkajs restarts those itself. */
  readonly reportedFailure: () => string | undefined;
  /** Makes /ready say not ready with `reason` until the new consumer joins its group. */
  readonly markStalled: (reason: string) => void;
  readonly logger: { warn(message: string): void };
  readonly clock?: () => number;
}

/**
 * Keeps one consumer of a subscription running and replaces it when a partition
 * it owns stops making progress while it believes it is fine (a batch handler,
 * produce or commit that never settles; kafkajs heartbeats only between
 * batches, so the group silently evicts it and nothing restarts it).
 */
export class ConsumerSupervisor<C extends SupervisedConsumer> {
  private current?: C;
  private stopped = false;
  private readonly watchdog: StallWatchdog;

  constructor(private readonly options: ConsumerSupervisorOptions<C>) {
    this.watchdog = new StallWatchdog({ stallMs: options.stallMs, clock: options.clock });
  }

  async start(): Promise<void> {
    this.current = await this.options.start();
  }

  /** One look at the owned partitions; on a stall: one WARN line, not ready with the reason, and a new consumer. */
  async check(): Promise<void> {
    if (this.stopped) return;
    if (!this.current) {
      // The last replacement failed to start (broker away): try again.
      this.current = await this.options.start().catch(() => undefined);
      return;
    }
    if (this.options.reportedFailure()) {
      // kafkajs is restarting it and /ready says so already; the clock starts again once it is back.
      this.watchdog.reset();
      return;
    }
    // No reading (broker away): no verdict.
    const positions = await this.options.readPositions(this.current.assigned).catch(() => undefined);
    if (!positions || this.stopped) return;
    const stalled = this.watchdog.observe(positions);
    if (stalled.length === 0) return;
    this.options.logger.warn(`${describeStall(this.options.groupId, stalled)}; restarting the consumer`);
    this.options.markStalled(`stalled (restarting): ${stalled.map((p) => `${p.topic}[${p.partition}] lag ${p.lag}`).join(', ')}`);
    const old = this.current;
    this.current = undefined;
    this.options.retire(old);
    // A batch that never settles keeps stop() from settling too: leave it behind, the group evicts it.
    await withTimeout(old.stop(), this.options.stopTimeoutMs, `stop of the stalled consumer of group ${this.options.groupId}`).catch((error: Error) => this.options.logger.warn(error.message));
    this.watchdog.reset();
    if (!this.stopped) this.current = await this.options.start().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const current = this.current;
    this.current = undefined;
    await current?.stop();
  }
}
