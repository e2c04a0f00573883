import { DataSource, EntityManager, In } from 'typeorm';
import {
  FeedbackAppliedEventEntity,
  FeedbackAttributedActionEntity,
  FeedbackMetricBucketEntity,
  FeedbackPendingActionEntity,
  FeedbackServedItemEntity,
  FeedbackServedListEntity,
} from '../entities/feedback-entities';
import { CatalogItemEntity } from '../entities/catalog-item.entity';
import { ItemPopularityEntity } from '../entities/feature-entities';
import { FeatureStore } from './feature-store';
import { isMysqlSource } from './batched-delete';
import { claimEventIds, insertRows } from './idempotent-insert';

/** What identifies a served list for the metrics: where, by which model, in which experiment arm, and when. */
export interface ServedListMeta {
  readonly recId: string;
  readonly userId: string;
  readonly surface: string;
  readonly modelVersion: string;
  readonly arm: string;
  /** The experiment the arm belongs to; empty outside experiments. */
  readonly experiment: string;
  readonly tsMs: number;
}

export interface ServedListRecord extends ServedListMeta {
  /** How long the gateway took to answer; stored, not read back with the list. */
  readonly latencyMs?: number;
  /** 1-based positions, as the gateway published them. */
  readonly items: ReadonlyArray<{ readonly itemId: string; readonly position: number }>;
}

export type PendingActionRow = Omit<FeedbackPendingActionEntity, never>;
export type AttributedActionRow = Omit<FeedbackAttributedActionEntity, never>;

/** The sums kept per bucket, with their column names (exhaustive: a new counter needs its column). */
export const BucketCounterColumns = {
  impressions: 'impressions',
  itemsShown: 'items_shown',
  clicks: 'clicks',
  addToCarts: 'add_to_carts',
  purchases: 'purchases',
  revenueMinor: 'revenue_minor',
  positionSum: 'position_sum',
  tailClicks: 'tail_clicks',
  viewThroughPurchases: 'view_through_purchases',
  viewThroughRevenueMinor: 'view_through_revenue_minor',
} as const;

export type BucketCounter = keyof typeof BucketCounterColumns;
export type BucketCounts = Record<BucketCounter, number>;

export interface BucketKey {
  readonly bucketStartMs: number;
  readonly surface: string;
  readonly modelVersion: string;
  readonly arm: string;
}

export type MetricBucketRow = BucketKey & BucketCounts;
export type BucketIncrement = BucketKey & Partial<BucketCounts>;

/** A list that showed an item, and where. */
export interface ListHit {
  readonly list: ServedListMeta;
  readonly position: number;
}

/** Which user saw which item, in a window of list times. */
export interface ShownQuery {
  readonly userId: string;
  readonly itemId: string;
  readonly fromMs: number;
  readonly toMs: number;
}

const CHUNK = 500;
/** (user, item) conditions per statement: a few hundred keeps the statement small and the range scan cheap. */
const PAIR_CHUNK = 200;
const COUNTERS = Object.keys(BucketCounterColumns) as BucketCounter[];
const bucketKeyString = (k: BucketKey) => JSON.stringify([k.bucketStartMs, k.surface, k.modelVersion, k.arm]);

interface ListRowRaw {
  rec_id: string;
  user_id: string;
  surface: string;
  model_version: string;
  arm: string;
  experiment: string;
  ts_ms: number | string;
}

const listMeta = (r: ListRowRaw): ServedListMeta => ({
  recId: r.rec_id, userId: r.user_id, surface: r.surface, modelVersion: r.model_version, arm: r.arm, experiment: r.experiment, tsMs: Number(r.ts_ms),
});

/** The view-through order: later list first, then the higher rec_id, then the higher place in the list. */
function isLaterShowing(a: ListRowRaw & { position: number | string }, b: ListRowRaw & { position: number | string }): boolean {
  const ta = Number(a.ts_ms);
  const tb = Number(b.ts_ms);
  if (ta !== tb) return ta > tb;
  if (a.rec_id !== b.rec_id) return a.rec_id > b.rec_id;
  return Number(a.position) < Number(b.position);
}

/**
 * Tables of the feedback service: served lists and their items, the claim of
 * applied clickstream events, attributed actions, actions waiting for their
 * list, and the metric buckets. Writes happen in one transaction per batch
 * (see `transaction`) with the claims that caused them.
 */
export class FeedbackStore {
  constructor(private readonly dataSource: DataSource) {}

  private get isMysql(): boolean {
    return isMysqlSource(this.dataSource);
  }

