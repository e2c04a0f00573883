import { ComplementaritySources } from './complementarity-sources';

/**
 * Features of an (anchor, candidate) pair, in this order. Every feature reads 0 when its
 * information is missing (no co-purchases, no category, no vector), which is "no signal".
 * - log_lift: smoothed PMI of the two items from co-purchase counts and degrees (see
 *   {@link smoothedLogLift}); 0 when never co-purchased. Lift, not counts, so that bestsellers do
 *   not go with everything.
 * - co_purchased: log1p(co-purchase count): how much evidence there is, whatever the lift.
 * - category_lift: smoothed PMI of the two leaf categories ("cases go with phones"); this is what
 *   lets new and long-tail items join bundles. Negative for categories that are common yet rarely
 *   bought together.
 * - behaviour_cosine: cosine of the behaviour vectors (the sequential model's item vectors).
 * - text_cosine: cosine of the sentence-encoder vectors of the item texts.
 * - same_leaf_category: 1 when both items have the same leaf category (the substitute signal: two
 *   phone cases). Its sign is fitted, not assumed.
 */
export const PAIR_FEATURE_NAMES = ['log_lift', 'co_purchased', 'category_lift', 'behaviour_cosine', 'text_cosine', 'same_leaf_category'] as const;
export type PairFeatureName = (typeof PAIR_FEATURE_NAMES)[number];

/**
 * Features of a candidate on its own, in this order.
 * - log_popularity: log1p(co-purchase degree of the item).
 * - personal_affinity: cosine of the shopper's vector and the item's behaviour vector, computed by
 *   the caller (the scorer owns the user vector) and passed in; 0 without a shopper.
 */
export const ITEM_FEATURE_NAMES = ['log_popularity', 'personal_affinity'] as const;
export type ItemFeatureName = (typeof ITEM_FEATURE_NAMES)[number];

export const PAIR_FEATURE_INDEX: Readonly<Record<PairFeatureName, number>> = Object.fromEntries(PAIR_FEATURE_NAMES.map((n, i) => [n, i])) as Record<
  PairFeatureName,
  number
>;
export const ITEM_FEATURE_INDEX: Readonly<Record<ItemFeatureName, number>> = Object.fromEntries(ITEM_FEATURE_NAMES.map((n, i) => [n, i])) as Record<
  ItemFeatureName,
  number
>;

export function isPairFeatureName(name: string): name is PairFeatureName {
  return (PAIR_FEATURE_NAMES as readonly string[]).includes(name);
}

export function isItemFeatureName(name: string): name is ItemFeatureName {
  return (ITEM_FEATURE_NAMES as readonly string[]).includes(name);
}

/**
 * Pseudo-count added to both the observed and the expected number of co-purchases before taking
 * the log ratio: log((observed + 1) / (expected + 1)). This is add-one (Laplace) smoothing in the
 * units of the counts themselves (one order for items, one ordered item pair for categories).
 * Raw PMI, log(observed / expected), is the textbook rare-event bias: two items each bought once,
 * together, would get log(total / 1), the largest lift in the catalogue, from a single order.
 * With one pseudo-pair that single order reads log 2, while a pair seen many times tends to its raw
 * lift, and a pair of categories never seen together reads 0 when little was expected (rare
 * categories: no evidence) and strongly negative when a lot was (common categories that are not
 * bought together). The weight on the feature, and hence its overall scale, is fitted.
 */
export const LIFT_PSEUDO_COUNT = 1;

/** log((count + 1) / (expected + 1)) with expected = degreeA · degreeB / total; 0 without a total. */
export function smoothedLogLift(count: number, degreeA: number, degreeB: number, total: number): number {
  if (!(total > 0)) return 0;
  const expected = (degreeA * degreeB) / total;
  return Math.log((count + LIFT_PSEUDO_COUNT) / (expected + LIFT_PSEUDO_COUNT));
}

/** Cosine similarity; 0 when either vector is missing, empty, zero or of another width. */
export function cosine(a: Float32Array | undefined, b: Float32Array | undefined): number {
  if (a === undefined || b === undefined || a.length !== b.length || a.length === 0) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

/** Pair features of (a, b) in {@link PAIR_FEATURE_NAMES} order, written into out (allocated when absent). */
export function pairFeatures(a: string, b: string, sources: ComplementaritySources, out: Float64Array = new Float64Array(PAIR_FEATURE_NAMES.length)): Float64Array {
  const count = a === b ? 0 : sources.coPurchases(a, b);
  out[0] = count > 0 ? smoothedLogLift(count, sources.coPurchaseDegree(a), sources.coPurchaseDegree(b), sources.totalCoPurchaseDegree) : 0;
  out[1] = Math.log1p(count);

  const ca = sources.leafCategory(a);
  const cb = sources.leafCategory(b);
  if (ca !== undefined && cb !== undefined) {
    out[2] = smoothedLogLift(
      sources.categoryCoPurchases(ca, cb),
      sources.categoryCoPurchaseDegree(ca),
      sources.categoryCoPurchaseDegree(cb),
      sources.totalCategoryCoPurchaseDegree,
    );
    out[5] = ca === cb ? 1 : 0;
  } else {
    out[2] = 0;
    out[5] = 0;
  }

  out[3] = cosine(sources.behaviourVector(a), sources.behaviourVector(b));
  out[4] = cosine(sources.textVector(a), sources.textVector(b));
  return out;
}

/** Item features in {@link ITEM_FEATURE_NAMES} order, written into out (allocated when absent). */
export function itemFeatures(
  itemId: string,
  sources: ComplementaritySources,
  personalAffinity = 0,
  out: Float64Array = new Float64Array(ITEM_FEATURE_NAMES.length),
): Float64Array {
  out[0] = Math.log1p(Math.max(0, sources.coPurchaseDegree(itemId)));
  out[1] = Number.isFinite(personalAffinity) ? personalAffinity : 0;
  return out;
}
