import { ComplementaritySources } from './complementarity-sources';

/**
 * The count half of {@link ComplementaritySources} (plus the leaf category of an item), which a
 * {@link CoPurchaseGraph} and its leave-one-bundle-out views implement.
 */
export type CoPurchaseCounts = Pick<
  ComplementaritySources,
  | 'coPurchases'
  | 'coPurchaseDegree'
  | 'totalCoPurchaseDegree'
  | 'categoryCoPurchases'
  | 'categoryCoPurchaseDegree'
  | 'totalCategoryCoPurchaseDegree'
  | 'leafCategory'
> & {
  /** Calls fn for every item co-purchased with itemId at least once, with the count. Order: ascending item index. */
  forEachPartner(itemId: string, fn: (partnerId: string, count: number) => void): void;
  /** How many orders (bundles) hold the item. */
  itemFrequency(itemId: string): number;
};

export interface CoPurchaseGraphOptions {
  /**
   * Leaf category of an item. Items outside every order may be listed too (a new item still has a
   * category, which is what lets it join bundles). Items without one have no category signal.
   */
  leafCategories?: ReadonlyMap<string, string> | ((itemId: string) => string | undefined);
}

/**
 * In-memory co-purchase counts built from orders or bundles (lists of item ids), at item level and
 * at leaf-category level.
 *
 * Counting, with every order's items de-duplicated first:
 * - coPurchases(a, b), a ≠ b: orders holding both; coPurchases(a, a) = 0.
 * - coPurchaseDegree(a) = Σ_b coPurchases(a, b) = Σ over orders holding a of (size − 1).
 * - totalCoPurchaseDegree = Σ_a degree(a): the number of ordered item pairs.
 * - categoryCoPurchases(A, B) = number of ordered pairs (a, b) of distinct items of one order with
 *   leaf(a) = A and leaf(b) = B, so a within-category pair counts twice under (A, A), as it does
 *   for the ordered item pairs. Then categoryCoPurchaseDegree(A) = Σ_B categoryCoPurchases(A, B),
 *   the total is Σ_A of those, and lift = count · total / (degree · degree) means the same thing
 *   at both levels. Items without a leaf category take no part in the category counts.
 *
 * Item pair counts are stored as a CSR adjacency (sorted partner indices per item), so a graph of
 * Youshu's size (28k bundled items, 12M ordered pairs) builds in a second or two.
 */
export class CoPurchaseGraph implements CoPurchaseCounts {
  readonly totalCoPurchaseDegree: number;
  readonly totalCategoryCoPurchaseDegree: number;

  private readonly ids: string[] = [];
  private readonly index = new Map<string, number>();
  /** Per order: de-duplicated item indices. */
  private readonly orders: Int32Array[] = [];
  private readonly rowStart: Int32Array;
  private readonly partners: Int32Array;
  private readonly counts: Int32Array;
  private readonly degrees: Float64Array;
  private readonly frequency: Int32Array;
  /** Running count sums within each CSR row, built on the first samplePartner call. */
  private cumulative?: Int32Array;

  private readonly categoryOf: (itemId: string) => string | undefined;
  private readonly categoryIndex = new Map<string, number>();
  private readonly categoryPairs = new Map<number, number>();
  private readonly categoryDegrees: number[] = [];

