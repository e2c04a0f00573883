import { EntityManager, EntityTarget, In, ObjectLiteral } from 'typeorm';

export interface IdempotentInsertResult {
  /** Ids stored by this call. */
  readonly inserted: readonly string[];
  /** Ids that must (still) go to the downstream topic: new ones plus earlier, unforwarded ones. */
  readonly toForward: ReadonlySet<string>;
  /** Ids that were already stored and forwarded: redelivery with no effect. */
  readonly duplicates: readonly string[];
}

const CHUNK = 500;

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
  const ids = rows.map((r) => r.eventId);
  const existing = new Map<string, number>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const found = await manager.getRepository(entity).find({
      select: { eventId: true, forwarded: true } as never,
      where: { eventId: In(ids.slice(i, i + CHUNK)) } as never,
    });
    for (const row of found as unknown as Array<{ eventId: string; forwarded: number }>) existing.set(row.eventId, row.forwarded);
  }
  const fresh = rows.filter((r) => !existing.has(r.eventId));
  for (let i = 0; i < fresh.length; i += CHUNK) {
    // orIgnore covers a concurrent instance inserting the same id meanwhile.
    await manager.createQueryBuilder().insert().into(entity).values(fresh.slice(i, i + CHUNK) as never).orIgnore().execute();
  }
  const toForward = new Set<string>(fresh.map((r) => r.eventId));
  const duplicates: string[] = [];
  for (const [id, forwarded] of existing) {
    if (forwarded) duplicates.push(id);
    else toForward.add(id);
  }
  return { inserted: fresh.map((r) => r.eventId), toForward, duplicates };
}

export async function markForwarded<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  ids: readonly string[],
): Promise<void> {
  for (let i = 0; i < ids.length; i += CHUNK) {
    await manager
      .createQueryBuilder()
      .update(entity)
      .set({ forwarded: 1 } as never)
      .where('event_id IN (:...ids)', { ids: ids.slice(i, i + CHUNK) })
      .execute();
  }
}
