import { Logger } from '@nestjs/common';
import { RetentionStore } from '@recmesh/persistence';
import { PrivacyMetrics } from './privacy-metrics';

const DAY_MS = 86_400_000;
/** Batches per table and pass: a large backlog is purged over several passes, never in one long burst. */
const MAX_BATCHES_PER_PASS = 100;

/**
 * Purges what is older than the retention period, every `intervalMs`, in
 * bounded batches. A failed pass is counted and retried at the next one.
 */
export class RetentionPurger {
  private readonly logger = new Logger('Retention');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly store: Pick<RetentionStore, 'purgeOlderThan'>,
    private readonly metrics: PrivacyMetrics,
    private readonly retentionDays: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** One pass; the rows removed per table. */
  async purgeOnce(): Promise<Map<string, number>> {
    const cutoffMs = this.clock() - this.retentionDays * DAY_MS;
    const counts = await this.store.purgeOlderThan(cutoffMs, MAX_BATCHES_PER_PASS);
    for (const c of counts) if (c.rows > 0) this.metrics.purgedRows.inc({ table: c.table }, c.rows);
    this.metrics.lastPurge.set(this.clock() / 1000);
    const purged = counts.filter((c) => c.rows > 0);
    if (purged.length > 0) this.logger.log(`purged rows older than ${this.retentionDays} days: ${purged.map((c) => `${c.table} ${c.rows}`).join(', ')}`);
    return new Map(counts.map((c) => [c.table, c.rows]));
  }

  start(intervalMs: number): void {
    const tick = () => {
      this.running = this.purgeOnce()
        .then(() => undefined)
        .catch((error: unknown) => {
          this.metrics.purgeFailures.inc();
          this.logger.warn(`retention purge failed, retrying in ${Math.round(intervalMs / 60_000)} min: ${(error as Error).message}`);
        })
        .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
    tick();
    this.logger.log(`keeping events, sequences, served lists and feedback rows for ${this.retentionDays} days (checked every ${Math.round(intervalMs / 60_000)} min)`);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
