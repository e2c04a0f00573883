/**
 * Exact maximum-inner-product top-K over an item matrix, in plain TypeScript.
 *
 * Rows are scored in blocks small enough to stay in cache while every user of the batch is scored
 * against them. The inner kernel scores a 4-user x 2-row tile at once, so each loaded value feeds
 * several multiply-adds (about 4x faster than one dot product at a time in V8). Each user keeps
 * only its K best rows in a bounded min-heap (O(n log K), no full sort). Ordering is total and
 * deterministic: higher score first, then the lower row. Each score is one sequential float64 sum
 * over the hidden dimension, so it equals the naive dot product exactly.
 */

export interface TopKRows {
  /** Best first. */
  rows: Int32Array;
  scores: Float64Array;
}

export interface ExactTopKOptions {
  /** Per user (same order as the user vectors): rows that must not be returned, e.g. already seen. */
  excludeRows?: ReadonlyArray<ReadonlySet<number> | undefined>;
  /** Shared by all users: mask[row] !== 0 drops the row (e.g. out of stock); rows past its end are kept. */
  mask?: Uint8Array;
}

/** Aim for a block of item rows that fits comfortably in L2 together with the user vectors. */
const BLOCK_BYTES = 128 * 1024;
const USERS_PER_TILE = 4;

/**
 * @param items row-major [rowCount, hidden]; row 0 is padding and is never returned
 * @param users row-major [batch, hidden]
 */
export function exactTopK(
  items: Float32Array,
  rowCount: number,
  hidden: number,
  users: Float32Array,
  k: number,
  options: ExactTopKOptions = {},
): TopKRows[] {
  const selection = new TopKSelection(items, rowCount, hidden, users, k, options);
  const { batch } = selection;
  if (selection.done) return selection.results();
  const { mask } = options;
  const offer = (u: number, score: number, row: number) => selection.offer(u, score, row);

  // Users padded with zero vectors to a multiple of the tile height (padding users are ignored).
  const tiles = Math.ceil(batch / USERS_PER_TILE);
  const paddedUsers = new Float32Array(tiles * USERS_PER_TILE * hidden);
  paddedUsers.set(users);
  const blockRows = Math.max(16, Math.floor(BLOCK_BYTES / (hidden * 4)));
  const candidates = new Int32Array(blockRows);
  for (let start = 1; start < rowCount; start += blockRows) {
    const end = Math.min(start + blockRows, rowCount);
    // The mask is shared, so masked rows are removed once per block rather than once per user.
    let n = 0;
    for (let r = start; r < end; r++) {
      if (mask === undefined || r >= mask.length || mask[r] === 0) candidates[n++] = r;
    }
    for (let tile = 0; tile < tiles; tile++) {
      const u0 = tile * USERS_PER_TILE;
      if (batch - u0 === 1) {
        // A lone user (e.g. a single request) would waste 3/4 of the 4-user tile.
        scoreOneUser(items, hidden, paddedUsers, u0 * hidden, candidates, n, (score, row) => offer(u0, score, row));
        continue;
      }
      const a = u0 * hidden;
      const b = a + hidden;
      const c = b + hidden;
      const d = c + hidden;
      let i = 0;
      for (; i + 1 < n; i += 2) {
        const r1 = candidates[i];
        const r2 = candidates[i + 1];
        const x0 = r1 * hidden;
        const y0 = r2 * hidden;
        let sa = 0, sb = 0, sc = 0, sd = 0, ta = 0, tb = 0, tc = 0, td = 0;
        for (let j = 0; j < hidden; j++) {
          const x = items[x0 + j];
          const y = items[y0 + j];
          const ua = paddedUsers[a + j];
          const ub = paddedUsers[b + j];
          const uc = paddedUsers[c + j];
          const ud = paddedUsers[d + j];
          sa += ua * x;
          sb += ub * x;
          sc += uc * x;
          sd += ud * x;
          ta += ua * y;
          tb += ub * y;
          tc += uc * y;
          td += ud * y;
        }
        offer(u0, sa, r1);
        offer(u0 + 1, sb, r1);
        offer(u0 + 2, sc, r1);
        offer(u0 + 3, sd, r1);
        offer(u0, ta, r2);
        offer(u0 + 1, tb, r2);
        offer(u0 + 2, tc, r2);
        offer(u0 + 3, td, r2);
      }
      if (i < n) {
        const r1 = candidates[i];
        const x0 = r1 * hidden;
        let sa = 0, sb = 0, sc = 0, sd = 0;
        for (let j = 0; j < hidden; j++) {
          const x = items[x0 + j];
          sa += paddedUsers[a + j] * x;
          sb += paddedUsers[b + j] * x;
          sc += paddedUsers[c + j] * x;
          sd += paddedUsers[d + j] * x;
        }
        offer(u0, sa, r1);
        offer(u0 + 1, sb, r1);
        offer(u0 + 2, sc, r1);
        offer(u0 + 3, sd, r1);
      }
    }
  }
  return selection.results();
}

/**
 * The K best rows per user from scores offered one by one, with the exclusions, the argument
 * checks and the tie rule (higher score, then lower row) that every top-K path shares.
 */
export class TopKSelection {
  readonly batch: number;
  private readonly heaps: BoundedTopKHeap[];
  private readonly threshold: Float64Array;
  private readonly excludeRows: ExactTopKOptions['excludeRows'];

