import { DataSource } from 'typeorm';

/** Rows one DELETE removes at most: other writers are never locked out for long. */
export const DELETE_BATCH = 1000;

export function isMysqlSource(dataSource: DataSource): boolean {
  return ['mysql', 'mariadb'].includes(dataSource.options.type);
}

/**
 * Deletes the rows of `table` that match `where` in batches of `batch`, each
 * its own statement (and transaction), and returns how many went; at most
 * `maxBatches` batches, so a caller can bound one pass and go on later.
 * SQLite has no DELETE ... LIMIT by default: there a batch is a set of rowids.
 */
export async function deleteInBatches(dataSource: DataSource, table: string, where: string, params: readonly unknown[], options: { batch?: number; maxBatches?: number } = {}): Promise<number> {
  const batch = Math.max(1, Math.floor(options.batch ?? DELETE_BATCH));
  const maxBatches = options.maxBatches ?? Number.MAX_SAFE_INTEGER;
  const sql = isMysqlSource(dataSource)
    ? `DELETE FROM ${table} WHERE ${where} LIMIT ${batch}`
    : `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${where} LIMIT ${batch})`;
  const runner = dataSource.createQueryRunner();
  let deleted = 0;
  try {
    for (let n = 0; n < maxBatches; n++) {
      // The structured result carries the affected row count on both drivers.
      const { affected } = await runner.query(sql, [...params], true);
      deleted += Number(affected ?? 0);
      if (Number(affected ?? 0) < batch) break;
    }
  } finally {
    await runner.release();
  }
  return deleted;
}
