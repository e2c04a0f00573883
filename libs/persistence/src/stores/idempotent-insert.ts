import { DataSource, EntityManager, EntityTarget, In, ObjectLiteral } from 'typeorm';
import { isMysqlSource } from './batched-delete';

export interface IdempotentInsertResult {
  /** Ids stored by this call. */
  readonly inserted: readonly string[];
  /** Ids that must (still) go to the downstream topic: new ones plus redelivered records already stored. */
  readonly toForward: ReadonlySet<string>;
  /** Ids stored before from another record (a resent event): no effect. */
  readonly duplicates: readonly string[];
}

/** Where a record was read on its raw topic; -1 when it did not come from one. */
export interface SourcePosition {
  readonly sourcePartition: number;
  readonly sourceOffset: number;
}

/** The position of a row that did not come from a raw topic (also the columns' default). */
export const NO_SOURCE_POSITION: SourcePosition = { sourcePartition: -1, sourceOffset: -1 };

/**
 * The row as given when it carries its raw-topic position, else a copy with NO_SOURCE_POSITION.
 * Not `{ ...NO_SOURCE_POSITION, ...row }` for every row: V8 copies a second spread property by
 * property, about 7 µs a row, which was a tenth of ingest's CPU.
 */
export function withSourcePosition<R extends ObjectLiteral & Partial<SourcePosition>>(row: R): R & SourcePosition {
  return row.sourcePartition !== undefined && row.sourceOffset !== undefined ? (row as R & SourcePosition) : { ...row, ...NO_SOURCE_POSITION };
}

export type SourcedEventRow = ObjectLiteral & { eventId: string } & SourcePosition;

const CHUNK = 1000;

function quote(manager: EntityManager, name: string): string {
  return manager.connection.driver.escape(name);
}

/** Runs a write statement and returns the rows it changed (typeorm's structured result, both drivers). */
async function execute(manager: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(sql, params, true);
    return result.affected ?? 0;
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}

/**
 * Multi-row INSERT of plain rows, hand-built because typeorm's `insert` costs
 * more in JavaScript than the statement does in the database on hot paths.
 * `ignoreExisting` skips rows whose key is taken instead of failing;
 * `replaceExisting` overwrites every other column of such rows (an upsert).
 * Returns the number of rows the database reports changed.
 */
export async function insertRows<T extends ObjectLiteral>(manager: EntityManager, entity: EntityTarget<T>, rows: readonly T[], options: { ignoreExisting?: boolean; replaceExisting?: boolean } = {}): Promise<number> {
  if (rows.length === 0) return 0;
  const metadata = manager.connection.getMetadata(entity);
  const driver = manager.connection.driver;
  const columns = metadata.columns;
  const mysql = isMysqlSource(manager.connection);
  const verb = !options.ignoreExisting ? 'INSERT INTO' : mysql ? 'INSERT IGNORE INTO' : 'INSERT OR IGNORE INTO';
  const others = columns.filter((c) => !c.isPrimary).map((c) => quote(manager, c.databaseName));
  const keys = metadata.primaryColumns.map((c) => quote(manager, c.databaseName));
  const tail = !options.replaceExisting
    ? ''
    : mysql
      ? ` ON DUPLICATE KEY UPDATE ${others.map((c) => `${c} = VALUES(${c})`).join(', ')}`
      : ` ON CONFLICT(${keys.join(', ')}) DO UPDATE SET ${others.map((c) => `${c} = excluded.${c}`).join(', ')}`;
  const head = `${verb} ${quote(manager, metadata.tableName)} (${columns.map((c) => quote(manager, c.databaseName)).join(', ')}) VALUES `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  let inserted = 0;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const params: unknown[] = [];
    for (const row of chunk) {
      for (const column of columns) params.push(driver.preparePersistentValue(column.getEntityValue(row, true), column) ?? null);
    }
    inserted += await execute(manager, head + chunk.map(() => tuple).join(', ') + tail, params);
  }
  return inserted;
}