  constructor(items: Float32Array, rowCount: number, hidden: number, users: Float32Array, k: number, options: ExactTopKOptions) {
    if (!Number.isInteger(hidden) || hidden <= 0) throw new RangeError(`hidden must be a positive integer (got ${hidden})`);
    if (users.length % hidden !== 0) throw new RangeError(`user vectors have ${users.length} values, not a multiple of hidden=${hidden}`);
    if (items.length < rowCount * hidden) throw new RangeError(`item matrix has ${items.length} values, fewer than ${rowCount}x${hidden}`);
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer (got ${k})`);
    this.batch = users.length / hidden;
    this.excludeRows = options.excludeRows;
    if (this.excludeRows && this.excludeRows.length !== this.batch) {
      throw new RangeError(`exclude has ${this.excludeRows.length} entries for ${this.batch} users`);
    }
    this.heaps = Array.from({ length: this.batch }, () => new BoundedTopKHeap(k));
    this.threshold = new Float64Array(this.batch).fill(Number.NEGATIVE_INFINITY);
  }

  /** Nothing to select (k = 0 or no users). */
  get done(): boolean {
    return this.batch === 0 || this.heaps[0].capacityIsZero;
  }

  /**
   * Scores below a user's current K-th best are rejected with one comparison; only candidates
   * that would enter the heap pay for the exclusion-set lookup. Users >= batch (tile padding) and
   * NaN scores are dropped.
   */
  offer(u: number, score: number, row: number): void {
    if (u >= this.batch || !(score >= this.threshold[u])) return;
    const heap = this.heaps[u];
    if (!heap.wouldAccept(score, row)) return;
    if (this.excludeRows !== undefined && this.excludeRows[u]?.has(row)) return;
    heap.push(score, row);
    this.threshold[u] = heap.threshold;
  }

  results(): TopKRows[] {
    return this.heaps.map((h) => h.sortedBestFirst());
  }
}

/** One user against n candidate rows, four rows per pass. */
function scoreOneUser(
  items: Float32Array,
  hidden: number,
  users: Float32Array,
  a: number,
  candidates: Int32Array,
  n: number,
  offer: (score: number, row: number) => void,
): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const r1 = candidates[i];
    const r2 = candidates[i + 1];
    const r3 = candidates[i + 2];
    const r4 = candidates[i + 3];
    const o1 = r1 * hidden;
    const o2 = r2 * hidden;
    const o3 = r3 * hidden;
    const o4 = r4 * hidden;
    let s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    for (let j = 0; j < hidden; j++) {
      const u = users[a + j];
      s1 += u * items[o1 + j];
      s2 += u * items[o2 + j];
      s3 += u * items[o3 + j];
      s4 += u * items[o4 + j];
    }
    offer(s1, r1);
    offer(s2, r2);
    offer(s3, r3);
    offer(s4, r4);
  }
  for (; i < n; i++) {
    const o = candidates[i] * hidden;
    let s = 0;
    for (let j = 0; j < hidden; j++) s += users[a + j] * items[o + j];
    offer(s, candidates[i]);
  }
}

/** Keeps the K best (score, row) pairs; the root is the worst kept pair. NaN scores are never kept. */
export class BoundedTopKHeap {
  private readonly scores: Float64Array;
  private readonly rows: Int32Array;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.scores = new Float64Array(capacity);
    this.rows = new Int32Array(capacity);
  }

  get capacityIsZero(): boolean {
    return this.capacity === 0;
  }

  /** Scores below this can never enter (-Infinity until the heap is full). */
  get threshold(): number {
    return this.size < this.capacity ? Number.NEGATIVE_INFINITY : this.scores[0];
  }

  /** Would (score, row) enter the heap? Ties prefer the lower row. */
  wouldAccept(score: number, row: number): boolean {
    if (Number.isNaN(score) || this.capacity === 0) return false;
    if (this.size < this.capacity) return true;
    const worst = this.scores[0];
    return score > worst || (score === worst && row < this.rows[0]);
  }

  /** Call only after wouldAccept returned true. */
  push(score: number, row: number): void {
    if (this.size < this.capacity) {
      this.siftUp(this.size++, score, row);
    } else {
      this.siftDown(0, score, row);
    }
  }

  sortedBestFirst(): TopKRows {
    const order = Array.from({ length: this.size }, (_, i) => i);
    order.sort((a, b) => this.scores[b] - this.scores[a] || this.rows[a] - this.rows[b]);
    return {
      rows: Int32Array.from(order, (i) => this.rows[i]),
      scores: Float64Array.from(order, (i) => this.scores[i]),
    };
  }

  /** a is worse than b: lower score, or equal score and higher row. */
  private worse(sa: number, ra: number, sb: number, rb: number): boolean {
    return sa < sb || (sa === sb && ra > rb);
  }

  private siftUp(i: number, score: number, row: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(score, row, this.scores[parent], this.rows[parent])) break;
      this.scores[i] = this.scores[parent];
      this.rows[i] = this.rows[parent];
      i = parent;
    }
    this.scores[i] = score;
    this.rows[i] = row;
  }

  private siftDown(i: number, score: number, row: number): void {
    const n = this.size;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.worse(this.scores[child + 1], this.rows[child + 1], this.scores[child], this.rows[child])) child++;
      if (!this.worse(this.scores[child], this.rows[child], score, row)) break;
      this.scores[i] = this.scores[child];
      this.rows[i] = this.rows[child];
      i = child;
    }
    this.scores[i] = score;
    this.rows[i] = row;
  }
}