  constructor(orders: readonly (readonly string[])[], options: CoPurchaseGraphOptions = {}) {
    const cats = options.leafCategories;
    this.categoryOf = cats === undefined ? () => undefined : typeof cats === 'function' ? cats : (id) => cats.get(id);

    for (const order of orders) {
      const seen = new Set<number>();
      for (const id of order) {
        let i = this.index.get(id);
        if (i === undefined) {
          i = this.ids.length;
          this.ids.push(id);
          this.index.set(id, i);
        }
        seen.add(i);
      }
      this.orders.push(Int32Array.from(seen));
    }

    const n = this.ids.length;
    this.frequency = new Int32Array(n);
    const ordersOf: number[][] = Array.from({ length: n }, () => []);
    this.orders.forEach((order, o) => {
      for (const i of order) {
        this.frequency[i]++;
        ordersOf[i].push(o);
      }
    });

    // CSR rows: for item i, accumulate partners over the orders holding it in a dense scratch array.
    const scratch = new Int32Array(n);
    const touched: number[] = [];
    const rowStart = new Int32Array(n + 1);
    let partners: Int32Array = new Int32Array(1024);
    let counts: Int32Array = new Int32Array(1024);
    let nnz = 0;
    this.degrees = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      touched.length = 0;
      for (const o of ordersOf[i]) {
        for (const j of this.orders[o]) {
          if (j === i) continue;
          if (scratch[j] === 0) touched.push(j);
          scratch[j]++;
        }
      }
      touched.sort((x, y) => x - y);
      if (nnz + touched.length > partners.length) {
        const size = Math.max(partners.length * 2, nnz + touched.length);
        partners = grow(partners, size);
        counts = grow(counts, size);
      }
      let degree = 0;
      for (const j of touched) {
        partners[nnz] = j;
        counts[nnz] = scratch[j];
        degree += scratch[j];
        scratch[j] = 0;
        nnz++;
      }
      this.degrees[i] = degree;
      total += degree;
      rowStart[i + 1] = nnz;
    }
    this.rowStart = rowStart;
    this.partners = partners.slice(0, nnz);
    this.counts = counts.slice(0, nnz);
    this.totalCoPurchaseDegree = total;

