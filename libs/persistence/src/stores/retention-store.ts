import { DataSource } from 'typeorm';

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

/** Rows one DELETE removes at most: writers are never locked out for long. */
const PURGE_BATCH = 1000;

/** Deletes rows older than a cutoff from every retained table, in bounded batches. */
export class RetentionStore {
  constructor(private readonly dataSource: DataSource) {}

  private get isMysql(): boolean {
    return ['mysql', 'mariadb'].includes(this.dataSource.options.type);
  }

  /** Rows removed per table; `maxBatches` bounds one pass per table (the next pass goes on). */
  async purgeOlderThan(cutoffMs: number, maxBatches = Number.MAX_SAFE_INTEGER): Promise<Array<{ table: RetainedTable; rows: number }>> {
    const out: Array<{ table: RetainedTable; rows: number }> = [];
    for (const { table, column } of RetainedTables) out.push({ table, rows: await this.purge(table, column, Math.floor(cutoffMs), maxBatches) });
    return out;
  }

  private async purge(table: string, column: string, cutoffMs: number, maxBatches: number): Promise<number> {
    let purged = 0;
    for (let batch = 0; batch < maxBatches; batch++) {
      const n = this.isMysql
        ? Number(((await this.dataSource.query(`DELETE FROM ${table} WHERE ${column} < ? LIMIT ${PURGE_BATCH}`, [cutoffMs])) as { affectedRows?: number }).affectedRows ?? 0)
        : await this.purgeEmbedded(table, column, cutoffMs);
      purged += n;
      if (n < PURGE_BATCH) break;
    }
    return purged;
  }

  /** SQLite has no DELETE ... LIMIT by default: delete a batch of rowids. */
  private async purgeEmbedded(table: string, column: string, cutoffMs: number): Promise<number> {
    const [before]: Array<{ n: number }> = await this.dataSource.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} < ?`, [cutoffMs]);
    if (Number(before.n) === 0) return 0;
    await this.dataSource.query(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${column} < ? LIMIT ${PURGE_BATCH})`, [cutoffMs]);
    return Math.min(Number(before.n), PURGE_BATCH);
  }
}