  /** Row locks where the database has them: concurrent instances then take pending actions one at a time. */
  private get forUpdate(): string {
    return this.isMysql ? ' FOR UPDATE' : '';
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Records the clickstream events as applied; returns those that were not applied before. */
  claimEvents(manager: EntityManager, eventIds: readonly string[], nowMs: number): Promise<Set<string>> {
    return claimEventIds(manager, FeedbackAppliedEventEntity, eventIds, nowMs);
  }

  /** Stores lists whose rec_id is new (the rec_id is the claim); returns the new rec_ids. */
  async insertServedLists(manager: EntityManager, lists: readonly ServedListRecord[], nowMs: number): Promise<Set<string>> {
    const byId = new Map(lists.map((l) => [l.recId, l]));
    const ids = [...byId.keys()];
    const seen = new Set<string>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await manager.getRepository(FeedbackServedListEntity).find({ select: { recId: true }, where: { recId: In(ids.slice(i, i + CHUNK)) } });
      for (const r of rows) seen.add(r.recId);
    }
    const fresh = [...byId.values()].filter((l) => !seen.has(l.recId));
    const listRows = fresh.map((l) => ({
      recId: l.recId, userId: l.userId, surface: l.surface, modelVersion: l.modelVersion, arm: l.arm, experiment: l.experiment, latencyMs: l.latencyMs ?? 0, tsMs: l.tsMs, itemCount: l.items.length, receivedAtMs: nowMs,
    }));
    const itemRows = fresh.flatMap((l) => l.items.map((item) => ({ recId: l.recId, position: item.position, itemId: item.itemId, userId: l.userId, tsMs: l.tsMs })));
    await insertRows(manager, FeedbackServedListEntity, listRows);
    await insertRows(manager, FeedbackServedItemEntity, itemRows);
    return new Set(fresh.map((l) => l.recId));
  }