async function storedPositions(manager: EntityManager, table: string, ids: readonly string[]): Promise<Map<string, SourcePosition>> {
  const stored = new Map<string, SourcePosition>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const rows: Array<{ event_id: string; source_partition: number | string; source_offset: number | string }> = await manager.query(
      `SELECT event_id, source_partition, source_offset FROM ${quote(manager, table)} WHERE event_id IN (${chunk.map(() => '?').join(', ')})`,
      [...chunk],
    );
    for (const row of rows) stored.set(row.event_id, { sourcePartition: Number(row.source_partition), sourceOffset: Number(row.source_offset) });
  }
  return stored;
}

const samePosition = (a: SourcePosition, b: SourcePosition) => a.sourcePartition >= 0 && a.sourcePartition === b.sourcePartition && a.sourceOffset === b.sourceOffset;

/** Thrown inside the optimistic transaction to roll it back when some ids were stored already. */
class SomeStoredBefore extends Error {}

/**
 * Stores rows keyed by event_id unless present, in one transaction with `alsoApply`
 * (given the ids this call inserted). A stored row read again from the same raw-topic
 * position is a redelivery: an earlier attempt stored it and may have died before
 * forwarding it, so it is forwarded again (consumers deduplicate by event_id); the
 * same id from another position is a duplicate and has no effect.
 *
 * The common batch has no stored ids: one INSERT and the commit. Only when the insert
 * skips a row is the transaction rolled back and redone reading the stored positions first.
 */
export async function storeIdempotently<T extends SourcedEventRow>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
  rows: readonly T[],
  alsoApply: (manager: EntityManager, inserted: ReadonlySet<string>) => Promise<void> = async () => undefined,
): Promise<IdempotentInsertResult> {
  const ids = rows.map((r) => r.eventId);
  try {
    return await dataSource.transaction(async (manager) => {
      if ((await insertRows(manager, entity, rows, { ignoreExisting: true })) !== rows.length) throw new SomeStoredBefore();
      const all = new Set(ids);
      await alsoApply(manager, all);
      return { inserted: ids, toForward: all, duplicates: [] };
    });
  } catch (error) {
    if (!(error instanceof SomeStoredBefore)) throw error;
  }
  return dataSource.transaction(async (manager) => {
    const stored = await storedPositions(manager, manager.connection.getMetadata(entity).tableName, ids);
    const fresh = rows.filter((r) => !stored.has(r.eventId));
    // IGNORE covers a concurrent instance inserting the same id meanwhile (both forward it).
    await insertRows(manager, entity, fresh, { ignoreExisting: true });
    const inserted = new Set(fresh.map((r) => r.eventId));
    const toForward = new Set(inserted);
    const duplicates: string[] = [];
    for (const row of rows) {
      const position = stored.get(row.eventId);
      if (position === undefined) continue;
      if (samePosition(position, row)) toForward.add(row.eventId);
      else duplicates.push(row.eventId);
    }
    await alsoApply(manager, inserted);
    return { inserted: [...inserted], toForward, duplicates };
  });
}

/** A consumer's table of the event ids it has applied (event_id primary key). */
export interface AppliedEventRow {
  eventId: string;
  appliedAtMs: number;
}

const CLAIM_CHUNK = 500;

/**
 * Records the events as applied in `entity`, inside the caller's transaction;
 * returns those that were not applied before. The claim commits with the
 * effects of the events, so a redelivered event changes nothing twice; two
 * instances claiming one id at once collide on the primary key and the loser's
 * batch is redelivered.
 */
export async function claimEventIds(manager: EntityManager, entity: EntityTarget<AppliedEventRow>, eventIds: readonly string[], nowMs: number): Promise<Set<string>> {
  const unique = [...new Set(eventIds)];
  const seen = new Set<string>();
  const repository = manager.getRepository(entity);
  for (let i = 0; i < unique.length; i += CLAIM_CHUNK) {
    const rows = await repository.find({ select: { eventId: true }, where: { eventId: In(unique.slice(i, i + CLAIM_CHUNK)) } });
    for (const r of rows) seen.add(r.eventId);
  }
  const fresh = unique.filter((id) => !seen.has(id));
  await insertRows(manager, entity, fresh.map((eventId) => ({ eventId, appliedAtMs: nowMs })));
  return new Set(fresh);
}
