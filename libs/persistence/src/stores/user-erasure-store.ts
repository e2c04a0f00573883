import { DataSource } from 'typeorm';

/**
 * Every table that holds rows about one user, with the column naming them.
 * A table added later that stores a user id must be listed here: the erasure
 * test scans every table of the store for the erased id.
 */
export const UserTables = [
  { table: 'clickstream_events', column: 'user_id' },
  { table: 'user_sequences', column: 'user_id' },
  { table: 'feedback_served_items', column: 'user_id' },
  { table: 'feedback_served_lists', column: 'user_id' },
  { table: 'feedback_attributed_actions', column: 'user_id' },
  { table: 'feedback_pending_actions', column: 'user_id' },
  { table: 'experiment_units', column: 'unit_id' },
] as const;

export type UserTable = (typeof UserTables)[number]['table'];

export interface ErasedRowCount {
  readonly table: UserTable;
  readonly rows: number;
}

/** Rows one DELETE removes at most: other writers are never locked out for long. */
const DELETE_BATCH = 1000;

/**
 * Removes a user's rows from every table, in bounded batches, each its own
 * transaction. Deleting is idempotent, so an erasure cut short (a crash, a
 * restart) is finished by running it again. Aggregates that cannot identify
 * anybody (item popularity, pair counts, metric buckets) stay.
 */
export class UserErasureStore {
  constructor(private readonly dataSource: DataSource) {}

  private get isMysql(): boolean {
    return ['mysql', 'mariadb'].includes(this.dataSource.options.type);
  }

  async erase(userId: string): Promise<ErasedRowCount[]> {
    const out: ErasedRowCount[] = [];
    for (const { table, column } of UserTables) out.push({ table, rows: await this.eraseFrom(table, column, userId) });
    return out;
  }

  /** Rows that still name the user, per table (for checks and tests). */
  async remaining(userId: string): Promise<ErasedRowCount[]> {
    const out: ErasedRowCount[] = [];
    for (const { table, column } of UserTables) out.push({ table, rows: await this.count(table, column, userId) });
    return out;
  }

  private async eraseFrom(table: string, column: string, userId: string): Promise<number> {
    if (!this.isMysql) {
      // The embedded store: one process, one writer at a time; one statement is fine.
      const rows = await this.count(table, column, userId);
      if (rows > 0) await this.dataSource.query(`DELETE FROM ${table} WHERE ${column} = ?`, [userId]);
      return rows;
    }
    let erased = 0;
    for (;;) {
      const result: { affectedRows?: number } = await this.dataSource.query(`DELETE FROM ${table} WHERE ${column} = ? LIMIT ${DELETE_BATCH}`, [userId]);
      const n = Number(result.affectedRows ?? 0);
      erased += n;
      if (n < DELETE_BATCH) return erased;
    }
  }

  private async count(table: string, column: string, userId: string): Promise<number> {
    const [row]: Array<{ n: number | string }> = await this.dataSource.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`, [userId]);
    return Number(row?.n ?? 0);
  }
}
