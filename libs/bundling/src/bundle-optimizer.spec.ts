import { mulberry32 as seededRandom } from '@recmesh/numerics';
import { BundleOptimizer, BundleProblemError, DEFAULT_BEAM_WIDTH, solveExhaustively } from './bundle-optimizer';
import type { BundleAnchor, BundleCandidate, BundleProblem, ComposedBundle } from './bundle-problem';


const CATEGORIES = ['cases', 'chargers', 'cables', 'screen-protectors', 'earbuds', 'phones'];

/**
 * A small instance with every kind of trouble: duplicate item ids, an
 * excluded id, a candidate that is an anchor, out-of-stock and unpriced items,
 * and (half the time each) a budget and category diversity.
 */
function randomProblem(seed: number): BundleProblem {
  const random = seededRandom(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const size = 3 + Math.floor(random() * 3);
  const anchorCount = Math.floor(random() * Math.min(3, size - 1));
  const anchors: BundleAnchor[] = Array.from({ length: anchorCount }, (_, a) => ({
    itemId: `anchor-${a}`,
    price: random() < 0.2 ? null : 100 + random() * 400,
    leafCategory: a === 0 ? 'phones' : pick(CATEGORIES),
  }));
  const candidateCount = 12 + Math.floor(random() * 5);
  const candidates: BundleCandidate[] = Array.from({ length: candidateCount }, (_, i) => ({
    itemId: i > 0 && random() < 0.12 ? `item-${Math.floor(random() * i)}` : `item-${i}`,
    price: random() < 0.08 ? null : 5 + random() * 95,
    inStock: random() > 0.12,
    leafCategory: pick(CATEGORIES),
    unaryScore: random() * 2 - 0.3,
  }));
  if (anchorCount > 0 && random() < 0.5) {
    candidates[Math.floor(random() * candidateCount)] = { ...candidates[0], itemId: 'anchor-0' };
  }
  const pairs = new Float64Array(candidateCount * candidateCount);
  for (let i = 0; i < candidateCount; i++) {
    for (let j = i + 1; j < candidateCount; j++) {
      const strong = random() < 0.15;
      pairs[i * candidateCount + j] = pairs[j * candidateCount + i] = strong ? random() * 3 - 1.5 : (random() - 0.5) * 0.2;
    }
  }
  const anchorPrice = anchors.reduce((sum, anchor) => sum + (anchor.price ?? 0), 0);
  const slots = size - anchorCount;
  return {
    anchors,
    candidates,
    pairScore: (i, j) => pairs[i * candidateCount + j],
    constraints: {
      size,
      count: 1 + Math.floor(random() * 8),
      budget: random() < 0.5 ? anchorPrice + slots * (20 + random() * 50) : undefined,
      requireCategoryDiversity: random() < 0.5,
      excludeItemIds: new Set(random() < 0.5 ? [`item-${Math.floor(random() * candidateCount)}`] : []),
    },
  };
}

/** The constraints, spelled out plainly from the contract, independent of the optimizer's code. */
function violations(problem: BundleProblem, bundle: ComposedBundle): string[] {
  const { anchors, candidates, constraints } = problem;
  const members = bundle.members.map((index) => candidates[index]);
  const found: string[] = [];
  if (bundle.members.length + anchors.length !== constraints.size) found.push('wrong size');
  if (bundle.members.some((index, k) => k > 0 && index <= bundle.members[k - 1])) found.push('members not ascending');
  if (members.some((c) => !c.inStock)) found.push('out of stock');
  if (members.some((c) => constraints.excludeItemIds.has(c.itemId))) found.push('excluded item');
  if (members.some((c) => anchors.some((a) => a.itemId === c.itemId))) found.push('anchor repeated');
  if (new Set(members.map((c) => c.itemId)).size !== members.length) found.push('duplicate item id');
  const price = anchors.reduce((sum, a) => sum + (a.price ?? 0), 0) + members.reduce((sum, c) => sum + (c.price ?? 0), 0);
  if (constraints.budget !== undefined && (price > constraints.budget + 1e-9 || members.some((c) => c.price === null))) found.push('over budget');
  if (constraints.requireCategoryDiversity) {
    const categories = [...anchors.map((a) => a.leafCategory), ...members.map((c) => c.leafCategory)];
    if (new Set(categories).size !== categories.length) found.push('category repeated');
  }
  if (Math.abs(price - bundle.totalPrice) > 1e-9) found.push(`totalPrice ${bundle.totalPrice} != ${price}`);
  if (Math.abs(objective(problem, bundle.members) - bundle.totalScore) > 1e-9) found.push('totalScore is not the objective');
  return found;
}

function objective(problem: BundleProblem, members: readonly number[]): number {
  let score = 0;
  members.forEach((i, k) => {
    score += problem.candidates[i].unaryScore;
    for (const j of members.slice(k + 1)) score += problem.pairScore(i, j);
  });
  return score;
}

/** Every subset of the right size, checked by `violations`: a reference that shares no code with the optimizer. */
function naiveBest(problem: BundleProblem): { members: number[]; score: number }[] {
  const slots = problem.constraints.size - problem.anchors.length;
  const all: { members: number[]; score: number }[] = [];
  const walk = (members: number[], next: number): void => {
    if (members.length === slots) {
      const score = objective(problem, members);
      if (violations(problem, { members, totalScore: score, totalPrice: priceOf(problem, members) }).length === 0) all.push({ members, score });
      return;
    }
    for (let i = next; i < problem.candidates.length; i++) walk([...members, i], i + 1);
  };
  walk([], 0);
  return all.sort((a, b) => b.score - a.score).slice(0, problem.constraints.count);
}

function priceOf(problem: BundleProblem, members: readonly number[]): number {
  return problem.anchors.reduce((sum, a) => sum + (a.price ?? 0), 0) + members.reduce((sum, i) => sum + (problem.candidates[i].price ?? 0), 0);
}

const SEEDS = Array.from({ length: 300 }, (_, k) => 1000 + k);

describe('solveExhaustively', () => {
  it('matches a naive enumeration of every subset on random instances', () => {
    let nonEmpty = 0;
    for (const seed of SEEDS.slice(0, 120)) {
      const problem = randomProblem(seed);
      const exhaustive = solveExhaustively(problem);
      const naive = naiveBest(problem);
      expect(exhaustive.map((b) => b.totalScore)).toEqual(naive.map((b) => expect.closeTo(b.score, 9)));
      // Sets may swap places only between equal scores, which random floats never produce.
      expect(exhaustive.map((b) => b.members)).toEqual(naive.map((b) => b.members));
      if (exhaustive.length > 0) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(80); // the instances are not trivially infeasible
  });
});

describe('BundleOptimizer', () => {
  it('returns exactly the exhaustive answer when the beam can hold every partial set', () => {
    const wide = new BundleOptimizer({ beamWidth: 100_000 });
    for (const seed of SEEDS) {
      const problem = randomProblem(seed);
      expect({ seed, bundles: wide.solve(problem) }).toEqual({ seed, bundles: solveExhaustively(problem) });
    }
  });

  it('with the default beam, stays close to the exhaustive optimum', () => {
    const topGaps = (optimizer: BundleOptimizer) => {
      const gaps: number[] = [];
      for (const seed of SEEDS) {
        const problem = randomProblem(seed);
        const exact = solveExhaustively(problem);
        if (exact.length === 0) continue;
        const found = optimizer.solve(problem);
        gaps.push(found.length === 0 ? 1 : (exact[0].totalScore - found[0].totalScore) / Math.abs(exact[0].totalScore));
      }
      return { count: gaps.length, optimalShare: gaps.filter((gap) => gap <= 1e-12).length / gaps.length, meanGap: gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length, minGap: Math.min(...gaps) };
    };
    // Measured on these 300 seeds (269 with a feasible bundle): width 32 optimal on all; width 4 on 98.5%, mean gap 0.75%.
    const defaults = topGaps(new BundleOptimizer());
    expect(defaults.count).toBeGreaterThan(250);
    expect(defaults.optimalShare).toBeGreaterThanOrEqual(0.98);
    expect(defaults.meanGap).toBeLessThan(0.001);
    expect(defaults.minGap).toBeGreaterThanOrEqual(-1e-12); // never "better" than the optimum
    // The instances are hard enough for the width to matter: a narrow beam does miss.
    expect(topGaps(new BundleOptimizer({ beamWidth: 4 })).optimalShare).toBeLessThan(1);
  });

  it('with the default beam, finds as many bundles as exist on the random instances', () => {
    const optimizer = new BundleOptimizer();
    for (const seed of SEEDS) {
      const problem = randomProblem(seed);
      expect({ seed, found: optimizer.solve(problem).length }).toEqual({ seed, found: solveExhaustively(problem).length });
    }
  });

  it('never returns a bundle that breaks a constraint, and returns distinct bundles best first', () => {
    for (const beamWidth of [1, 4, DEFAULT_BEAM_WIDTH]) {
      const optimizer = new BundleOptimizer({ beamWidth });
      for (const seed of SEEDS) {
        const problem = randomProblem(seed);
        const bundles = optimizer.solve(problem);
        expect(bundles.length).toBeLessThanOrEqual(problem.constraints.count);
        for (const bundle of bundles) expect({ seed, bundle, problems: violations(problem, bundle) }).toEqual({ seed, bundle, problems: [] });
        expect(new Set(bundles.map((b) => b.members.join(','))).size).toBe(bundles.length);
        for (let k = 1; k < bundles.length; k++) expect(bundles[k].totalScore).toBeLessThanOrEqual(bundles[k - 1].totalScore);
      }
    }
  });

  describe('constraints, one at a time', () => {
    const candidate = (itemId: string, unaryScore: number, extra: Partial<BundleCandidate> = {}): BundleCandidate => ({
      itemId,
      price: 10,
      inStock: true,
      leafCategory: itemId,
      unaryScore,
      ...extra,
    });
    const phone: BundleAnchor = { itemId: 'phone', price: 500, leafCategory: 'phones' };
    const problemWith = (candidates: BundleCandidate[], constraints: Partial<BundleProblem['constraints']> = {}): BundleProblem => ({
      anchors: [phone],
      candidates,
      pairScore: () => 0,
      constraints: { size: 3, count: 10, requireCategoryDiversity: false, excludeItemIds: new Set(), ...constraints },
    });
    const memberIds = (problem: BundleProblem, bundles: ComposedBundle[]) =>
      bundles.map((b) => b.members.map((i) => problem.candidates[i].itemId).join('+'));

    it.each([
      ['out of stock', candidate('star', 9, { inStock: false })],
      ['excluded', candidate('banned', 9)],
      ['the anchor itself', candidate('phone', 9, { leafCategory: 'cases' })],
    ])('skips an item that is %s however good it is', (_reason, unwanted) => {
      const problem = problemWith([unwanted, candidate('a', 1), candidate('b', 2), candidate('c', 3)], { excludeItemIds: new Set(['banned']) });
      expect(memberIds(problem, new BundleOptimizer().solve(problem))).toEqual(['b+c', 'a+c', 'a+b']);
    });

    it('never puts two candidates with the same item id in one bundle', () => {
      const problem = problemWith([candidate('case', 5), candidate('case', 4), candidate('charger', 1)]);
      expect(new BundleOptimizer().solve(problem).map((b) => b.members)).toEqual([[0, 2], [1, 2]]);
    });

    it('keeps the whole bundle, anchors included, within budget and drops unpriced items', () => {
      const problem = problemWith(
        [candidate('pricey', 9, { price: 80 }), candidate('unpriced', 9, { price: null }), candidate('a', 1, { price: 30 }), candidate('b', 2, { price: 45 })],
        { budget: 580 },
      );
      const bundles = new BundleOptimizer().solve(problem);
      expect(memberIds(problem, bundles)).toEqual(['a+b']);
      expect(bundles[0].totalPrice).toBe(575);
    });

    it('counts an anchor with an unknown price as free', () => {
      const problem = { ...problemWith([candidate('a', 1), candidate('b', 2)], { budget: 20 }), anchors: [{ ...phone, price: null }] };
      expect(new BundleOptimizer().solve(problem)).toEqual([{ members: [0, 1], totalScore: 3, totalPrice: 20 }]);
    });

    it('uses an unpriced item when there is no budget, counting it as 0', () => {
      const problem = problemWith([candidate('a', 1, { price: null }), candidate('b', 2)]);
      expect(new BundleOptimizer().solve(problem)).toEqual([{ members: [0, 1], totalScore: 3, totalPrice: 510 }]);
    });

    it('allows one item per leaf category, anchors included, only when diversity is required', () => {
      const candidates = [
        candidate('case-1', 5, { leafCategory: 'cases' }),
        candidate('case-2', 4, { leafCategory: 'cases' }),
        candidate('phone-2', 9, { leafCategory: 'phones' }),
        candidate('charger', 1, { leafCategory: 'chargers' }),
      ];
      const diverse = problemWith(candidates, { requireCategoryDiversity: true });
      expect(memberIds(diverse, new BundleOptimizer().solve(diverse))).toEqual(['case-1+charger', 'case-2+charger']);
      const free = problemWith(candidates);
      expect(memberIds(free, new BundleOptimizer().solve(free))[0]).toBe('case-1+phone-2');
    });

    it('adds pair scores once per unordered pair, on top of unary scores', () => {
      const problem = { ...problemWith([candidate('a', 1), candidate('b', 1), candidate('c', 1)], { size: 4 }), pairScore: (i: number, j: number) => i + j };
      expect(new BundleOptimizer().solve(problem)).toEqual([{ members: [0, 1, 2], totalScore: 3 + (1 + 2 + 3), totalPrice: 530 }]);
    });

    it('breaks ties by ascending member indices, the same way every time', () => {
      const problem = problemWith([candidate('a', 1), candidate('b', 1), candidate('c', 1), candidate('d', 1)], { count: 4 });
      const expected = [[0, 1], [0, 2], [0, 3], [1, 2]];
      expect(new BundleOptimizer({ beamWidth: 1 }).solve(problem).map((b) => b.members)).toEqual(expected);
      expect(new BundleOptimizer().solve(problem).map((b) => b.members)).toEqual(expected);
      expect(solveExhaustively(problem).map((b) => b.members)).toEqual(expected);
    });

    it('works without anchors and with single-item additions', () => {
      const noAnchors = { ...problemWith([candidate('a', 1), candidate('b', 3), candidate('c', 2)], { size: 2, count: 2 }), anchors: [] };
      expect(new BundleOptimizer().solve(noAnchors).map((b) => b.members)).toEqual([[1, 2], [0, 1]]);
      const oneMore = problemWith([candidate('a', 1), candidate('b', 3), candidate('c', 2)], { size: 2, count: 2 });
      expect(new BundleOptimizer().solve(oneMore).map((b) => b.members)).toEqual([[1], [2]]);
    });
  });

  describe('fewer feasible bundles than requested', () => {
    const base = randomProblem(7);
    it.each([
      ['no candidates', { ...base, candidates: [] }],
      ['everything out of stock', { ...base, candidates: base.candidates.map((c) => ({ ...c, inStock: false })) }],
      ['a budget below the anchors alone', { ...base, anchors: [{ itemId: 'phone', price: 500, leafCategory: 'phones' }], constraints: { ...base.constraints, size: 3, budget: 499 } }],
      [
        'two anchors of one category under diversity',
        {
          ...base,
          anchors: [{ itemId: 'p1', price: 1, leafCategory: 'phones' }, { itemId: 'p2', price: 1, leafCategory: 'phones' }],
          constraints: { ...base.constraints, size: 4, requireCategoryDiversity: true },
        },
      ],
    ])('returns [] for %s', (_reason, problem) => {
      expect(new BundleOptimizer().solve(problem)).toEqual([]);
      expect(solveExhaustively(problem)).toEqual([]);
    });

    it('returns every feasible bundle when there are fewer than count', () => {
      const candidates: BundleCandidate[] = ['a', 'b', 'c'].map((itemId, i) => ({ itemId, price: 1, inStock: true, leafCategory: itemId, unaryScore: i }));
      const problem: BundleProblem = {
        anchors: [{ itemId: 'phone', price: 1, leafCategory: 'phones' }],
        candidates,
        pairScore: () => 0,
        constraints: { size: 3, count: 50, requireCategoryDiversity: true, excludeItemIds: new Set() },
      };
      expect(new BundleOptimizer().solve(problem).map((b) => b.members)).toEqual([[1, 2], [0, 2], [0, 1]]);
    });
  });

  describe('bad problems', () => {
    const valid = randomProblem(11);
    const withConstraints = (constraints: Partial<BundleProblem['constraints']>): BundleProblem => ({
      ...valid,
      anchors: [{ itemId: 'phone', price: 100, leafCategory: 'phones' }],
      constraints: { ...valid.constraints, size: 3, ...constraints },
    });
    it.each<[string, BundleProblem, RegExp]>([
      ['size 1', withConstraints({ size: 1 }), /size must be an integer from 2 to 5.*got 1/],
      ['size 6', withConstraints({ size: 6 }), /size must be an integer from 2 to 5.*got 6/],
      ['fractional size', withConstraints({ size: 2.5 }), /size must be an integer/],
      ['size not above the anchors', { ...withConstraints({ size: 2 }), anchors: [valid.candidates[0], valid.candidates[1]] }, /size \(2\) must exceed the number of anchors \(2\)/],
      ['count 0', withConstraints({ count: 0 }), /count must be a positive integer, got 0/],
      ['fractional count', withConstraints({ count: 1.5 }), /count must be a positive integer, got 1.5/],
      ['negative budget', withConstraints({ budget: -1 }), /budget must be a non-negative number when set, got -1/],
      ['NaN budget', withConstraints({ budget: NaN }), /budget must be a non-negative number when set, got NaN/],
      ['NaN unary score', { ...withConstraints({}), candidates: [...valid.candidates, { ...valid.candidates[0], unaryScore: NaN }] }, /candidates\[\d+\]\.unaryScore must be a finite number, got NaN/],
      ['infinite unary score', { ...withConstraints({}), candidates: [{ ...valid.candidates[0], unaryScore: Infinity }] }, /candidates\[0\]\.unaryScore must be a finite number, got Infinity/],
      ['negative price', { ...withConstraints({}), candidates: [{ ...valid.candidates[0], price: -3 }] }, /candidates\[0\]\.price must be null or a non-negative finite number, got -3/],
      ['NaN anchor price', { ...withConstraints({}), anchors: [{ itemId: 'phone', price: NaN, leafCategory: 'phones' }] }, /anchors\[0\]\.price must be null or a non-negative finite number/],
      ['non-finite pair score', { ...withConstraints({ budget: undefined, requireCategoryDiversity: false, excludeItemIds: new Set() }), pairScore: () => NaN }, /pairScore\(\d+, \d+\) returned NaN; pair scores must be finite/],
    ])('rejects %s', (_name, problem, message) => {
      for (const solve of [(p: BundleProblem) => new BundleOptimizer().solve(p), solveExhaustively]) {
        expect(() => solve(problem)).toThrow(BundleProblemError);
        expect(() => solve(problem)).toThrow(message);
      }
    });

    it('rejects a beam width that is not a positive integer', () => {
      expect(() => new BundleOptimizer({ beamWidth: 0 })).toThrow(/beamWidth must be a positive integer, got 0/);
      expect(() => new BundleOptimizer({ beamWidth: 2.5 })).toThrow(RangeError);
    });
  });

  it('solves 200 candidates, size 3 with one anchor, asking for a fraction of the pairs, in milliseconds', () => {
    const random = seededRandom(99);
    const candidates: BundleCandidate[] = Array.from({ length: 200 }, (_, i) => ({
      itemId: `item-${i}`,
      price: 5 + random() * 100,
      inStock: random() > 0.05,
      leafCategory: `leaf-${i % 12}`,
      unaryScore: random() ** 3,
    }));
    let pairCalls = 0;
    const problem: BundleProblem = {
      anchors: [{ itemId: 'phone', price: 600, leafCategory: 'phones' }],
      candidates,
      pairScore: (i, j) => {
        pairCalls++;
        return (((i * 7919 + j * 7919) % 101) - 50) / 500;
      },
      constraints: { size: 3, count: 10, requireCategoryDiversity: true, excludeItemIds: new Set() },
    };
    const optimizer = new BundleOptimizer();
    const found = optimizer.solve(problem);
    const beamCalls = pairCalls;
    pairCalls = 0;
    expect(found).toEqual(solveExhaustively(problem));
    // The beam's work is bounded by width x candidates; exhaustive asks for every compatible pair.
    expect(beamCalls).toBeLessThanOrEqual(DEFAULT_BEAM_WIDTH * 200);
    expect(pairCalls).toBeGreaterThan(3 * beamCalls);

    for (let k = 0; k < 50; k++) optimizer.solve(problem); // warm the JIT
    const started = performance.now();
    const runs = 100;
    for (let k = 0; k < runs; k++) optimizer.solve(problem);
    // Loose on purpose: jest's VM realm runs this several times slower than plain node on a shared
    // 2-core machine; reports/bench-bundles.json has the real latency.
    expect((performance.now() - started) / runs).toBeLessThan(25);
  });
});
