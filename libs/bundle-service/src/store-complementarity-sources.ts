import type { ComplementaritySources } from '@recmesh/bundling';
import type { FeatureStore } from '@recmesh/persistence';

const pairKey = (a: string, b: string) => `${a}\u0000${b}`;

/**
 * Co-purchase counts between leaf categories, from the feature store's item
 * pairs and the live catalog. Small (categories², not items²), so it is kept
 * in memory and reloaded in the background.
 */
export class CategoryCoPurchaseSnapshot {
  private pairs = new Map<string, number>();
  private degrees = new Map<string, number>();
  private total = 0;

  constructor(private readonly features: FeatureStore) {}

  async reload(): Promise<void> {
    const rows = await this.features.categoryCoPurchases();
    const pairs = new Map<string, number>();
    const degrees = new Map<string, number>();
    let total = 0;
    for (const r of rows) {
      pairs.set(pairKey(r.categoryA, r.categoryB), r.count);
      degrees.set(r.categoryA, (degrees.get(r.categoryA) ?? 0) + r.count);
      total += r.count;
    }
    [this.pairs, this.degrees, this.total] = [pairs, degrees, total];
  }

  coPurchases(a: string, b: string): number {
    return this.pairs.get(pairKey(a, b)) ?? 0;
  }

  degree(category: string): number {
    return this.degrees.get(category) ?? 0;
  }

  /** All item-level co-purchases, counted from both sides (the item-level total too). */
  get totalDegree(): number {
    return this.total;
  }

  /** Categories bought with `category` most often relative to their size, strongest first. */
  complementsOf(category: string, limit: number): string[] {
    const own = this.degree(category);
    if (own === 0 || this.total === 0) return [];
    const lifted: Array<[string, number]> = [];
    for (const [other, degree] of this.degrees) {
      const together = this.coPurchases(category, other);
      if (together > 0 && other !== category) lifted.push([other, (together * this.total) / (own * degree)]);
    }
    return lifted.sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).slice(0, limit).map(([c]) => c);
  }
}

export interface RequestSourcesInput {
  readonly pairs: ReadonlyArray<{ itemA: string; itemB: string; count: number }>;
  readonly degrees: ReadonlyMap<string, number>;
  readonly categories: CategoryCoPurchaseSnapshot;
  readonly leafCategory: (itemId: string) => string | undefined;
  readonly behaviourVector: (itemId: string) => Float32Array | undefined;
  readonly textVectors: ReadonlyMap<string, Float32Array>;
}

/**
 * The bundle model's view of the shop for one request: item-level counts for
 * just the anchors and candidates (fetched once), category statistics from the
 * snapshot, vectors from the served model and the feature store.
 */
export class RequestComplementaritySources implements ComplementaritySources {
  private readonly pairs = new Map<string, number>();

  constructor(private readonly input: RequestSourcesInput) {
    for (const p of input.pairs) this.pairs.set(pairKey(p.itemA, p.itemB), p.count);
  }

  coPurchases(a: string, b: string): number {
    return this.pairs.get(pairKey(a, b)) ?? 0;
  }

  coPurchaseDegree(itemId: string): number {
    return this.input.degrees.get(itemId) ?? 0;
  }

  get totalCoPurchaseDegree(): number {
    return this.input.categories.totalDegree;
  }

  categoryCoPurchases(a: string, b: string): number {
    return this.input.categories.coPurchases(a, b);
  }

  categoryCoPurchaseDegree(category: string): number {
    return this.input.categories.degree(category);
  }

  get totalCategoryCoPurchaseDegree(): number {
    return this.input.categories.totalDegree;
  }

  leafCategory(itemId: string): string | undefined {
    return this.input.leafCategory(itemId);
  }

  behaviourVector(itemId: string): Float32Array | undefined {
    return this.input.behaviourVector(itemId);
  }

  textVector(itemId: string): Float32Array | undefined {
    return this.input.textVectors.get(itemId);
  }
}
