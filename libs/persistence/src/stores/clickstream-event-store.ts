import { DataSource, MoreThanOrEqual } from 'typeorm';
import { ClickstreamEventEntity } from '../entities/clickstream-event.entity';
import { IdempotentInsertResult, SourcePosition, storeIdempotently, withSourcePosition } from './idempotent-insert';

/** An event to store; without a raw-topic position (fixtures, imports) a copy arriving again is a duplicate. */
export type ClickstreamEventRow = Omit<ClickstreamEventEntity, keyof SourcePosition> & Partial<SourcePosition>;

/** What a dataset export needs of an event; also the keyset cursor (user_id, ts_ms, event_id) of the next page. */
export interface ClickstreamExportRow {
  readonly userId: string;
  readonly tsMs: number;
  readonly eventId: string;
  readonly itemId: string;
  readonly action: number;
}

export type ClickstreamExportCursor = Pick<ClickstreamExportRow, 'userId' | 'tsMs' | 'eventId'>;

/** Durable, deduplicated log of accepted clickstream events. */
export class ClickstreamEventStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Stores a batch in one transaction; duplicates of stored events are skipped (storeIdempotently). */
  storeBatch(rows: readonly ClickstreamEventRow[]): Promise<IdempotentInsertResult> {
    if (rows.length === 0) return Promise.resolve({ inserted: [], toForward: new Set(), duplicates: [] });
    return storeIdempotently(this.dataSource, ClickstreamEventEntity, rows.map(withSourcePosition));
  }

  count(): Promise<number> {
    return this.dataSource.getRepository(ClickstreamEventEntity).count();
  }

  /** Events stored at or after a time (how much new data arrived since the last training). */
  countIngestedSince(sinceMs: number): Promise<number> {
    return this.dataSource.getRepository(ClickstreamEventEntity).count({ where: { ingestedAtMs: MoreThanOrEqual(sinceMs) } });
  }

  /**
   * One page of the events with fromMs <= ts_ms < toMs in (user_id, ts_ms, event_id) order, strictly
   * after `after`: keyset pagination over ix_clickstream_user_ts (event_id is the primary key, so the
   * order is total), with no OFFSET and no more than `limit` rows in memory. Read-only.
   */
  async exportPage(window: { readonly fromMs: number; readonly toMs: number }, after: ClickstreamExportCursor | null, limit: number): Promise<ClickstreamExportRow[]> {
    const qb = this.dataSource
      .getRepository(ClickstreamEventEntity)
      .createQueryBuilder('e')
      .select('e.userId', 'userId')
      .addSelect('e.tsMs', 'tsMs')
      .addSelect('e.eventId', 'eventId')
      .addSelect('e.itemId', 'itemId')
      .addSelect('e.action', 'action')
      .where('e.tsMs >= :fromMs AND e.tsMs < :toMs', { fromMs: window.fromMs, toMs: window.toMs });
    if (after) {
      // The leading `user_id >= :u` keeps it a range scan of the index on MySQL/MariaDB.
      qb.andWhere('e.userId >= :u AND (e.userId > :u OR e.tsMs > :t OR (e.tsMs = :t AND e.eventId > :id))', { u: after.userId, t: after.tsMs, id: after.eventId });
    }
    const rows = await qb.orderBy('e.userId', 'ASC').addOrderBy('e.tsMs', 'ASC').addOrderBy('e.eventId', 'ASC').limit(limit).getRawMany<Record<string, unknown>>();
    return rows.map((r) => ({ userId: String(r.userId), tsMs: Number(r.tsMs), eventId: String(r.eventId), itemId: String(r.itemId), action: Number(r.action) }));
  }

  /** Every stored event id, for reconciliation in tests and audits. */
  async allEventIds(): Promise<string[]> {
    const rows = await this.dataSource.getRepository(ClickstreamEventEntity).find({ select: { eventId: true } });
    return rows.map((r) => r.eventId);
  }
}