  /** The stored lists among `recIds`, with their items. */
  async servedLists(manager: EntityManager, recIds: readonly string[]): Promise<Map<string, ServedListRecord>> {
    const ids = [...new Set(recIds)];
    const out = new Map<string, ServedListRecord>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const lists = await manager.getRepository(FeedbackServedListEntity).find({ where: { recId: In(chunk) } });
      if (lists.length === 0) continue;
      const items = await manager.getRepository(FeedbackServedItemEntity).find({ where: { recId: In(lists.map((l) => l.recId)) }, order: { position: 'ASC' } });
      const itemsOf = new Map<string, Array<{ itemId: string; position: number }>>();
      for (const item of items) itemsOf.set(item.recId, [...(itemsOf.get(item.recId) ?? []), { itemId: item.itemId, position: item.position }]);
      for (const l of lists) {
        out.set(l.recId, { recId: l.recId, userId: l.userId, surface: l.surface, modelVersion: l.modelVersion, arm: l.arm, experiment: l.experiment, tsMs: l.tsMs, items: itemsOf.get(l.recId) ?? [] });
      }
    }
    return out;
  }

  /**
   * For each wanted (user, item, window): the most recently served list that
   * showed the item to the user with fromMs <= ts <= toMs (ties: highest
   * rec_id, then lowest position), or undefined. One query per chunk, not
   * one per action: view-through purchases come in batches.
   */
  async latestListsShowing(manager: EntityManager, wanted: ReadonlyArray<ShownQuery>): Promise<Array<ListHit | undefined>> {
    const rowsOf = new Map<string, Array<ListRowRaw & { position: number | string }>>();
    const pairKey = (userId: string, itemId: string) => `${userId}\u0000${itemId}`;
    for (let i = 0; i < wanted.length; i += PAIR_CHUNK) {
      const chunk = wanted.slice(i, i + PAIR_CHUNK);
      const rows: Array<ListRowRaw & { position: number | string; item_id: string }> = await manager.query(
        `SELECT l.rec_id, l.user_id, l.surface, l.model_version, l.arm, l.experiment, l.ts_ms, i.position, i.item_id
           FROM feedback_served_items i JOIN feedback_served_lists l ON l.rec_id = i.rec_id
          WHERE ${chunk.map(() => '(i.user_id = ? AND i.item_id = ? AND i.ts_ms >= ? AND i.ts_ms <= ?)').join(' OR ')}`,
        chunk.flatMap((w) => [w.userId, w.itemId, w.fromMs, w.toMs]),
      );
      for (const r of rows) {
        const key = pairKey(r.user_id, r.item_id);
        const list = rowsOf.get(key) ?? [];
        if (!list.some((x) => x.rec_id === r.rec_id && Number(x.position) === Number(r.position))) list.push(r);
        rowsOf.set(key, list);
      }
    }
    return wanted.map((w) => {
      let best: (ListRowRaw & { position: number | string }) | undefined;
      for (const r of rowsOf.get(pairKey(w.userId, w.itemId)) ?? []) {
        const ts = Number(r.ts_ms);
        if (ts < w.fromMs || ts > w.toMs) continue;
        if (best === undefined || isLaterShowing(r, best)) best = r;
      }
      return best === undefined ? undefined : { list: listMeta(best), position: Number(best.position) };
    });
  }

  /** Keys of actions counted once per shown item that are already counted. */
  async onceKeysTaken(manager: EntityManager, keys: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(keys)];
    const taken = new Set<string>();
    for (let i = 0; i < unique.length; i += CHUNK) {
      const rows = await manager.getRepository(FeedbackAttributedActionEntity).find({ select: { eventId: true, onceKey: true }, where: { onceKey: In(unique.slice(i, i + CHUNK)) } });
      for (const r of rows) if (r.onceKey !== null) taken.add(r.onceKey);
    }
    return taken;
  }

  async insertAttributed(manager: EntityManager, rows: readonly AttributedActionRow[]): Promise<void> {
    await insertRows(manager, FeedbackAttributedActionEntity, rows);
  }

  async insertPending(manager: EntityManager, rows: readonly PendingActionRow[]): Promise<void> {
    await insertRows(manager, FeedbackPendingActionEntity, rows);
  }

  async deletePending(manager: EntityManager, eventIds: readonly string[]): Promise<void> {
    for (let i = 0; i < eventIds.length; i += CHUNK) await manager.getRepository(FeedbackPendingActionEntity).delete({ eventId: In(eventIds.slice(i, i + CHUNK)) });
  }

  /** Pending actions that name one of `recIds`, locked until the transaction ends. */
  async lockPendingForLists(manager: EntityManager, recIds: readonly string[]): Promise<PendingActionRow[]> {
    const out: PendingActionRow[] = [];
    const ids = [...new Set(recIds)].sort();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      out.push(...(await this.selectPending(manager, `rec_id IN (${chunk.map(() => '?').join(', ')}) ORDER BY event_id`, chunk)));
    }
    return out;
  }

  /** Pending purchases without rec_id by each list's user of one of its items, locked until the transaction ends. */
  async lockPendingViewThrough(manager: EntityManager, shown: ReadonlyArray<{ readonly userId: string; readonly itemIds: readonly string[] }>): Promise<PendingActionRow[]> {
    const itemsOf = new Map<string, Set<string>>();
    for (const s of shown) {
      if (s.userId === '' || s.itemIds.length === 0) continue;
      const items = itemsOf.get(s.userId) ?? new Set<string>();
      for (const item of s.itemIds) items.add(item);
      itemsOf.set(s.userId, items);
    }
    // By user, not by (user, item): a list shows many items and view-through purchases are few,
    // so locking a user's other waiting purchases costs less than thousands of conditions.
    const users = [...itemsOf.keys()].sort();
    const out: PendingActionRow[] = [];
    for (let i = 0; i < users.length; i += CHUNK) {
      const chunk = users.slice(i, i + CHUNK);
      const rows = await this.selectPending(manager, `rec_id = '' AND user_id IN (${chunk.map(() => '?').join(', ')}) ORDER BY event_id`, chunk);
      out.push(...rows.filter((r) => itemsOf.get(r.userId)?.has(r.itemId)));
    }
    return out;
  }

  /**
   * Pending actions received since `sinceMs` whose list is stored by now: a
   * list and its action committed by two transactions at once never saw each
   * other; this finds them. View-through candidates match a list that showed
   * the item to the user with tsMs - lookbackMs <= list ts <= tsMs + lookaheadMs.
   */
  async lockPendingMatched(manager: EntityManager, options: { sinceMs: number; lookbackMs: number; lookaheadMs: number; limit: number }): Promise<PendingActionRow[]> {
    const byRec = await this.selectPending(
      manager,
      `rec_id <> '' AND received_at_ms >= ? AND EXISTS (SELECT 1 FROM feedback_served_lists l WHERE l.rec_id = p.rec_id) ORDER BY event_id LIMIT ${Math.floor(options.limit)}`,
      [options.sinceMs],
    );
    const viewThrough = await this.selectPending(
      manager,
      `rec_id = '' AND received_at_ms >= ? AND EXISTS (SELECT 1 FROM feedback_served_items i WHERE i.user_id = p.user_id AND i.item_id = p.item_id
         AND i.ts_ms >= p.ts_ms - ? AND i.ts_ms <= p.ts_ms + ?) ORDER BY event_id LIMIT ${Math.floor(options.limit)}`,
      [options.sinceMs, options.lookbackMs, options.lookaheadMs],
    );
    return [...byRec, ...viewThrough];
  }

  /** Pending actions whose event time is before `beforeTsMs`, locked (at most `limit`). */
  async lockPendingOlderThan(manager: EntityManager, beforeTsMs: number, limit: number): Promise<PendingActionRow[]> {
    return this.selectPending(manager, `ts_ms < ? ORDER BY event_id LIMIT ${Math.floor(limit)}`, [beforeTsMs]);
  }

  private async selectPending(manager: EntityManager, where: string, params: unknown[]): Promise<PendingActionRow[]> {
    const rows: Array<Record<string, string | number>> = await manager.query(
      `SELECT p.event_id, p.rec_id, p.user_id, p.item_id, p.action, p.quantity, p.revenue_minor, p.ts_ms, p.received_at_ms FROM feedback_pending_actions p WHERE ${where}${this.forUpdate}`,
      params,
    );
    return rows.map((r) => ({
      eventId: String(r['event_id']), recId: String(r['rec_id']), userId: String(r['user_id']), itemId: String(r['item_id']),
      action: Number(r['action']), quantity: Number(r['quantity']), revenueMinor: Number(r['revenue_minor']), tsMs: Number(r['ts_ms']), receivedAtMs: Number(r['received_at_ms']),
    }));
  }

  /** How many actions wait for a list, by kind. */
  async pendingCounts(): Promise<{ recId: number; viewThrough: number }> {
    const rows: Array<{ view_through: number | string; n: number | string }> = await this.dataSource.query(
      "SELECT CASE WHEN rec_id = '' THEN 1 ELSE 0 END AS view_through, COUNT(*) AS n FROM feedback_pending_actions GROUP BY CASE WHEN rec_id = '' THEN 1 ELSE 0 END",
    );
    const out = { recId: 0, viewThrough: 0 };
    for (const r of rows) {
      if (Number(r.view_through) === 1) out.viewThrough = Number(r.n);
      else out.recId = Number(r.n);
    }
    return out;
  }

  /** Adds the increments atomically, rows in key order (concurrent instances add to the same buckets). */
  async addToBuckets(manager: EntityManager, increments: readonly BucketIncrement[]): Promise<void> {
    const merged = new Map<string, MetricBucketRow>();
    for (const inc of increments) {
      const key = bucketKeyString(inc);
      const row = merged.get(key) ?? { bucketStartMs: inc.bucketStartMs, surface: inc.surface, modelVersion: inc.modelVersion, arm: inc.arm, ...zeroCounts() };
      for (const c of COUNTERS) row[c] += inc[c] ?? 0;
      merged.set(key, row);
    }
    const rows = [...merged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
    const columns = COUNTERS.map((c) => BucketCounterColumns[c]);
    const conflict = this.isMysql
      ? `ON DUPLICATE KEY UPDATE ${columns.map((c) => `${c} = ${c} + VALUES(${c})`).join(', ')}`
      : `ON CONFLICT(bucket_start_ms, surface, model_version, arm) DO UPDATE SET ${columns.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`;
    const tuple = `(${['?', '?', '?', '?', ...columns.map(() => '?')].join(', ')})`;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      await manager.query(
        `INSERT INTO feedback_metric_buckets (bucket_start_ms, surface, model_version, arm, ${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')} ${conflict}`,
        chunk.flatMap((r) => [r.bucketStartMs, r.surface, r.modelVersion, r.arm, ...COUNTERS.map((c) => r[c])]),
      );
    }
  }

  // Reads for dashboards, reports and tests.

  /** Buckets starting in [fromMs, toMs), oldest first. */
  async buckets(fromMs = 0, toMs = Number.MAX_SAFE_INTEGER): Promise<MetricBucketRow[]> {
    const rows = await this.dataSource.getRepository(FeedbackMetricBucketEntity).createQueryBuilder('b')
      .where('b.bucket_start_ms >= :fromMs AND b.bucket_start_ms < :toMs', { fromMs, toMs })
      .orderBy('b.bucket_start_ms', 'ASC').addOrderBy('b.surface', 'ASC').addOrderBy('b.model_version', 'ASC').addOrderBy('b.arm', 'ASC')
      .getMany();
    return rows.map((r) => ({ ...r }));
  }

  async attributedActions(): Promise<AttributedActionRow[]> {
    return this.dataSource.getRepository(FeedbackAttributedActionEntity).find({ order: { eventId: 'ASC' } });
  }

  /**
   * The popularity head: the `share` most popular items (by decayed
   * popularity at `atMs`) of the items the store knows, counted as the larger
   * of the live catalog and the items with a popularity row.
   */
  async popularityHead(share: number, atMs: number, halfLifeMs: number): Promise<Set<string>> {
    const live = await this.dataSource.getRepository(CatalogItemEntity).count({ where: { deleted: 0 } });
    const popular = await this.dataSource.getRepository(ItemPopularityEntity).count();
    const size = Math.ceil(share * Math.max(live, popular));
    if (size === 0) return new Set();
    const top = await new FeatureStore(this.dataSource).topPopular({ limit: size, atMs, halfLifeMs });
    return new Set(top.map((t) => t.itemId));
  }
}

function zeroCounts(): BucketCounts {
  return Object.fromEntries(COUNTERS.map((c) => [c, 0])) as BucketCounts;
}
