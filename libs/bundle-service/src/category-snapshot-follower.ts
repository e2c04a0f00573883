import { hostname } from 'os';
import { randomUUID } from 'crypto';
import { fromBinary } from '@bufbuild/protobuf';
import { Logger } from '@nestjs/common';
import { FeatureUpdatedSchema, TopicNames, Topics } from '@recmesh/contracts';
import { MessageBus, Subscription } from '@recmesh/messaging';
import { CategoryCoPurchaseSnapshot } from './store-complementarity-sources';

/** A reload at most this often, however many co-purchase changes arrive. */
const MIN_RELOAD_INTERVAL_MS = 1000;

/**
 * The share of the time the database may spend on reloads. The query scans every co-purchased pair,
 * so it grows with the shop (about 0.4 s at a million pair rows): at one a second it would keep a
 * database core busy for a figure that changes slowly.
 */
const MAX_RELOAD_DUTY = 0.1;

/** How long from `nowMs` until the next reload may start, after one that started at `startedMs` and took `tookMs`. */
export function reloadDelayMs(last: { startedMs: number; tookMs: number }, nowMs: number): number {
  return Math.max(0, last.startedMs + Math.max(MIN_RELOAD_INTERVAL_MS, last.tookMs / MAX_RELOAD_DUTY) - nowMs);
}

/**
 * Keeps the category co-purchase snapshot current: reloads it when
 * feature-builder reports changed co-occurrences on recmesh.features.updated.v1,
 * at most once a second and at most 10% of the time (reloadDelayMs).
 */
export class CategorySnapshotFollower {
  private readonly logger = new Logger('CategorySnapshotFollower');
  private subscription?: Subscription;
  private pending?: NodeJS.Timeout;
  private last = { startedMs: 0, tookMs: 0 };
  private running = false;
  private stopped = false;
  /** A change arrived while a reload ran: schedule the next one when it ends (it may not have seen the change). */
  private changedWhileRunning = false;

  constructor(
    private readonly snapshot: CategoryCoPurchaseSnapshot,
    private readonly bus: MessageBus,
    private readonly topics: TopicNames,
  ) {}

  async start(): Promise<void> {
    await this.bus.ensureTopics([{ name: this.topics.featuresUpdated, partitions: Topics.featuresUpdated.partitions }]);
    this.subscription = await this.bus.subscribe({
      groupId: `recmesh-bundler-features-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      topics: [this.topics.featuresUpdated],
      fromBeginning: false,
      // A reload runs at most once a second: fetching sooner only costs the broker and this process.
      fetch: { minBytes: 1 << 20, maxWaitMs: MIN_RELOAD_INTERVAL_MS },
      handler: async (batch) => {
        if (batch.messages.some((m) => changesCoOccurrence(m.value))) this.scheduleReload();
      },
    });
    await this.reload();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pending);
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  private scheduleReload(): void {
    if (this.stopped) return;
    if (this.running) {
      this.changedWhileRunning = true;
      return;
    }
    if (this.pending) return;
    const wait = reloadDelayMs(this.last, Date.now());
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.reload();
    }, wait);
    this.pending.unref();
  }

  private async reload(): Promise<void> {
    const startedMs = Date.now();
    this.running = true;
    try {
      await this.snapshot.reload();
    } catch (error) {
      this.logger.error(`category co-purchase reload failed: ${(error as Error).message}`);
    } finally {
      this.last = { startedMs, tookMs: Date.now() - startedMs };
      this.running = false;
      if (this.changedWhileRunning) {
        this.changedWhileRunning = false;
        this.scheduleReload();
      }
    }
  }
}

function changesCoOccurrence(value: Buffer | null): boolean {
  if (!value) return false;
  try {
    return fromBinary(FeatureUpdatedSchema, value).features.includes('co_occurrence');
  } catch {
    return false; // not ours to judge: feature-builder wrote it, and a reload later picks the change up anyway
  }
}
