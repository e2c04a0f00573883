import { DataSource } from 'typeorm';
import { deleteInBatches } from './batched-delete';

/**
 * The tables whose rows age out, with the time column that dates them. Not
 * here: aggregates that identify nobody (popularity, pair counts, metric
 * buckets), the catalog, the model registry, and experiment units (an
 * experiment's results need all of its users; erase a user to remove theirs).
 */
export const RetainedTables = [
  { table: 'clickstream_events', column: 'ts_ms' },
  { table: 'user_sequences', column: 'updated_ts_ms' },
  { table: 'feedback_served_items', column: 'ts_ms' },
  { table: 'feedback_served_lists', column: 'ts_ms' },
  { table: 'feedback_attributed_actions', column: 'ts_ms' },
  { table: 'feedback_pending_actions', column: 'ts_ms' },
  { table: 'feature_applied_events', column: 'applied_at_ms' },
  { table: 'feedback_applied_events', column: 'applied_at_ms' },
] as const;

export type RetainedTable = (typeof RetainedTables)[number]['table'];

/** Deletes rows older than a cutoff from every retained table, in bounded batches. */
export class RetentionStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Rows removed per table; `maxBatches` bounds one pass per table (the next pass goes on). */
  async purgeOlderThan(cutoffMs: number, maxBatches = Number.MAX_SAFE_INTEGER): Promise<Array<{ table: RetainedTable; rows: number }>> {
    const out: Array<{ table: RetainedTable; rows: number }> = [];
    for (const { table, column } of RetainedTables) out.push({ table, rows: await deleteInBatches(this.dataSource, table, `${column} < ?`, [Math.floor(cutoffMs)], { maxBatches }) });
    return out;
  }
}