    let categoryTotal = 0;
    for (const order of this.orders) {
      for (const [a, na, b, nb] of categoryPairTerms(this.categoryHistogram(order))) {
        const pairs = a === b ? na * (na - 1) : na * nb;
        if (pairs === 0) continue;
        this.categoryPairs.set(this.pairKey(a, b), (this.categoryPairs.get(this.pairKey(a, b)) ?? 0) + pairs);
        this.categoryDegrees[a] += pairs;
        categoryTotal += pairs;
      }
    }
    this.totalCategoryCoPurchaseDegree = categoryTotal;
  }

  /** Number of orders the graph was built from (including those with fewer than two items). */
  get orderCount(): number {
    return this.orders.length;
  }

  /** The de-duplicated items of order i, in first-seen order. */
  orderItems(i: number): string[] {
    return Array.from(this.checkedOrder(i), (j) => this.ids[j]);
  }

  /** Items that occur in at least one order, in first-seen order. */
  itemIds(): readonly string[] {
    return this.ids;
  }

  coPurchases(a: string, b: string): number {
    const i = this.index.get(a);
    const j = this.index.get(b);
    if (i === undefined || j === undefined || i === j) return 0;
    return this.countAt(i, j);
  }

  coPurchaseDegree(itemId: string): number {
    const i = this.index.get(itemId);
    return i === undefined ? 0 : this.degrees[i];
  }

  itemFrequency(itemId: string): number {
    const i = this.index.get(itemId);
    return i === undefined ? 0 : this.frequency[i];
  }

  forEachPartner(itemId: string, fn: (partnerId: string, count: number) => void): void {
    const i = this.index.get(itemId);
    if (i === undefined) return;
    for (let k = this.rowStart[i]; k < this.rowStart[i + 1]; k++) fn(this.ids[this.partners[k]], this.counts[k]);
  }

  /**
   * A partner of itemId drawn with probability proportional to the co-purchase count, given u
   * uniform in [0, 1); undefined for an item without partners. O(log degree).
   */
  samplePartner(itemId: string, u: number): string | undefined {
    const i = this.index.get(itemId);
    if (i === undefined || this.rowStart[i] === this.rowStart[i + 1]) return undefined;
    if (!this.cumulative) {
      const cumulative = new Int32Array(this.counts.length);
      for (let r = 0; r < this.ids.length; r++) {
        let sum = 0;
        for (let k = this.rowStart[r]; k < this.rowStart[r + 1]; k++) cumulative[k] = sum += this.counts[k];
      }
      this.cumulative = cumulative;
    }
    const from = this.rowStart[i];
    const target = u * this.cumulative[this.rowStart[i + 1] - 1];
    let lo = from;
    let hi = this.rowStart[i + 1] - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return this.ids[this.partners[lo]];
  }

  categoryCoPurchases(a: string, b: string): number {
    const x = this.categoryIndex.get(a);
    const y = this.categoryIndex.get(b);
    if (x === undefined || y === undefined) return 0;
    return this.categoryPairs.get(this.pairKey(x, y)) ?? 0;
  }

  categoryCoPurchaseDegree(category: string): number {
    const x = this.categoryIndex.get(category);
    return x === undefined ? 0 : this.categoryDegrees[x];
  }

  leafCategory(itemId: string): string | undefined {
    return this.categoryOf(itemId);
  }

  /**
   * The counts as if order i had never been seen: every count minus that order's own contribution.
   * O(order size) to create; lookups cost what they cost on the graph. Fitting on training orders
   * uses it so a query made from an order does not find its own answer in the features.
   */
  withoutOrder(i: number): CoPurchaseCounts {
    return new LeaveOneOrderOutView(this, this.checkedOrder(i), i);
  }

  /** @internal for LeaveOneOrderOutView */
  indexOf(itemId: string): number | undefined {
    return this.index.get(itemId);
  }

  /** @internal for LeaveOneOrderOutView */
  categoryIndexOf(category: string): number | undefined {
    return this.categoryIndex.get(category);
  }

  /** @internal category index → count of the order's items in it. */
  categoryHistogram(order: Int32Array): Map<number, number> {
    const histogram = new Map<number, number>();
    for (const j of order) {
      const category = this.categoryOf(this.ids[j]);
      if (category === undefined) continue;
      let c = this.categoryIndex.get(category);
      if (c === undefined) {
        c = this.categoryIndex.size;
        this.categoryIndex.set(category, c);
        this.categoryDegrees.push(0);
      }
      histogram.set(c, (histogram.get(c) ?? 0) + 1);
    }
    return histogram;
  }

  /** @internal */
  countAt(i: number, j: number): number {
    let lo = this.rowStart[i];
    let hi = this.rowStart[i + 1] - 1;
    const { partners } = this;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const p = partners[mid];
      if (p === j) return this.counts[mid];
      if (p < j) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  private checkedOrder(i: number): Int32Array {
    const order = this.orders[i];
    if (!Number.isInteger(i) || order === undefined) throw new RangeError(`order ${i} is not in the graph (0..${this.orders.length - 1})`);
    return order;
  }

  private pairKey(a: number, b: number): number {
    // Category indices stay far below 2^26, so the key is exact in a double.
    return a * 67108864 + b;
  }
}

/** [A, n_A, B, n_B] for every ordered pair of categories present in an order (A = B included). */
function* categoryPairTerms(histogram: Map<number, number>): Generator<[number, number, number, number]> {
  for (const [a, na] of histogram) for (const [b, nb] of histogram) yield [a, na, b, nb];
}

function grow(array: Int32Array, size: number): Int32Array {
  const next = new Int32Array(size);
  next.set(array);
  return next;
}

class LeaveOneOrderOutView implements CoPurchaseCounts {
  readonly totalCoPurchaseDegree: number;
  readonly totalCategoryCoPurchaseDegree: number;
  private readonly members: Set<number>;
  private readonly size: number;
  private readonly categories: Map<number, number>;
  private readonly categorized: number;

  constructor(
    private readonly graph: CoPurchaseGraph,
    order: Int32Array,
    private readonly orderIndex: number,
  ) {
    this.members = new Set(order);
    this.size = order.length;
    this.totalCoPurchaseDegree = graph.totalCoPurchaseDegree - this.size * (this.size - 1);
    this.categories = graph.categoryHistogram(order);
    let categorized = 0;
    for (const n of this.categories.values()) categorized += n;
    this.categorized = categorized;
    this.totalCategoryCoPurchaseDegree = graph.totalCategoryCoPurchaseDegree - categorized * (categorized - 1);
  }

