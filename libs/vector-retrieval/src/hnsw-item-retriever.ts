import type { HierarchicalNSW } from 'hnswlib-node';
import { TopKRows, TopKSelection } from '@recmesh/model-runtime';
import { checkRow, ExactSearch, javascriptExactSearch } from './exact-item-retriever';
import type { ItemRetriever, RetrievalOptions, RetrieverStats, VectorSource } from './item-retriever';
import { isMasked, maskWithRemoved, offerCandidates } from './rescore';

export interface HnswParams {
  /** Graph degree: links per node on the upper layers (2M on the bottom one). */
  m: number;
  /** Candidate list while inserting: higher builds slower and finds better neighbours. */
  efConstruction: number;
  /** Candidate list while searching (at least the number of rows fetched). */
  efSearch: number;
  /** Seeds the level draw, so a build is reproducible. */
  seed?: number;
}

export interface HnswBuildOptions {
  /** Serves calls the graph cannot answer well: a fetch that is a large part of the catalog. */
  exact?: ExactSearch;
  /** Rows inserted between two yields to the event loop while building (default 2000). */
  rowsPerYield?: number;
  /** Called after each chunk with the rows inserted so far. */
  onProgress?: (inserted: number, total: number) => void;
}

/** Extra candidates fetched per requested row, for rows the mask or a removal then drops. */
const OVERFETCH = 1;
/** Fetches above this part of the catalog are scanned exactly: the graph gains nothing there. */
const EXACT_FRACTION = 1 / 16;
/** ...but a fetch this small always goes to the graph. */
const EXACT_MIN_FETCH = 2048;
/** Users searched between two yields to the event loop. */
const USERS_PER_YIELD = 16;
/**
 * Rows inserted after the build that the graph does not find for their own vector, newest kept,
 * which every query also scores exactly: an inserted row is linked to the neighbours the graph finds
 * for it, and one far from the rest (a large norm) can stay out of reach of the greedy search
 * (bench:ann: 10-15% of such inserts missed as top 1 at 1M-3M items). Each insert is checked with one
 * search for its own vector; rows the graph finds cost queries nothing. These are new items a shop
 * waits to see recommended, so they are kept until the next build or until newer ones push them out.
 */
export const RECENT_EXACT_ROWS = 10_000;

/**
 * Approximate maximum-inner-product top-K on an HNSW graph (hnswlib, inner-product space): per
 * user it fetches k' = 2k + excluded candidates (ef >= k'), re-scores them exactly against the
 * source and keeps the best k that pass the mask and exclusions. Should fewer than k pass (a dense
 * mask), it searches again with the mask and exclusions as hnswlib's filter, so a masked row is
 * never returned and k rows are whenever the graph reaches them. New rows are inserted into the
 * graph (no rebuild); removed rows are marked deleted and skipped by every search.
 */
export class HnswItemRetriever implements ItemRetriever {
  readonly kind = 'ann' as const;
  private readonly removed = new Set<number>();
  /** indexed[row] = 1 once the row is in the graph (grown as rows are appended). */
  private indexed: Uint8Array;
  private indexedCount = 0;
  private highestRow = 0;
  /** Set at the end of the build: inserts after it are checked for reach (RECENT_EXACT_ROWS). */
  private built = false;
  /** Rows inserted since the build that the graph did not reach, oldest first (a Set keeps insertion order). */
  private readonly recent = new Set<number>();
  private recentRows?: Int32Array;
  private efSearch: number;

  private constructor(
    private readonly source: VectorSource,
    private readonly params: HnswParams,
    private readonly index: HierarchicalNSW,
    private readonly exact: ExactSearch,
  ) {
    this.indexed = new Uint8Array(Math.max(16, source.rowCount));
    this.efSearch = params.efSearch;
  }

  /** The search breadth of later queries, changed without a rebuild: more finds more and costs more. */
  setEfSearch(efSearch: number): void {
    checkParams({ ...this.params, efSearch });
    this.efSearch = efSearch;
  }

