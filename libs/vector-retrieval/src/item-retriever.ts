import type { TopKRows } from '@recmesh/model-runtime';

/**
 * The item vectors a retriever searches: row-major [rowCount, hidden], row 0 is padding and never
 * an item. A live view: rows are appended (cold items) and `matrix` may be a new array afterwards,
 * so a retriever reads it on every call instead of keeping it.
 */
export interface VectorSource {
  readonly hidden: number;
  readonly rowCount: number;
  readonly matrix: Float32Array;
}

export interface RetrievalOptions {
  /** Per user (same order as the user vectors): rows that must not be returned, e.g. already seen. */
  excludeRows?: ReadonlyArray<ReadonlySet<number> | undefined>;
  /** Shared by all users: mask[row] !== 0 drops the row (e.g. out of stock); rows past its end are kept. */
  mask?: Uint8Array;
}

export type RetrievalKind = 'exact' | 'ann';

export interface RetrieverStats {
  kind: RetrievalKind;
  /** Rows the retriever can return (indexed and not removed). */
  liveRows: number;
  /** Rows removed with remove() and not upserted again. */
  removedRows: number;
  /** Bytes of the retriever's own structures (an index), not counting the source matrix. */
  indexBytes: number;
}

/**
 * Maximum-inner-product top-K over a catalog of item vectors, best first, ties to the lower row.
 * Implementations: ExactItemRetriever (every row scored) and HnswItemRetriever (an HNSW graph
 * proposes candidates, which are re-scored exactly). A sharded vector store (Qdrant) would be a
 * third: rows are the only ids that cross this interface, so it needs no id mapping of its own.
 */
export interface ItemRetriever {
  readonly kind: RetrievalKind;
  /**
   * @param users row-major [batch, hidden]
   * @returns per user at most k rows that are neither masked, excluded nor removed; fewer only
   *   when fewer such rows exist (or, for approximate retrievers, were found)
   */
  topK(users: Float32Array, k: number, options?: RetrievalOptions): Promise<TopKRows[]>;
  /** These rows of the source are new or have new vectors: make them retrievable (no rebuild). */
  upsert(rows: Iterable<number>): Promise<void>;
  /** These rows are gone (deleted items): never return them until upserted again. */
  remove(rows: Iterable<number>): Promise<void>;
  stats(): RetrieverStats;
  release(): Promise<void>;
}