  coPurchases(a: string, b: string): number {
    const count = this.graph.coPurchases(a, b);
    if (count === 0) return 0;
    return this.bothMembers(a, b) ? count - 1 : count;
  }

  coPurchaseDegree(itemId: string): number {
    const degree = this.graph.coPurchaseDegree(itemId);
    return this.isMember(itemId) ? degree - (this.size - 1) : degree;
  }

  itemFrequency(itemId: string): number {
    const frequency = this.graph.itemFrequency(itemId);
    return this.isMember(itemId) ? frequency - 1 : frequency;
  }

  forEachPartner(itemId: string, fn: (partnerId: string, count: number) => void): void {
    const own = this.isMember(itemId);
    this.graph.forEachPartner(itemId, (partner, count) => {
      const c = own && this.isMember(partner) ? count - 1 : count;
      if (c > 0) fn(partner, c);
    });
  }

  categoryCoPurchases(a: string, b: string): number {
    const count = this.graph.categoryCoPurchases(a, b);
    if (count === 0) return 0;
    const x = this.graph.categoryIndexOf(a);
    const y = this.graph.categoryIndexOf(b);
    const na = x === undefined ? 0 : (this.categories.get(x) ?? 0);
    const nb = y === undefined ? 0 : (this.categories.get(y) ?? 0);
    return count - (x === y ? na * (na - 1) : na * nb);
  }

  categoryCoPurchaseDegree(category: string): number {
    const degree = this.graph.categoryCoPurchaseDegree(category);
    const x = this.graph.categoryIndexOf(category);
    const n = x === undefined ? 0 : (this.categories.get(x) ?? 0);
    return degree - n * (this.categorized - 1);
  }

  leafCategory(itemId: string): string | undefined {
    return this.graph.leafCategory(itemId);
  }

  toString(): string {
    return `CoPurchaseGraph without order ${this.orderIndex}`;
  }

  private isMember(itemId: string): boolean {
    const i = this.graph.indexOf(itemId);
    return i !== undefined && this.members.has(i);
  }

  private bothMembers(a: string, b: string): boolean {
    return this.isMember(a) && this.isMember(b);
  }
}

/** Behaviour and text vectors by item id (any scale; cosine is taken downstream). */
export interface ItemVectorTables {
  behaviour?: ReadonlyMap<string, Float32Array>;
  text?: ReadonlyMap<string, Float32Array>;
}

/** The full {@link ComplementaritySources}: counts (a graph or a view of it) plus vector tables. */
export class InMemoryComplementaritySources implements ComplementaritySources {
  constructor(
    readonly counts: CoPurchaseCounts,
    readonly vectors: ItemVectorTables = {},
  ) {}

  get totalCoPurchaseDegree(): number {
    return this.counts.totalCoPurchaseDegree;
  }

  get totalCategoryCoPurchaseDegree(): number {
    return this.counts.totalCategoryCoPurchaseDegree;
  }

  coPurchases(a: string, b: string): number {
    return this.counts.coPurchases(a, b);
  }

  coPurchaseDegree(itemId: string): number {
    return this.counts.coPurchaseDegree(itemId);
  }

  categoryCoPurchases(a: string, b: string): number {
    return this.counts.categoryCoPurchases(a, b);
  }

  categoryCoPurchaseDegree(category: string): number {
    return this.counts.categoryCoPurchaseDegree(category);
  }

  leafCategory(itemId: string): string | undefined {
    return this.counts.leafCategory(itemId);
  }

  behaviourVector(itemId: string): Float32Array | undefined {
    return this.vectors.behaviour?.get(itemId);
  }

  textVector(itemId: string): Float32Array | undefined {
    return this.vectors.text?.get(itemId);
  }
}
