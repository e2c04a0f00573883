/**
 * Everything the bundle model reads about items. Offline evaluation backs it
 * with an in-memory co-purchase graph built from training bundles; the bundler
 * service backs it with the feature store, the catalog and the served model.
 * Missing information is normal (a brand-new item has no co-purchases, a shop
 * without the text encoder has no text vectors) and must read as "no signal".
 */
export interface ComplementaritySources {
  /** How many orders (bundles) hold both items. */
  coPurchases(a: string, b: string): number;
  /** Sum over all partners of coPurchases(item, partner). */
  coPurchaseDegree(itemId: string): number;
  /** Sum of all degrees (each pair counted from both sides). */
  readonly totalCoPurchaseDegree: number;
  /** The same three, aggregated over leaf categories (pairs of items counted under their categories). */
  categoryCoPurchases(a: string, b: string): number;
  categoryCoPurchaseDegree(category: string): number;
  readonly totalCategoryCoPurchaseDegree: number;
  leafCategory(itemId: string): string | undefined;
  /** Behaviour embedding (the sequential model's item vector), any scale. */
  behaviourVector(itemId: string): Float32Array | undefined;
  /** Sentence-encoder embedding of the item text, any scale. */
  textVector(itemId: string): Float32Array | undefined;
}
