import { create, toBinary } from '@bufbuild/protobuf';
import { Action, ClickstreamEventSchema, RecommendationServedSchema } from '@recmesh/contracts';
import { ItemPopularityEntity, openStore } from '@recmesh/persistence';

export const BUCKET_MS = 5 * 60_000;
export const WINDOW_MS = 60 * 60_000;

export interface ListSpec {
  readonly recId: string;
  readonly userId: string;
  readonly surface: 'recommend' | 'similar_items' | 'bundle';
  readonly model: string;
  readonly arm: string;
  readonly items: readonly string[];
  readonly tsMs: number;
}

export interface ActionSpec {
  readonly eventId: string;
  readonly userId: string;
  readonly itemId: string;
  readonly action: Action;
  readonly tsMs: number;
  readonly recId?: string;
  readonly quantity?: number;
  readonly price?: number;
}

/** A record as the gateway publishes it (1-based positions), keyed by user_id. */
export function servedRecord(l: ListSpec): { key: string; value: Buffer } {
  const value = toBinary(RecommendationServedSchema, create(RecommendationServedSchema, {
    recId: l.recId, userId: l.userId, surface: l.surface, modelVersion: l.model, arm: l.arm, tsMs: BigInt(l.tsMs),
    items: l.items.map((itemId, i) => ({ itemId, position: i + 1, score: 1, reasonCode: 'test' })),
  }));
  return { key: l.userId, value: Buffer.from(value) };
}

/** A record as ingest forwards it to the normalized topic, keyed by user_id. */
export function actionRecord(a: ActionSpec): { key: string; value: Buffer } {
  const value = toBinary(ClickstreamEventSchema, create(ClickstreamEventSchema, {
    eventId: a.eventId, userId: a.userId, sessionId: `s-${a.userId}`, itemId: a.itemId, action: a.action, tsMs: BigInt(a.tsMs),
    recId: a.recId ?? '', quantity: a.quantity ?? 1, price: a.price, currency: a.price === undefined ? '' : 'EUR',
  }));
  return { key: a.userId, value: Buffer.from(value) };
}

/** Runs the migrations and gives `items` popularity scores in that order (most popular first), as feature-builder would. */
export async function seedPopularity(mysqlUrl: string, items: readonly string[], atMs: number): Promise<void> {
  const ds = await openStore({ kind: 'mysql', url: mysqlUrl });
  try {
    await ds.getRepository(ItemPopularityEntity).insert(items.map((itemId, i) => ({ itemId, score: 1000 - i, referenceTsMs: atMs, interactions: 1000 - i, leafCategory: '' })));
  } finally {
    await ds.destroy();
  }
}

export type BucketRow = {
  bucket_start_ms: number; surface: string; model_version: string; arm: string; impressions: number; items_shown: number; clicks: number; add_to_carts: number;
  purchases: number; revenue_minor: number; position_sum: number; tail_clicks: number; view_through_purchases: number; view_through_revenue_minor: number;
};

const COUNTS = ['impressions', 'items_shown', 'clicks', 'add_to_carts', 'purchases', 'revenue_minor', 'position_sum', 'tail_clicks', 'view_through_purchases', 'view_through_revenue_minor'] as const;

/** feedback_metric_buckets as plain numbers, keyed "bucket|surface|model|arm". */
export function bucketMap(rows: readonly BucketRow[]): Map<string, Record<(typeof COUNTS)[number], number>> {
  return new Map(rows.map((r) => [`${Number(r.bucket_start_ms)}|${r.surface}|${r.model_version}|${r.arm}`, Object.fromEntries(COUNTS.map((c) => [c, Number(r[c])])) as Record<(typeof COUNTS)[number], number>]));
}

/**
 * The buckets the attribution rules must produce, computed here independently
 * of the service: by rec_id within the window (clicks and carts once per shown
 * item), and for purchases without rec_id the most recent list that showed the
 * item to the user. Lists and actions in the fixtures are chosen so that
 * delivery order cannot change the answer.
 */
export function expectedBuckets(lists: readonly ListSpec[], actions: readonly ActionSpec[], head: ReadonlySet<string>, skewMs: number): Map<string, Record<(typeof COUNTS)[number], number>> {
  const out = new Map<string, Record<(typeof COUNTS)[number], number>>();
  const row = (l: ListSpec) => {
    const key = `${Math.floor(l.tsMs / BUCKET_MS) * BUCKET_MS}|${l.surface}|${l.model}|${l.arm}`;
    const r = out.get(key) ?? (Object.fromEntries(COUNTS.map((c) => [c, 0])) as Record<(typeof COUNTS)[number], number>);
    out.set(key, r);
    return r;
  };
  for (const l of lists) {
    row(l).impressions += 1;
    row(l).items_shown += l.items.length;
  }
  const byRec = new Map(lists.map((l) => [l.recId, l]));
  const seen = new Set<string>();
  const counted = new Set<string>();
  const inWindow = (a: ActionSpec, l: ListSpec) => a.tsMs >= l.tsMs - skewMs && a.tsMs <= l.tsMs + WINDOW_MS;
  const revenue = (a: ActionSpec) => (a.price === undefined ? 0 : Math.round(a.price * 100) * (a.quantity ?? 1));
  for (const a of actions) {
    if (seen.has(a.eventId)) continue;
    seen.add(a.eventId);
    if (a.recId) {
      const l = byRec.get(a.recId);
      if (!l || !inWindow(a, l) || ![Action.CLICK, Action.ADD_TO_CART, Action.PURCHASE].includes(a.action)) continue;
      const position = l.items.indexOf(a.itemId) + 1;
      if (position === 0) continue;
      if (a.action !== Action.PURCHASE) {
        const once = `${a.recId}|${position}|${a.action}`;
        if (counted.has(once)) continue;
        counted.add(once);
      }
      const r = row(l);
      if (a.action === Action.CLICK) {
        r.clicks += 1;
        r.position_sum += position;
        if (head.size > 0 && !head.has(a.itemId)) r.tail_clicks += 1;
      } else if (a.action === Action.ADD_TO_CART) {
        r.add_to_carts += 1;
      } else {
        r.purchases += 1;
        r.revenue_minor += revenue(a);
      }
    } else if (a.action === Action.PURCHASE) {
      const candidates = lists.filter((l) => l.userId === a.userId && l.items.includes(a.itemId) && inWindow(a, l)).sort((x, y) => y.tsMs - x.tsMs);
      if (candidates.length === 0) continue;
      const r = row(candidates[0]);
      r.view_through_purchases += 1;
      r.view_through_revenue_minor += revenue(a);
    }
  }
  return out;
}

/** Sum of the samples of `name` on a /metrics page whose labels include every `labels` pair. */
export function metricValue(page: string, name: string, labels: Record<string, string> = {}): number {
  return page
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}
