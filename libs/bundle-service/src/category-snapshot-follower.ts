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
 * Keeps the category co-purchase snapshot current: reloads it when
 * feature-builder reports changed co-occurrences on recmesh.features.updated.v1,
 * at most once a second.
 */
export class CategorySnapshotFollower {
  private readonly logger = new Logger('CategorySnapshotFollower');
  private subscription?: Subscription;
  private pending?: NodeJS.Timeout;
  private lastReloadMs = 0;

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
      handler: async (batch) => {
        if (batch.messages.some((m) => changesCoOccurrence(m.value))) this.scheduleReload();
      },
    });
    await this.reload();
  }

  async stop(): Promise<void> {
    clearTimeout(this.pending);
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  private scheduleReload(): void {
    if (this.pending) return;
    const wait = Math.max(0, this.lastReloadMs + MIN_RELOAD_INTERVAL_MS - Date.now());
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.reload();
    }, wait);
    this.pending.unref();
  }

  private async reload(): Promise<void> {
    this.lastReloadMs = Date.now();
    try {
      await this.snapshot.reload();
    } catch (error) {
      this.logger.error(`category co-purchase reload failed: ${(error as Error).message}`);
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