  /** Builds the graph over every item row of the source, yielding to the event loop as it goes. */
  static async build(source: VectorSource, params: HnswParams, options: HnswBuildOptions = {}): Promise<HnswItemRetriever> {
    checkParams(params);
    const hnswlib = await loadHnswlib();
    const index = new hnswlib.HierarchicalNSW('ip', source.hidden);
    index.initIndex({ maxElements: Math.max(16, source.rowCount - 1), m: params.m, efConstruction: params.efConstruction, randomSeed: params.seed ?? 100 });
    const retriever = new HnswItemRetriever(source, params, index, options.exact ?? javascriptExactSearch);
    const total = source.rowCount - 1;
    const step = options.rowsPerYield ?? 2000;
    for (let start = 1; start <= total; start += step) {
      retriever.insert(start, Math.min(total, start + step - 1));
      options.onProgress?.(retriever.indexedCount, total);
      if (start + step <= total) await new Promise((resolve) => setImmediate(resolve));
    }
    retriever.built = true;
    return retriever;
  }

  /** The highest row in the graph: rows above it were appended to the source since. */
  get indexedThrough(): number {
    return this.highestRow;
  }

  async topK(users: Float32Array, k: number, options: RetrievalOptions = {}): Promise<TopKRows[]> {
    const { source } = this;
    const { mask, excludeRows } = options;
    const selection = new TopKSelection(source.matrix, source.rowCount, source.hidden, users, k, { excludeRows });
    const live = this.indexedCount - this.removed.size;
    if (selection.done || live <= 0) return selection.results();
    const fetchOf = (u: number) => Math.min(live, k + (excludeRows?.[u]?.size ?? 0) + Math.ceil(k * OVERFETCH));
    let largest = 0;
    for (let u = 0; u < selection.batch; u++) largest = Math.max(largest, fetchOf(u));
    if (largest > Math.max(EXACT_MIN_FETCH, live * EXACT_FRACTION)) {
      return this.exact(source, users, k, { excludeRows, mask: maskWithRemoved(mask, this.removed, source.rowCount) });
    }
    const { hidden } = source;
    const recent = this.recentList();
    // A recent row is offered once, from the exact scan; the graph's copy of it is dropped.
    const graphOnly = (rows: number[]) => (recent.length === 0 ? rows : rows.filter((row) => !this.recent.has(row)));
    for (let u = 0; u < selection.batch; u++) {
      if (u > 0 && u % USERS_PER_YIELD === 0) await new Promise((resolve) => setImmediate(resolve));
      const query = Array.from(users.subarray(u * hidden, (u + 1) * hidden));
      const excluded = excludeRows?.[u];
      const fetch = fetchOf(u);
      this.index.setEf(Math.max(this.efSearch, fetch));
      let passed = recent.length > 0 ? offerCandidates(selection, source, users, u, recent, mask, excluded) : 0;
      passed += offerCandidates(selection, source, users, u, graphOnly(this.index.searchKnn(query, fetch).neighbors), mask, excluded);
      if (passed < k && fetch < live) {
        // Most of what the graph offered was masked or excluded: let the search skip those rows itself.
        const want = Math.min(live, k);
        this.index.setEf(Math.max(this.efSearch, want));
        const filter = (row: number) => !isMasked(mask, row) && !excluded?.has(row) && !this.recent.has(row);
        offerCandidates(selection, source, users, u, this.index.searchKnn(query, want, filter).neighbors, mask, excluded);
      }
    }
    return selection.results();
  }

  async upsert(rows: Iterable<number>): Promise<void> {
    const upserted: number[] = [];
    for (const row of rows) {
      checkRow(row, this.source);
      this.insertRow(row);
      upserted.push(row);
    }
    this.checkReach(upserted);
  }

  async remove(rows: Iterable<number>): Promise<void> {
    for (const row of rows) {
      checkRow(row, this.source);
      if (this.removed.has(row)) continue;
      if (row < this.indexed.length && this.indexed[row] === 1) this.index.markDelete(row);
      this.removed.add(row);
      if (this.recent.delete(row)) this.recentRows = undefined;
    }
  }

  /** Inserts rows first..last of the source (an appended range, e.g. new cold items). */
  insert(first: number, last: number): void {
    for (let row = first; row <= last; row++) this.insertRow(row);
    if (this.built) this.checkReach(Array.from({ length: last - first + 1 }, (_, i) => first + i));
  }

