import { DataSource, EntityManager, In } from 'typeorm';
import {
  FeatureAppliedEventEntity,
  ItemPairCountEntity,
  ItemPopularityEntity,
  ItemTextEmbeddingEntity,
  SequenceStep,
  UserSequenceEntity,
} from '../entities/feature-entities';
import { claimEventIds } from './idempotent-insert';

export interface PairIncrement {
  readonly itemA: string;
  readonly itemB: string;
  readonly session: number;
  readonly order: number;
}

export type PopularityRow = Omit<ItemPopularityEntity, never>;

const CHUNK = 500;

/**
 * Tables behind recommendations: user sequences, decayed item popularity,
 * item-pair co-occurrence and text embeddings. Writes happen inside one
 * transaction per batch (see `transaction`), together with the claim of the
 * events that caused them, so a redelivered batch changes nothing twice.
 */
export class FeatureStore {
  constructor(private readonly dataSource: DataSource) {}

  private get isMysql(): boolean {
    return ['mysql', 'mariadb'].includes(this.dataSource.options.type);
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Records the events as applied; returns those that were not applied before. */
  claimEvents(manager: EntityManager, eventIds: readonly string[], nowMs: number): Promise<Set<string>> {
    return claimEventIds(manager, FeatureAppliedEventEntity, eventIds, nowMs);
  }

  async loadSequences(manager: EntityManager, userIds: readonly string[]): Promise<Map<string, SequenceStep[]>> {
    const out = new Map<string, SequenceStep[]>();
    for (let i = 0; i < userIds.length; i += CHUNK) {
      const rows = await manager.getRepository(UserSequenceEntity).find({ where: { userId: In(userIds.slice(i, i + CHUNK)) } });
      for (const r of rows) out.set(r.userId, r.steps);
    }
    return out;
  }

  async saveSequences(manager: EntityManager, rows: readonly UserSequenceEntity[]): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) await manager.getRepository(UserSequenceEntity).upsert(rows.slice(i, i + CHUNK) as UserSequenceEntity[], ['userId']);
  }

  /**
   * Current popularity rows, locked on MySQL so concurrent instances do not
   * lose updates. Missing rows are created first (zero score, in key order):
   * a locking read of a missing row takes a gap lock, and two transactions
   * that both then insert into the gap deadlock. A zero row adds like none.
   */
  async loadPopularityForUpdate(manager: EntityManager, itemIds: readonly string[]): Promise<Map<string, PopularityRow>> {
    const sorted = [...new Set(itemIds)].sort();
    const out = new Map<string, PopularityRow>();
    if (this.isMysql) {
      for (let i = 0; i < sorted.length; i += CHUNK) {
        const chunk = sorted.slice(i, i + CHUNK);
        await manager.query(`INSERT IGNORE INTO item_popularity (item_id, score, reference_ts_ms, interactions, leaf_category) VALUES ${chunk.map(() => "(?, 0, 0, 0, '')").join(', ')}`, chunk);
      }
    }
    for (let i = 0; i < sorted.length; i += CHUNK) {
      const rows = await manager.getRepository(ItemPopularityEntity).find({
        where: { itemId: In(sorted.slice(i, i + CHUNK)) },
        ...(this.isMysql ? { lock: { mode: 'pessimistic_write' as const } } : {}),
      });
      for (const r of rows) out.set(r.itemId, r);
    }
    return out;
  }

  async savePopularity(manager: EntityManager, rows: readonly PopularityRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) await manager.getRepository(ItemPopularityEntity).upsert(rows.slice(i, i + CHUNK) as ItemPopularityEntity[], ['itemId']);
  }

  /** Adds the increments atomically (several instances may count the same pair). */
  async incrementPairs(manager: EntityManager, increments: readonly PairIncrement[]): Promise<void> {
    const conflict = this.isMysql
      ? 'ON DUPLICATE KEY UPDATE session_count = session_count + VALUES(session_count), order_count = order_count + VALUES(order_count)'
      : 'ON CONFLICT(item_a, item_b) DO UPDATE SET session_count = session_count + excluded.session_count, order_count = order_count + excluded.order_count';
    for (let i = 0; i < increments.length; i += CHUNK) {
      const chunk = increments.slice(i, i + CHUNK);
      await manager.query(
        `INSERT INTO item_pair_counts (item_a, item_b, session_count, order_count) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')} ${conflict}`,
        chunk.flatMap((p) => [p.itemA, p.itemB, p.session, p.order]),
      );
    }
  }

  async saveTextEmbeddings(rows: readonly ItemTextEmbeddingEntity[]): Promise<void> {
    if (rows.length > 0) await this.dataSource.getRepository(ItemTextEmbeddingEntity).upsert(rows as ItemTextEmbeddingEntity[], ['itemId']);
  }

  async textEmbeddingHashes(itemIds: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.dataSource.getRepository(ItemTextEmbeddingEntity).find({ select: { itemId: true, textSha256: true }, where: { itemId: In([...itemIds]) } });
    return new Map(rows.map((r) => [r.itemId, r.textSha256]));
  }

  // Reads for serving and tests.

  async sequence(userId: string): Promise<SequenceStep[] | undefined> {
    return (await this.dataSource.getRepository(UserSequenceEntity).findOne({ where: { userId } }))?.steps;
  }

  async popularity(itemId: string): Promise<PopularityRow | null> {
    return this.dataSource.getRepository(ItemPopularityEntity).findOne({ where: { itemId } });
  }

  /**
   * Most popular items now, globally or in one leaf category. Scores are stored
   * at their own reference time, so the top by stored score is re-ranked after
   * decaying each to `atMs`.
   */
  async topPopular(options: { leafCategory?: string; limit: number; atMs: number; halfLifeMs: number }): Promise<Array<{ itemId: string; score: number }>> {
    const rows = await this.dataSource.getRepository(ItemPopularityEntity).find({
      where: options.leafCategory ? { leafCategory: options.leafCategory } : {},
      order: { score: 'DESC', itemId: 'ASC' },
      take: Math.max(options.limit * 5, 100),
    });
    return rows
      .map((r) => ({ itemId: r.itemId, score: r.score * Math.pow(0.5, Math.max(0, options.atMs - r.referenceTsMs) / options.halfLifeMs) }))
      .sort((a, b) => b.score - a.score || a.itemId.localeCompare(b.itemId))
      .slice(0, options.limit);
  }

  async pairsOf(itemId: string, limit: number): Promise<ItemPairCountEntity[]> {
    return this.dataSource.getRepository(ItemPairCountEntity).find({ where: { itemA: itemId }, order: { sessionCount: 'DESC', itemB: 'ASC' }, take: limit });
  }

  /** Partners each item was bought with in one order, most co-purchased first. */
  async coPurchasePartners(itemId: string, limit: number): Promise<Array<{ itemId: string; count: number }>> {
    const rows: Array<{ item_b: string; order_count: number | string }> = await this.dataSource.query(
      'SELECT item_b, order_count FROM item_pair_counts WHERE item_a = ? AND order_count > 0 ORDER BY order_count DESC, item_b ASC LIMIT ?',
      [itemId, limit],
    );
    return rows.map((r) => ({ itemId: r.item_b, count: Number(r.order_count) }));
  }

  /** Co-purchase counts of every pair inside `itemIds` (each pair once per direction). */
  async coPurchasesAmong(itemIds: readonly string[]): Promise<Array<{ itemA: string; itemB: string; count: number }>> {
    const ids = [...new Set(itemIds)];
    const out: Array<{ itemA: string; itemB: string; count: number }> = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const rows: Array<{ item_a: string; item_b: string; order_count: number | string }> = await this.dataSource.query(
        `SELECT item_a, item_b, order_count FROM item_pair_counts WHERE order_count > 0 AND item_a IN (${chunk.map(() => '?').join(', ')}) AND item_b IN (${ids.map(() => '?').join(', ')})`,
        [...chunk, ...ids],
      );
      for (const r of rows) out.push({ itemA: r.item_a, itemB: r.item_b, count: Number(r.order_count) });
    }
    return out;
  }

  /** Sum of co-purchase counts over all partners, per item (items never co-purchased are absent). */
  async coPurchaseDegrees(itemIds: readonly string[]): Promise<Map<string, number>> {
    const ids = [...new Set(itemIds)];
    const out = new Map<string, number>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const rows: Array<{ item_a: string; degree: number | string }> = await this.dataSource.query(
        `SELECT item_a, SUM(order_count) AS degree FROM item_pair_counts WHERE order_count > 0 AND item_a IN (${chunk.map(() => '?').join(', ')}) GROUP BY item_a`,
        chunk,
      );
      for (const r of rows) out.set(r.item_a, Number(r.degree));
    }
    return out;
  }

  /**
   * Co-purchase counts summed over the leaf categories of both items (from the
   * live catalog), for category-level complements: "cases go with phones".
   */
  async categoryCoPurchases(): Promise<Array<{ categoryA: string; categoryB: string; count: number }>> {
    const rows: Array<{ category_a: string; category_b: string; total: number | string }> = await this.dataSource.query(
      `SELECT ca.leaf_category AS category_a, cb.leaf_category AS category_b, SUM(p.order_count) AS total
         FROM item_pair_counts p
         JOIN catalog_items ca ON ca.item_id = p.item_a
         JOIN catalog_items cb ON cb.item_id = p.item_b
        WHERE p.order_count > 0
        GROUP BY ca.leaf_category, cb.leaf_category`,
    );
    return rows.map((r) => ({ categoryA: r.category_a, categoryB: r.category_b, count: Number(r.total) }));
  }

  /** Text embeddings of the items that have one, decoded. */
  async textVectors(itemIds: readonly string[]): Promise<Map<string, Float32Array>> {
    const ids = [...new Set(itemIds)];
    const out = new Map<string, Float32Array>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await this.dataSource.getRepository(ItemTextEmbeddingEntity).find({ select: { itemId: true, vector: true }, where: { itemId: In(ids.slice(i, i + CHUNK)) } });
      for (const r of rows) {
        const bytes = Buffer.from(r.vector, 'base64');
        out.set(r.itemId, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
      }
    }
    return out;
  }

  async textEmbedding(itemId: string): Promise<ItemTextEmbeddingEntity | null> {
    return this.dataSource.getRepository(ItemTextEmbeddingEntity).findOne({ where: { itemId } });
  }
}
