import { Action } from '@recmesh/contracts';
import type { SequenceStep } from '@recmesh/persistence';
import type { HistoryAction } from '@recmesh/serving-core';

/** One distinct item of a shopper's history, and what they did with it. */
export interface HistoryItem {
  readonly itemId: string;
  readonly did: HistoryAction;
}

/** A history item that supports a recommended item, and how close the two are. */
export interface Support {
  readonly item: HistoryItem;
  /** Cosine of the two items' vectors in the model's item space. */
  readonly cosine: number;
}

/**
 * The distinct items of the part of the history the model encodes (the last
 * `window` steps whose items it knows), most recent first, each with the
 * strongest thing the shopper did with it in the whole history: bought, then
 * rated, then still in the cart (an add not undone by a later removal), else
 * viewed (views, clicks, and cart adds taken back).
 */
export function historyItems(steps: readonly SequenceStep[], window: number, known: (itemId: string) => boolean): HistoryItem[] {
  const encoded = steps.filter((s) => known(s.i)).slice(-window);
  const wanted = new Set<string>();
  for (let i = encoded.length - 1; i >= 0; i--) wanted.add(encoded[i].i);
  const order = [...wanted];
  const bought = new Set<string>();
  const rated = new Set<string>();
  const inCart = new Set<string>();
  for (const s of steps) {
    if (!wanted.has(s.i)) continue;
    if (s.a === Action.PURCHASE) bought.add(s.i);
    else if (s.a === Action.RATE) rated.add(s.i);
    else if (s.a === Action.ADD_TO_CART) inCart.add(s.i);
    else if (s.a === Action.REMOVE_FROM_CART) inCart.delete(s.i);
  }
  const did = (id: string): HistoryAction => (bought.has(id) ? 'bought' : rated.has(id) ? 'rated' : inCart.has(id) ? 'added_to_cart' : 'viewed');
  return order.map((itemId) => ({ itemId, did: did(itemId) }));
}

