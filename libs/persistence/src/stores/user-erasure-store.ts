import { DataSource } from 'typeorm';
import { deleteInBatches } from './batched-delete';

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

/**
 * Removes a user's rows from every table, in bounded batches, each its own
 * transaction. Deleting is idempotent, so an erasure cut short (a crash, a
 * restart) is finished by running it again. Aggregates that cannot identify
 * anybody (item popularity, pair counts, metric buckets) stay.
 */
export class UserErasureStore {
  constructor(private readonly dataSource: DataSource) {}

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

  private eraseFrom(table: string, column: string, userId: string): Promise<number> {
    return deleteInBatches(this.dataSource, table, `${column} = ?`, [userId]);
  }

  private async count(table: string, column: string, userId: string): Promise<number> {
    const [row]: Array<{ n: number | string }> = await this.dataSource.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`, [userId]);
    return Number(row?.n ?? 0);
  }
}