  /** Rows inserted since the build that the graph did not reach, which every query scores exactly (at most RECENT_EXACT_ROWS, newest). */
  get recentlyInserted(): number {
    return this.recent.size;
  }

  stats(): RetrieverStats {
    return { kind: this.kind, liveRows: this.indexedCount - this.removed.size, removedRows: this.removed.size, indexBytes: hnswBytes(this.index.getMaxElements(), this.source.hidden, this.params.m) };
  }

  async release(): Promise<void> {
    // hnswlib frees the graph when the object is collected; nothing else is held.
  }

  private insertRow(row: number): void {
    const { hidden, matrix } = this.source;
    if (row >= this.indexed.length) {
      const grown = new Uint8Array(Math.max(row + 1, Math.ceil(this.indexed.length * 1.5)));
      grown.set(this.indexed);
      this.indexed = grown;
    }
    const isNew = this.indexed[row] === 0;
    if (isNew && this.indexedCount >= this.index.getMaxElements()) {
      // Amortised growth, like the catalog's: new items trickle in between retrainings.
      this.index.resizeIndex(Math.ceil(this.index.getMaxElements() * 1.5));
    }
    // An existing label is updated in place (and undeleted) by hnswlib.
    this.index.addPoint(Array.from(matrix.subarray(row * hidden, (row + 1) * hidden)), row);
    if (isNew) {
      this.indexed[row] = 1;
      this.indexedCount++;
    }
    this.removed.delete(row);
    this.highestRow = Math.max(this.highestRow, row);
  }

  /**
   * After inserts into the built graph: each inserted row the graph does not return as the top 1 for
   * its own vector is kept for the exact scan. Checked once the call's rows are all in, since
   * inserting a row can re-link (and cut off) one inserted just before it.
   */
  private checkReach(rows: Iterable<number>): void {
    if (!this.built) return;
    const { hidden, matrix } = this.source;
    this.index.setEf(this.efSearch);
    for (const row of rows) {
      if (this.removed.has(row)) continue;
      this.recent.delete(row);
      if (this.index.searchKnn(Array.from(matrix.subarray(row * hidden, (row + 1) * hidden)), 1).neighbors[0] !== row) {
        this.recent.add(row);
        if (this.recent.size > RECENT_EXACT_ROWS) this.recent.delete(this.recent.values().next().value as number);
      }
    }
    this.recentRows = undefined;
  }

  private recentList(): Int32Array {
    this.recentRows ??= Int32Array.from(this.recent);
    return this.recentRows;
  }
}

/**
 * hnswlib's memory for a graph of `capacity` nodes: the bottom layer (2M links, the vector and
 * the label per node), the upper layers (on average 1/(M-1) levels of M links per node) and the
 * label table (about 40 bytes per node in its hash map). An estimate; the bench measures RSS too.
 */
export function hnswBytes(capacity: number, hidden: number, m: number): number {
  const bottom = 2 * m * 4 + 4 + hidden * 4 + 8;
  const upper = ((m * 4 + 4) / (m - 1)) + 8;
  return Math.round(capacity * (bottom + upper + 40));
}

/**
 * hnswlib-node is a native addon built at install: loaded on first use, so a host where it is not
 * built (an image installed with --ignore-scripts) still starts and serves exact top-K.
 */
async function loadHnswlib(): Promise<typeof import('hnswlib-node')> {
  try {
    return await import('hnswlib-node');
  } catch (error) {
    throw new Error(`the HNSW library hnswlib-node cannot be loaded (${(error as Error).message}); build it with \`npm rebuild hnswlib-node\` or set SCORER_RETRIEVAL=exact`);
  }
}

export function checkParams(params: HnswParams): void {
  const problems: string[] = [];
  if (!Number.isInteger(params.m) || params.m < 2 || params.m > 128) problems.push(`m must be an integer in 2..128 (got ${params.m})`);
  if (!Number.isInteger(params.efConstruction) || params.efConstruction < 1) problems.push(`efConstruction must be a positive integer (got ${params.efConstruction})`);
  if (!Number.isInteger(params.efSearch) || params.efSearch < 1) problems.push(`efSearch must be a positive integer (got ${params.efSearch})`);
  if (problems.length > 0) throw new RangeError(`invalid HNSW parameters: ${problems.join('; ')}`);
}
