import { DataSource } from 'typeorm';
import { ClickstreamEventEntity } from '../entities/clickstream-event.entity';
import { IdempotentInsertResult, insertIdempotently, markForwarded } from './idempotent-insert';

export type ClickstreamEventRow = Omit<ClickstreamEventEntity, 'forwarded'>;

/** Durable, deduplicated log of accepted clickstream events. */
export class ClickstreamEventStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Stores a batch in one transaction; duplicates of stored events are skipped. */
  storeBatch(rows: readonly ClickstreamEventRow[]): Promise<IdempotentInsertResult> {
    if (rows.length === 0) return Promise.resolve({ inserted: [], toForward: new Set(), duplicates: [] });
    return this.dataSource.transaction((manager) =>
      insertIdempotently(manager, ClickstreamEventEntity, rows.map((r) => ({ ...r, forwarded: 0 }))),
    );
  }

  markForwarded(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return Promise.resolve();
    return markForwarded(this.dataSource.manager, ClickstreamEventEntity, eventIds);
  }

  count(): Promise<number> {
    return this.dataSource.getRepository(ClickstreamEventEntity).count();
  }

  /** Every stored event id, for reconciliation in tests and audits. */
  async allEventIds(): Promise<string[]> {
    const rows = await this.dataSource.getRepository(ClickstreamEventEntity).find({ select: { eventId: true } });
    return rows.map((r) => r.eventId);
  }
}
