import { exactTopK, TopKRows } from '@recmesh/model-runtime';
import type { ItemRetriever, RetrievalOptions, RetrieverStats, VectorSource } from './item-retriever';
import { maskWithRemoved } from './rescore';

/** An exact top-K over the whole source: exactTopK, or the model's onnxruntime kernel. */
export type ExactSearch = (source: VectorSource, users: Float32Array, k: number, options: RetrievalOptions) => Promise<TopKRows[]>;

/** The JavaScript kernel (exactTopK); serving passes the model's onnxruntime one instead. */
export const javascriptExactSearch: ExactSearch = async (source, users, k, options) =>
  exactTopK(source.matrix, source.rowCount, source.hidden, users, k, options);

/**
 * Every row scored for every user: the reference the approximate retriever is measured against,
 * and what serves catalogs small enough to scan. Nothing to index, so upsert is free; removed
 * rows become part of the mask.
 */
export class ExactItemRetriever implements ItemRetriever {
  readonly kind = 'exact' as const;
  private readonly removed = new Set<number>();

  constructor(
    private readonly source: VectorSource,
    private readonly search: ExactSearch = javascriptExactSearch,
  ) {}

  topK(users: Float32Array, k: number, options: RetrievalOptions = {}): Promise<TopKRows[]> {
    return this.search(this.source, users, k, { ...options, mask: maskWithRemoved(options.mask, this.removed, this.source.rowCount) });
  }

  async upsert(rows: Iterable<number>): Promise<void> {
    for (const row of rows) this.removed.delete(checkRow(row, this.source));
  }

  async remove(rows: Iterable<number>): Promise<void> {
    for (const row of rows) this.removed.add(checkRow(row, this.source));
  }

  stats(): RetrieverStats {
    return { kind: this.kind, liveRows: Math.max(0, this.source.rowCount - 1 - this.removed.size), removedRows: this.removed.size, indexBytes: 0 };
  }

  async release(): Promise<void> {
    // Nothing held: the source matrix belongs to the caller.
  }
}

/** Item rows are 1..rowCount-1 (row 0 is padding). */
export function checkRow(row: number, source: VectorSource): number {
  if (!Number.isInteger(row) || row < 1 || row >= source.rowCount) throw new RangeError(`row ${row} is not an item row (1..${source.rowCount - 1})`);
  return row;
}
