import { exactTopK } from './exact-top-k';
import { mulberry32 as seededRandom } from '@recmesh/numerics';

/** Reference: score every row, full sort by (score desc, row asc). */
function bruteForceTopK(
  items: Float32Array,
  rowCount: number,
  hidden: number,
  users: Float32Array,
  k: number,
  exclude?: ReadonlyArray<ReadonlySet<number> | undefined>,
  mask?: Uint8Array,
): { rows: number[]; scores: number[] }[] {
  const out = [];
  for (let u = 0; u < users.length / hidden; u++) {
    const scored: { row: number; score: number }[] = [];
    for (let r = 1; r < rowCount; r++) {
      if (mask && r < mask.length && mask[r] !== 0) continue;
      if (exclude?.[u]?.has(r)) continue;
      let s = 0;
      for (let j = 0; j < hidden; j++) s += users[u * hidden + j] * items[r * hidden + j];
      scored.push({ row: r, score: s });
    }
    scored.sort((a, b) => b.score - a.score || a.row - b.row);
    const top = scored.slice(0, k);
    out.push({ rows: top.map((t) => t.row), scores: top.map((t) => t.score) });
  }
  return out;
}

function randomMatrix(rand: () => number, rows: number, cols: number, integers = false): Float32Array {
  return Float32Array.from({ length: rows * cols }, () => (integers ? Math.floor(rand() * 5) - 2 : rand() * 2 - 1));
}

function expectSameTopK(got: ReturnType<typeof exactTopK>, want: ReturnType<typeof bruteForceTopK>) {
  expect(got).toHaveLength(want.length);
  got.forEach((g, u) => {
    expect(Array.from(g.rows)).toEqual(want[u].rows);
    // Same float64 summation order as the naive loop, so the scores are bit-identical.
    expect(Array.from(g.scores)).toEqual(want[u].scores);
  });
}

describe('exactTopK', () => {
  it.each([
    { rows: 1000, hidden: 64, batch: 7, k: 10 },
    { rows: 5000, hidden: 13, batch: 3, k: 50 }, // hidden not a multiple of 4, several blocks
    { rows: 30, hidden: 8, batch: 2, k: 100 }, // k larger than the catalog
    { rows: 2, hidden: 4, batch: 1, k: 5 },
    { rows: 777, hidden: 5, batch: 1, k: 9 }, // the single-user kernel, odd row count
    { rows: 600, hidden: 7, batch: 6, k: 9 }, // a full tile plus a 2-user tile
    { rows: 600, hidden: 3, batch: 5, k: 9 }, // a full tile plus a lone user
  ])('matches a brute-force sort on random data (%o)', ({ rows, hidden, batch, k }) => {
    const rand = seededRandom(rows + hidden);
    const items = randomMatrix(rand, rows, hidden);
    const users = randomMatrix(rand, batch, hidden);
    expectSameTopK(exactTopK(items, rows, hidden, users, k), bruteForceTopK(items, rows, hidden, users, k));
  });

  it('breaks ties by the lower row, deterministically, across heap replacements', () => {
    // Small integer entries: many exactly equal scores.
    const rand = seededRandom(7);
    const rows = 3000;
    const hidden = 6;
    const items = randomMatrix(rand, rows, hidden, true);
    const users = randomMatrix(rand, 4, hidden, true);
    for (const k of [1, 3, 17, 200]) {
      expectSameTopK(exactTopK(items, rows, hidden, users, k), bruteForceTopK(items, rows, hidden, users, k));
    }
    // Every row identical: the answer is simply rows 1..k.
    const same = new Float32Array(rows * hidden).fill(1);
    const [top] = exactTopK(same, rows, hidden, new Float32Array(hidden).fill(1), 5);
    expect(Array.from(top.rows)).toEqual([1, 2, 3, 4, 5]);
  });

  it('applies per-user exclusions and the shared mask, and never returns row 0', () => {
    const rand = seededRandom(11);
    const rows = 2000;
    const hidden = 16;
    const items = randomMatrix(rand, rows, hidden);
    // Make row 0 the best possible match, which must still never be returned.
    items.fill(100, 0, hidden);
    const users = randomMatrix(rand, 3, hidden).map(Math.abs);
    const unfiltered = exactTopK(items, rows, hidden, users, 20);
    const exclude = [new Set(Array.from(unfiltered[0].rows.slice(0, 10))), undefined, new Set([1, 2, 3])];
    const mask = new Uint8Array(1500);
    for (const r of unfiltered[1].rows.slice(0, 5)) mask[r] = 1;
    for (let r = 0; r < mask.length; r += 3) mask[r] = 1;
    const got = exactTopK(items, rows, hidden, users, 20, { excludeRows: exclude, mask });
    expectSameTopK(got, bruteForceTopK(items, rows, hidden, users, 20, exclude, mask));
    for (const g of got) expect(Array.from(g.rows)).not.toContain(0);
    expect(Array.from(got[0].rows)).not.toContain(unfiltered[0].rows[0]);
  });

  it('returns fewer than k when filters leave fewer rows, and nothing for k = 0', () => {
    const items = Float32Array.from([0, 0, 1, 0, 0, 1, 1, 1]); // 4 rows x 2
    const users = Float32Array.from([1, 2]);
    const [top] = exactTopK(items, 4, 2, users, 10, { mask: Uint8Array.from([0, 0, 1, 0]) });
    expect(Array.from(top.rows)).toEqual([3, 1]);
    expect(Array.from(top.scores)).toEqual([3, 1]);
    expect(exactTopK(items, 4, 2, users, 0)[0].rows).toHaveLength(0);
  });

  it('skips NaN scores and rejects malformed arguments', () => {
    const items = Float32Array.from([0, 0, Number.NaN, 1, 2, 2]);
    const [top] = exactTopK(items, 3, 2, Float32Array.from([1, 1]), 3);
    expect(Array.from(top.rows)).toEqual([2]);
    expect(() => exactTopK(items, 3, 2, new Float32Array(3), 1)).toThrow(RangeError);
    expect(() => exactTopK(items, 3, 2, new Float32Array(2), 1, { excludeRows: [] })).toThrow(RangeError);
    expect(() => exactTopK(items, 3, 2, new Float32Array(2), -1)).toThrow(RangeError);
  });
});
