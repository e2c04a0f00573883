/**
 * The scoreable items: the trained rows of the exported item matrix plus cold items appended at
 * runtime. Rows are stored contiguously (row-major Float32Array) so top-K can stream over them.
 * Row 0 is padding and is never an item.
 */
export class ItemCatalog {
  /** Rows 1..trainedItemCount come from training; later rows are cold items. */
  readonly trainedItemCount: number;
  private data: Float32Array;
  private rows: number;
  private readonly ids: string[] = [];
  private readonly rowById = new Map<string, number>();

  /**
   * @param trainedIds trainedIds[i] is row i + 1
   * @param trainedMatrix [trainedIds.length + 1, hidden], row 0 = padding; adopted, not copied
   */
  constructor(
    readonly hidden: number,
    trainedIds: readonly string[],
    trainedMatrix: Float32Array,
  ) {
    if (trainedMatrix.length !== (trainedIds.length + 1) * hidden) {
      throw new RangeError(`item matrix has ${trainedMatrix.length} values, expected ${(trainedIds.length + 1) * hidden}`);
    }
    this.data = trainedMatrix;
    this.rows = trainedIds.length + 1;
    this.trainedItemCount = trainedIds.length;
    trainedIds.forEach((id, i) => {
      this.ids.push(id);
      this.rowById.set(id, i + 1);
    });
  }

  /** Number of rows including padding row 0. */
  get rowCount(): number {
    return this.rows;
  }

  /** [rowCount, hidden] view; invalidated (not mutated) when a cold item is appended. */
  get matrix(): Float32Array {
    return this.data.subarray(0, this.rows * this.hidden);
  }

  /** Item ids by row: itemIds[i] is row i + 1. */
  get itemIds(): readonly string[] {
    return this.ids;
  }

  rowOf(itemId: string): number | undefined {
    return this.rowById.get(itemId);
  }

  /** Row of an item the user encoder was trained on (cold rows are unknown to it). */
  trainedRowOf(itemId: string): number | undefined {
    const row = this.rowById.get(itemId);
    return row !== undefined && row <= this.trainedItemCount ? row : undefined;
  }

  itemIdOf(row: number): string | undefined {
    return row >= 1 && row < this.rows ? this.ids[row - 1] : undefined;
  }

  isColdItem(itemId: string): boolean {
    const row = this.rowById.get(itemId);
    return row !== undefined && row > this.trainedItemCount;
  }

  /** A copy of the row's vector. */
  vectorOfRow(row: number): Float32Array {
    if (!Number.isInteger(row) || row < 0 || row >= this.rows) throw new RangeError(`row ${row} is outside 0..${this.rows - 1}`);
    return this.data.slice(row * this.hidden, (row + 1) * this.hidden);
  }

  /**
   * Adds a cold item, or replaces the vector of an existing cold item. Trained items keep their
   * trained vectors: replacing one with a side-information guess would silently degrade it.
   */
  upsertColdItem(itemId: string, vector: Float32Array): { row: number; replaced: boolean } {
    if (vector.length !== this.hidden) throw new RangeError(`vector has ${vector.length} values, expected ${this.hidden}`);
    const existing = this.rowById.get(itemId);
    if (existing !== undefined) {
      if (existing <= this.trainedItemCount) throw new Error(`item ${itemId} is a trained item (row ${existing}); it cannot be replaced by a cold item`);
      this.data.set(vector, existing * this.hidden);
      return { row: existing, replaced: true };
    }
    if ((this.rows + 1) * this.hidden > this.data.length) {
      // Amortised growth: cold items trickle in one by one between retrainings.
      const grown = new Float32Array(Math.max((this.rows + 1) * this.hidden, Math.ceil(this.rows * 1.5) * this.hidden));
      grown.set(this.data.subarray(0, this.rows * this.hidden));
      this.data = grown;
    }
    const row = this.rows++;
    this.data.set(vector, row * this.hidden);
    this.ids.push(itemId);
    this.rowById.set(itemId, row);
    return { row, replaced: false };
  }
}
