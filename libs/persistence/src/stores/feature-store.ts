import { DataSource, EntityManager, In } from 'typeorm';
import {
  FeatureAppliedEventEntity,
  ItemPairCountEntity,
  ItemPopularityEntity,
  ItemTextEmbeddingEntity,
  SequenceStep,
  UserSequenceEntity,
} from '../entities/feature-entities';
import { claimEventIds, insertRows } from './idempotent-insert';

export interface PairIncrement {
  readonly itemA: string;
  readonly itemB: string;
  readonly session: number;
  readonly order: number;
}

export type PopularityRow = Omit<ItemPopularityEntity, never>;

/** One batch's change to an item's popularity: its adds as one decayed sum at referenceTsMs (negative for cart removals). */
export type PopularityChange = PopularityRow;

const CHUNK = 500;

/** Key order (the order InnoDB locks rows in): plain code-unit comparison, as the binary collation sorts. */
const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

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
      const chunk = userIds.slice(i, i + CHUNK);
      // A plain query: typeorm's find costs more in JavaScript than the lookup does in the database on this path.
      const rows: Array<{ user_id: string; steps: string }> = await manager.query(`SELECT user_id, steps FROM user_sequences WHERE user_id IN (${chunk.map(() => '?').join(', ')})`, [...chunk]);
      for (const r of rows) out.set(r.user_id, JSON.parse(r.steps) as SequenceStep[]);
    }
    return out;
  }

  async saveSequences(manager: EntityManager, rows: readonly UserSequenceEntity[]): Promise<void> {
    await insertRows(manager, UserSequenceEntity, rows, { replaceExisting: true });
  }

  /**
   * Adds each item's change (a batch's adds as one decayed sum, possibly negative) to its stored
   * decayed score in atomic upserts: no locking read, so concurrent instances neither lose an update
   * nor hold locks between statements. The sum is brought to the later of the two reference times
   * (the stored score decays to the change's time, or the change to the stored time), the score never
   * goes below zero, and interactions add up. Rows go in key order so that transactions touching the
   * same items queue on their row locks instead of deadlocking. Both dialects evaluate the SET list
   * against the old row here: MySQL assigns left to right, and score is assigned before
   * reference_ts_ms; SQLite evaluates every expression before assigning.
   */
  async addPopularity(manager: EntityManager, changes: readonly PopularityChange[], halfLifeMs: number): Promise<void> {
    if (!(Number.isFinite(halfLifeMs) && halfLifeMs > 0)) throw new Error(`popularity half-life must be a positive number of ms, got ${halfLifeMs}`);
    const mysql = this.isMysql;
    const incoming = (column: string) => (mysql ? `VALUES(${column})` : `excluded.${column}`);
    const greatest = mysql ? 'GREATEST' : 'max';
    const halvings = (older: string, newer: string) => `POW(0.5, (${newer} - ${older}) * 1.0 / ${halfLifeMs})`;
    const update = (added: string) =>
      `${mysql ? 'ON DUPLICATE KEY UPDATE' : 'ON CONFLICT(item_id) DO UPDATE SET'} ` +
      `score = ${greatest}(0, CASE WHEN ${incoming('reference_ts_ms')} >= reference_ts_ms ` +
      `THEN score * ${halvings('reference_ts_ms', incoming('reference_ts_ms'))} + ${added} ` +
      `ELSE score + ${added} * ${halvings(incoming('reference_ts_ms'), 'reference_ts_ms')} END), ` +
      `reference_ts_ms = ${greatest}(reference_ts_ms, ${incoming('reference_ts_ms')}), ` +
      `interactions = interactions + ${incoming('interactions')}, ` +
      `leaf_category = CASE WHEN ${incoming('leaf_category')} <> '' THEN ${incoming('leaf_category')} ELSE leaf_category END`;
    const head = 'INSERT INTO item_popularity (item_id, score, reference_ts_ms, interactions, leaf_category) VALUES ';
    const sorted = [...changes].sort((a, b) => byKey(a.itemId, b.itemId));
    // Runs of gains go as one multi-row statement each, adding the inserted score. A loss (cart
    // removals) would be clamped on insert, so it goes alone: a new row starts at zero and the loss is
    // a parameter of the update. Both keep the key order.
    for (let i = 0; i < sorted.length; ) {
      if (sorted[i].score < 0) {
        const c = sorted[i++];
        await manager.query(`${head}(?, 0, ?, ?, ?) ${update('?')}`, [c.itemId, c.referenceTsMs, c.interactions, c.leafCategory, c.score, c.score]);
        continue;
      }
      const run: PopularityChange[] = [];
      while (i < sorted.length && sorted[i].score >= 0 && run.length < CHUNK) run.push(sorted[i++]);
      await manager.query(
        `${head}${run.map(() => '(?, ?, ?, ?, ?)').join(', ')} ${update(incoming('score'))}`,
        run.flatMap((c) => [c.itemId, c.score, c.referenceTsMs, c.interactions, c.leafCategory]),
      );
    }
  }

  /** Writes rows as given (seeding, tests); the feature pipeline adds through `addPopularity`. */
  async savePopularity(manager: EntityManager, rows: readonly PopularityRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) await manager.getRepository(ItemPopularityEntity).upsert(rows.slice(i, i + CHUNK) as ItemPopularityEntity[], ['itemId']);
  }

  /** Adds the increments atomically (several instances may count the same pair), in key order so that they queue rather than deadlock. */
  async incrementPairs(manager: EntityManager, unordered: readonly PairIncrement[]): Promise<void> {
    const increments = [...unordered].sort((a, b) => byKey(a.itemA, b.itemA) || byKey(a.itemB, b.itemB));
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

  /** A user's sequence; on every Recommend, so the same plain query as the pipeline's. */
  async sequence(userId: string): Promise<SequenceStep[] | undefined> {
    return (await this.loadSequences(this.dataSource.manager, [userId])).get(userId);
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