/** A copy of `v` scaled to unit length (all zeros stays all zeros). */
export function unit(v: Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
  const out = new Float32Array(v.length);
  if (norm === 0) return out;
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * scale;
  return out;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * The history item nearest to the candidate in the model's item space
 * (largest cosine; on a tie the more recent one), when it is at least
 * `minCosine`; otherwise undefined: no history item is related enough to be
 * named, and the reason must not name one. `history` holds unit vectors,
 * most recent first.
 */
export function supportOf(candidate: Float32Array, history: ReadonlyArray<{ item: HistoryItem; unit: Float32Array }>, minCosine: number): Support | undefined {
  const c = unit(candidate);
  let best: Support | undefined;
  for (const h of history) {
    const cosine = dot(c, h.unit);
    if (cosine >= minCosine && (!best || cosine > best.cosine)) best = { item: h.item, cosine };
  }
  return best;
}

/** Why a model-ranked item is on a shopper's list, as far as the reason may say. */
export type PersonalReason =
  | { readonly kind: 'similar'; readonly item: HistoryItem; readonly cosine: number }
  | { readonly kind: 'bought_with'; readonly item: HistoryItem; readonly orders: number }
  | { readonly kind: 'same_category'; readonly item: HistoryItem }
  | { readonly kind: 'none' };

/**
 * The attribution rule. First the history item nearest to the candidate in
 * the model's item space, when it clears `minCosine` ("Because you bought X"):
 * the model's own notion of related; one of the candidate's leaf category
 * that clears the bar goes before a nearer one of another category. Else the history item bought in most
 * orders with the candidate (on a tie the more recent one): a phone case
 * is far from the phone in an item space that clusters categories, but
 * orders with both say they go together ("Often bought with X"). Else the
 * nearest history item of the candidate's own leaf category, which the shop's
 * catalog says is the same kind of thing ("Because you viewed X" on another
 * phone: the demo model puts only 38% of same-category pairs over the bar).
 * Else none: the reason names no item rather than a false link.
 * `ordersWith`: history item id -> orders holding it and the candidate;
 * `sameCategory`: the history items in the candidate's leaf category.
 */
export function personalReason(
  candidate: Float32Array | undefined,
  history: ReadonlyArray<{ item: HistoryItem; unit: Float32Array }>,
  minCosine: number,
  ordersWith: ReadonlyMap<string, number> = new Map(),
  sameCategory: ReadonlySet<string> = new Set(),
): PersonalReason {
  // One pass: the nearest history item overall and the nearest of the candidate's own kind. Among related
  // ones the own kind is the truer reason: a charger is told against the charger bought, not against earbuds
  // the item space happens to put a little nearer.
  let nearest: Support | undefined;
  let nearestKin: Support | undefined;
  if (candidate) {
    const c = unit(candidate);
    for (const h of history) {
      const cosine = dot(c, h.unit);
      if (!nearest || cosine > nearest.cosine) nearest = { item: h.item, cosine };
      if (sameCategory.has(h.item.itemId) && (!nearestKin || cosine > nearestKin.cosine)) nearestKin = { item: h.item, cosine };
    }
  }
  const support = nearestKin && nearestKin.cosine >= minCosine ? nearestKin : nearest && nearest.cosine >= minCosine ? nearest : undefined;
  if (support) return { kind: 'similar', ...support };
  let best: { item: HistoryItem; orders: number } | undefined;
  for (const h of history) {
    const orders = ordersWith.get(h.item.itemId) ?? 0;
    if (orders > 0 && (!best || orders > best.orders)) best = { item: h.item, orders };
  }
  if (best) return { kind: 'bought_with', ...best };
  const item = nearestKin?.item ?? history.find((h) => sameCategory.has(h.item.itemId))?.item;
  return item ? { kind: 'same_category', item } : { kind: 'none' };
}

/** Share of random item pairs a named history item must be closer than (see `relatedCosine`). */
export const RELATED_QUANTILE = 0.95;

/**
 * The cosine that only `1 - quantile` of random pairs of distinct items reach
 * in this item space: the bar for "related". A fixed cosine would not carry
 * from one model to the next (the demo model's random pairs sit around a
 * different cosine than a 64-dimensional model's), a quantile does. 0.95:
 * the named history item is nearer to the candidate than 19 of 20 items drawn
 * at random. The sweep in tools/bench/reasons/bench-reasons.ts
 * (reports/bench-reasons.json), nearest history item of each model-ranked
 * item, share that clears the bar / share of those in the same category or
 * among the item's 1% nearest neighbours:
 *   quantile        0      0.75        0.9         0.95        0.99
 *   demo shop       1/.87  .88/.95     .66/.99     .40/.996    .03/1
 *   Scientific      1/.74  .98/.75     .89/.82     .77/.86     .43/.96
 * 0.9 -> 0.95 buys 4.5 points of related share on Scientific for 12 points
 * of named share; 0.99 would name an item for under half the list. At 0.95,
 * 2.7% (demo) and 4.6% (Scientific) of cross-category random pairs pass.
 *
 * `matrix` is row-major [rowCount, hidden] with padding row 0 (the model's
 * item matrix); pairs are drawn deterministically, so one model always gets
 * the same bar.
 */
export function relatedCosine(matrix: Float32Array, rowCount: number, hidden: number, quantile = RELATED_QUANTILE, pairs = 20_000): number {
  const rows = rowCount - 1;
  if (rows < 2) return 1;
  const units = new Map<number, Float32Array>();
  const unitRow = (row: number) => {
    let u = units.get(row);
    if (!u) units.set(row, (u = unit(matrix.subarray(row * hidden, (row + 1) * hidden))));
    return u;
  };
  // xorshift32: a fixed sequence, so the bar is a function of the matrix alone.
  let state = 0x9e3779b9;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % rows;
  };
  const cosines: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const a = 1 + next();
    const b = 1 + next();
    if (a !== b) cosines.push(dot(unitRow(a), unitRow(b)));
  }
  cosines.sort((x, y) => x - y);
  return cosines[Math.min(cosines.length - 1, Math.floor(quantile * cosines.length))];
}
