import { mulberry32 } from './random';
import { DEFAULT_KS, RankingMetricsAccumulator, recallNdcgAtK, targetRanks } from './ranking-metrics';

const ranksOf = (scores: number[], targets: number[], masked: number[]) =>
  targetRanks(scores, targets, masked, new Uint8Array(scores.length), new Uint8Array(scores.length));

/** Reference: sort unmasked bundles by score desc, non-targets before targets on ties, read ranks. */
function referenceMetrics(scores: number[], targets: number[], masked: number[], k: number) {
  const isTarget = new Set(targets);
  const isMasked = new Set(masked);
  const order = scores
    .map((s, b) => ({ s, b }))
    .filter(({ b }) => !isMasked.has(b))
    .sort((x, y) => y.s - x.s || Number(isTarget.has(x.b)) - Number(isTarget.has(y.b)) || x.b - y.b);
  let hits = 0;
  let dcg = 0;
  order.slice(0, k).forEach(({ b }, i) => {
    if (isTarget.has(b)) {
      hits++;
      dcg += 1 / Math.log2(i + 2);
    }
  });
  let idcg = 0;
  for (let i = 0; i < Math.min(targets.length, k); i++) idcg += 1 / Math.log2(i + 2);
  return { recall: hits / targets.length, ndcg: dcg / idcg };
}

describe('targetRanks', () => {
  it('ranks targets among unmasked bundles, ties counted against the model', () => {
    // bundle:   0  1  2  3  4  5
    const scores = [9, 5, 7, 7, 3, 1];
    // bundle 0 is masked (a training bundle) although it scores highest;
    // bundle 3 ties with target 2 and is ranked above it.
    expect(ranksOf(scores, [2, 4], [0])).toEqual([2, 4]);
  });

  it('a masked target is never hit but stays in the denominator', () => {
    const ranks = ranksOf([5, 4, 3], [0, 1], [0]);
    expect(ranks[0]).toBe(Infinity);
    expect(ranks[1]).toBe(1);
    expect(recallNdcgAtK(ranks, 20).recall).toBe(0.5);
  });

  it('ties between two targets do not push either below a non-target', () => {
    expect(ranksOf([1, 1, 0], [0, 1], [])).toEqual([1, 2]);
  });

  it('leaves the scratch flags clean', () => {
    const mask = new Uint8Array(4);
    const tgt = new Uint8Array(4);
    targetRanks([1, 2, 3, 4], [1], [3], mask, tgt);
    expect(Array.from(mask)).toEqual([0, 0, 0, 0]);
    expect(Array.from(tgt)).toEqual([0, 0, 0, 0]);
  });
});

describe('recallNdcgAtK (CrossCBR definitions)', () => {
  it('computes recall and binary-gain NDCG on a hand example', () => {
    const ranks = [2, 4];
    expect(recallNdcgAtK(ranks, 1)).toEqual({ recall: 0, ndcg: 0 });
    const at2 = recallNdcgAtK(ranks, 2);
    expect(at2.recall).toBe(0.5);
    expect(at2.ndcg).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 12);
    const at4 = recallNdcgAtK(ranks, 4);
    expect(at4.recall).toBe(1);
    expect(at4.ndcg).toBeCloseTo((1 / Math.log2(3) + 1 / Math.log2(5)) / (1 + 1 / Math.log2(3)), 12);
  });

  it('uses IDCG over min(#targets, K)', () => {
    const m = recallNdcgAtK([1, 2, 10], 2);
    expect(m.recall).toBeCloseTo(2 / 3, 12);
    expect(m.ndcg).toBeCloseTo(1, 12);
  });

  it('matches a sort-based reference on random scores with many ties', () => {
    const rng = mulberry32(7);
    for (let trial = 0; trial < 300; trial++) {
      const n = 5 + Math.floor(rng() * 30);
      const scores = Array.from({ length: n }, () => Math.floor(rng() * 5));
      const bundles = Array.from({ length: n }, (_, i) => i);
      const targets = bundles.filter(() => rng() < 0.2);
      if (targets.length === 0) targets.push(0);
      const masked = bundles.filter((b) => !targets.includes(b) && rng() < 0.2);
      const ranks = ranksOf(scores, targets, masked);
      for (const k of [1, 3, 10]) {
        const got = recallNdcgAtK(ranks, k);
        const want = referenceMetrics(scores, targets, masked, k);
        expect(got.recall).toBeCloseTo(want.recall, 12);
        expect(got.ndcg).toBeCloseTo(want.ndcg, 12);
      }
    }
  });
});

describe('RankingMetricsAccumulator', () => {
  it('averages over users with targets and skips users without', () => {
    const acc = new RankingMetricsAccumulator(6, [2, 4]);
    expect(acc.addUser([9, 5, 7, 7, 3, 1], [2, 4], [0])).toBe(true); // ranks 2, 4
    expect(acc.addUser([0, 0, 0, 0, 0, 9], [5], [])).toBe(true); // rank 1
    expect(acc.addUser([1, 2, 3, 4, 5, 6], [], [])).toBe(false);
    const m = acc.result();
    expect(acc.usersEvaluated).toBe(2);
    expect(m['recall@2']).toBeCloseTo((0.5 + 1) / 2, 12);
    expect(m['recall@4']).toBeCloseTo(1, 12);
    expect(m['ndcg@2']).toBeCloseTo((1 / Math.log2(3) / (1 + 1 / Math.log2(3)) + 1) / 2, 12);
  });

  it('masking a training bundle changes the result exactly as removing it would', () => {
    const withMask = new RankingMetricsAccumulator(4, [1]);
    withMask.addUser([4, 3, 2, 1], [1], [0]);
    const without = new RankingMetricsAccumulator(3, [1]);
    without.addUser([3, 2, 1], [0], []);
    expect(withMask.result()).toEqual(without.result());
    expect(withMask.result()['recall@1']).toBe(1);
  });

  it('reports K in {10, 20, 40} by default', () => {
    expect(DEFAULT_KS).toEqual([10, 20, 40]);
  });
});
