import { EntityManager, EntityTarget, In, ObjectLiteral } from 'typeorm';

export interface IdempotentInsertResult {
  /** Ids stored by this call. */
  readonly inserted: readonly string[];
  /** Ids that must (still) go to the downstream topic: new ones plus earlier, unforwarded ones. */
  readonly toForward: ReadonlySet<string>;
  /** Ids that were already stored and forwarded: redelivery with no effect. */
  readonly duplicates: readonly string[];
}

const CHUNK = 1000;

function isMysql(manager: EntityManager): boolean {
  return ['mysql', 'mariadb'].includes(manager.connection.options.type);
}

function quote(manager: EntityManager, name: string): string {
  return manager.connection.driver.escape(name);
}

/**
 * Multi-row INSERT of plain rows, hand-built because typeorm's `insert` costs
 * more in JavaScript than the statement does in the database on hot paths.
 * `ignoreExisting` skips rows whose key is taken instead of failing.
 */
export async function insertRows<T extends ObjectLiteral>(manager: EntityManager, entity: EntityTarget<T>, rows: readonly T[], options: { ignoreExisting?: boolean } = {}): Promise<void> {
  if (rows.length === 0) return;
  const metadata = manager.connection.getMetadata(entity);
  const driver = manager.connection.driver;
  const columns = metadata.columns;
  const verb = !options.ignoreExisting ? 'INSERT INTO' : isMysql(manager) ? 'INSERT IGNORE INTO' : 'INSERT OR IGNORE INTO';
  const head = `${verb} ${quote(manager, metadata.tableName)} (${columns.map((c) => quote(manager, c.databaseName)).join(', ')}) VALUES `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const params: unknown[] = [];
    for (const row of chunk) {
      for (const column of columns) params.push(driver.preparePersistentValue(column.getEntityValue(row, true), column) ?? null);
    }
    await manager.query(head + chunk.map(() => tuple).join(', '), params);
  }
}

async function forwardedState(manager: EntityManager, table: string, ids: readonly string[]): Promise<Map<string, number>> {
  const state = new Map<string, number>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const rows: Array<{ event_id: string; forwarded: number | string }> = await manager.query(
      `SELECT event_id, forwarded FROM ${quote(manager, table)} WHERE event_id IN (${chunk.map(() => '?').join(', ')})`,
      [...chunk],
    );
    for (const row of rows) state.set(row.event_id, Number(row.forwarded));
  }
  return state;
}

/**
 * Inserts rows keyed by event_id unless present, inside the caller's transaction.
 * A stored-but-unforwarded row means an earlier attempt crashed between the
 * write and the publish; it is forwarded again rather than lost.
 */
export async function insertIdempotently<T extends ObjectLiteral & { eventId: string }>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  rows: readonly T[],
): Promise<IdempotentInsertResult> {
  const table = manager.connection.getMetadata(entity).tableName;
  const existing = await forwardedState(manager, table, rows.map((r) => r.eventId));
  const fresh = rows.filter((r) => !existing.has(r.eventId));
  // IGNORE covers a concurrent instance inserting the same id meanwhile.
  await insertRows(manager, entity, fresh, { ignoreExisting: true });
  const toForward = new Set<string>(fresh.map((r) => r.eventId));
  const duplicates: string[] = [];
  for (const [id, forwarded] of existing) {
    if (forwarded) duplicates.push(id);
    else toForward.add(id);
  }
  return { inserted: fresh.map((r) => r.eventId), toForward, duplicates };
}

export async function markForwarded<T extends ObjectLiteral>(manager: EntityManager, entity: EntityTarget<T>, ids: readonly string[]): Promise<void> {
  const table = manager.connection.getMetadata(entity).tableName;
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    await manager.query(`UPDATE ${quote(manager, table)} SET forwarded = 1 WHERE event_id IN (${chunk.map(() => '?').join(', ')})`, [...chunk]);
  }
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
