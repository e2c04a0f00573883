import { BundleFitResult, CoPurchaseGraph, cosine, fitBundleModel } from '@recmesh/bundling';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';

/** Items one shopper bought together, and when the order started (in the events' time unit). */
export interface ShopOrder {
  readonly userId: string;
  readonly startTs: number;
  readonly items: readonly string[];
}

/** What a shopper did, in time order; the buyer's history before an order is the personal signal. */
export interface ShopperStep {
  readonly itemId: string;
  readonly action: string;
  readonly ts: number;
}

/**
 * Orders from purchases when no session id is at hand (the export's events.csv
 * has none): one shopper's purchases with no gap longer than `gap` between
 * consecutive ones form one order. Only orders of two or more distinct items
 * say anything about what goes together.
 */
export function ordersFromPurchases(events: ReadonlyArray<{ userId: string; itemId: string; ts: number; action: string }>, gap: number): ShopOrder[] {
  const byUser = new Map<string, Array<{ itemId: string; ts: number }>>();
  for (const e of events) {
    if (e.action !== 'purchase') continue;
    let list = byUser.get(e.userId);
    if (!list) byUser.set(e.userId, (list = []));
    list.push({ itemId: e.itemId, ts: e.ts });
  }
  const orders: ShopOrder[] = [];
  for (const [userId, purchases] of byUser) {
    purchases.sort((a, b) => a.ts - b.ts);
    let current: { startTs: number; lastTs: number; items: string[] } | undefined;
    const close = () => current && current.items.length >= 2 && orders.push({ userId, startTs: current.startTs, items: current.items });
    for (const p of purchases) {
      if (!current || p.ts - current.lastTs > gap) {
        close();
        current = { startTs: p.ts, lastTs: p.ts, items: [] };
      }
      current.lastTs = p.ts;
      if (!current.items.includes(p.itemId)) current.items.push(p.itemId);
    }
    close();
  }
  return orders;
}

export interface BundleRefitInput {
  readonly orders: readonly ShopOrder[];
  /** Every item bundles may hold, with its leaf category where known. */
  readonly catalog: ReadonlyArray<{ itemId: string; leafCategory?: string }>;
  /** Each shopper's steps in time order (the same time unit as the orders). */
  readonly histories: ReadonlyMap<string, readonly ShopperStep[]>;
  readonly version: string;
  readonly fittedOn: Record<string, unknown>;
  readonly seed?: number;
  readonly log?: (message: string) => void;
}

/** Steps of history a buyer vector is encoded from, as the scorer's default sequence length. */
const HISTORY_STEPS = 50;

/**
 * Fits the bundle model for one sequential model: co-purchase counts from the
 * orders, that model's item vectors as the behaviour signal, and each buyer's
 * vector from their history before the order as the personal signal; the
 * weights belong with that model version (behaviour cosines are in its space).
 */
export async function fitBundleModelFor(model: SequentialRecommenderModel, input: BundleRefitInput): Promise<BundleFitResult> {
  const leaf = new Map(input.catalog.filter((i) => i.leafCategory).map((i) => [i.itemId, i.leafCategory as string]));
  const graph = new CoPurchaseGraph(input.orders.map((o) => o.items), { leafCategories: leaf });
  const userVectors: Array<Float32Array | undefined> = [];
  for (let i = 0; i < input.orders.length; i += 256) {
    const batch = input.orders.slice(i, i + 256).map((o) => (input.histories.get(o.userId) ?? []).filter((h) => h.ts < o.startTs && model.rowOf(h.itemId) !== undefined).slice(-HISTORY_STEPS));
    const withHistory = batch.map((h, j) => [h, j] as const).filter(([h]) => h.length > 0);
    const out: Array<Float32Array | undefined> = batch.map(() => undefined);
    if (withHistory.length > 0) {
      const encoded = await model.encodeUsers(withHistory.map(([h]) => h));
      const dim = encoded.length / withHistory.length;
      withHistory.forEach(([, j], n) => (out[j] = encoded.slice(n * dim, (n + 1) * dim)));
    }
    userVectors.push(...out);
  }
  const behaviour = new Map<string, Float32Array>();
  for (const { itemId } of input.catalog) {
    const v = model.itemVector(itemId);
    if (v) behaviour.set(itemId, v);
  }
  return fitBundleModel({
    graph,
    catalog: input.catalog.map((i) => i.itemId),
    vectors: { behaviour },
    personalAffinity: (orderIndex, itemId) => {
      const user = userVectors[orderIndex];
      return user ? cosine(user, behaviour.get(itemId)) : 0;
    },
    pairFeatures: ['log_lift', 'co_purchased', 'category_lift', 'behaviour_cosine', 'same_leaf_category'],
    seed: input.seed ?? 42,
    version: input.version,
    fittedOn: { ...input.fittedOn, orders: input.orders.length, behaviourVectors: `model ${model.modelVersion}` },
    log: input.log,
  });
}
