import { SeededRng } from '@recmesh/numerics';
import { CoPurchaseCounts, CoPurchaseGraph, InMemoryComplementaritySources } from './co-purchase-graph';

const categories = new Map([
  ['phone1', 'phones'],
  ['phone2', 'phones'],
  ['case1', 'cases'],
  ['case2', 'cases'],
  ['charger', 'chargers'],
  ['newcase', 'cases'],
]);

const orders = [
  ['phone1', 'case1', 'charger'],
  ['phone1', 'case1'],
  ['phone2', 'case2', 'case1'],
  ['charger', 'charger', 'mystery'], // duplicate item counts once; mystery has no category
  ['lonely'],
];

describe('CoPurchaseGraph', () => {
  const graph = new CoPurchaseGraph(orders, { leafCategories: categories });

  it('counts orders holding both items, symmetric, de-duplicating items within an order', () => {
    expect(graph.coPurchases('phone1', 'case1')).toBe(2);
    expect(graph.coPurchases('case1', 'phone1')).toBe(2);
    expect(graph.coPurchases('case1', 'case2')).toBe(1);
    expect(graph.coPurchases('charger', 'mystery')).toBe(1);
    expect(graph.coPurchases('phone1', 'phone2')).toBe(0);
    expect(graph.coPurchases('phone1', 'phone1')).toBe(0);
    expect(graph.coPurchases('phone1', 'unknown')).toBe(0);
    expect(graph.orderItems(3)).toEqual(['charger', 'mystery']);
  });

  it('degrees are sums of co-purchases and the total is the number of ordered pairs', () => {
    // phone1: case1 ×2 + charger ×1; case1: phone1 ×2, charger, phone2, case2
    expect(graph.coPurchaseDegree('phone1')).toBe(3);
    expect(graph.coPurchaseDegree('case1')).toBe(5);
    expect(graph.coPurchaseDegree('lonely')).toBe(0);
    expect(graph.coPurchaseDegree('newcase')).toBe(0);
    // orders of sizes 3, 2, 3, 2, 1 → 6 + 2 + 6 + 2 + 0 ordered pairs
    expect(graph.totalCoPurchaseDegree).toBe(16);
    const ids = graph.itemIds();
    for (const a of ids) {
      let sum = 0;
      graph.forEachPartner(a, (_, c) => (sum += c));
      expect(sum).toBe(graph.coPurchaseDegree(a));
    }
    expect(graph.itemFrequency('case1')).toBe(3);
    expect(graph.itemFrequency('charger')).toBe(2);
  });

  it('counts ordered pairs of distinct items under their leaf categories', () => {
    // order 0: phones×cases 1, phones×chargers 1, cases×chargers 1; order 1: phones×cases 1;
    // order 2: phones×cases 2 (phone2 with case2 and case1), cases×cases 2 (case2→case1, case1→case2).
    expect(graph.categoryCoPurchases('phones', 'cases')).toBe(4);
    expect(graph.categoryCoPurchases('cases', 'phones')).toBe(4);
    expect(graph.categoryCoPurchases('cases', 'cases')).toBe(2);
    expect(graph.categoryCoPurchases('phones', 'phones')).toBe(0);
    expect(graph.categoryCoPurchases('cases', 'chargers')).toBe(1);
    expect(graph.categoryCoPurchaseDegree('cases')).toBe(4 + 2 + 1);
    expect(graph.categoryCoPurchaseDegree('phones')).toBe(4 + 1);
    // mystery has no category, so order 3 adds nothing; 3 categorized → 6, 2 → 2, 3 → 6
    expect(graph.totalCategoryCoPurchaseDegree).toBe(14);
    expect(graph.leafCategory('newcase')).toBe('cases');
    expect(graph.leafCategory('mystery')).toBeUndefined();
  });

  it('accepts a category function', () => {
    const g = new CoPurchaseGraph([['a1', 'b1']], { leafCategories: (id) => id[0] });
    expect(g.categoryCoPurchases('a', 'b')).toBe(1);
    expect(g.leafCategory('zzz')).toBe('z');
  });

  it('a leave-one-order-out view equals the graph rebuilt without that order', () => {
    const rng = new SeededRng(7);
    const cats = ['x', 'y', 'z', 'w'];
    const items = Array.from({ length: 14 }, (_, i) => `i${i}`);
    const leaf = new Map(items.filter((_, i) => i % 5 !== 4).map((id, i) => [id, cats[i % cats.length]]));
    const random = Array.from({ length: 25 }, () => Array.from({ length: 1 + rng.int(6) }, () => items[rng.int(items.length)]));
    const full = new CoPurchaseGraph(random, { leafCategories: leaf });
    for (let o = 0; o < random.length; o++) {
      const view = full.withoutOrder(o);
      const rebuilt = new CoPurchaseGraph(
        random.filter((_, i) => i !== o),
        { leafCategories: leaf },
      );
      expectSameCounts(view, rebuilt, [...items, 'unknown'], [...cats, 'none']);
    }
  });

  it('samples partners in proportion to the co-purchase count', () => {
    const rng = new SeededRng(3);
    const counts = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const p = graph.samplePartner('case1', rng.next()) as string;
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    // case1: phone1 ×2, charger ×1, phone2 ×1, case2 ×1 (degree 5)
    expect([...counts.keys()].sort()).toEqual(['case2', 'charger', 'phone1', 'phone2']);
    expect((counts.get('phone1') as number) / 6000).toBeCloseTo(2 / 5, 1);
    expect((counts.get('charger') as number) / 6000).toBeCloseTo(1 / 5, 1);
    expect(graph.samplePartner('case1', 0)).toBe(graph.samplePartner('case1', 0));
    expect(graph.samplePartner('lonely', 0.5)).toBeUndefined();
    expect(graph.samplePartner('unknown', 0.5)).toBeUndefined();
  });

  it('rejects an order index that is not in the graph', () => {
    expect(() => graph.withoutOrder(5)).toThrow(/order 5 is not in the graph/);
    expect(() => graph.withoutOrder(-1)).toThrow(RangeError);
  });
});

describe('InMemoryComplementaritySources', () => {
  it('passes counts through and serves vectors, undefined when missing', () => {
    const graph = new CoPurchaseGraph(orders, { leafCategories: categories });
    const v = Float32Array.of(1, 2);
    const sources = new InMemoryComplementaritySources(graph.withoutOrder(1), { behaviour: new Map([['phone1', v]]) });
    expect(sources.coPurchases('phone1', 'case1')).toBe(1);
    expect(sources.coPurchaseDegree('phone1')).toBe(2);
    expect(sources.totalCoPurchaseDegree).toBe(14);
    expect(sources.categoryCoPurchases('phones', 'cases')).toBe(3);
    expect(sources.totalCategoryCoPurchaseDegree).toBe(12);
    expect(sources.behaviourVector('phone1')).toBe(v);
    expect(sources.behaviourVector('case1')).toBeUndefined();
    expect(sources.textVector('phone1')).toBeUndefined();
    expect(sources.leafCategory('case2')).toBe('cases');
  });
});

function expectSameCounts(a: CoPurchaseCounts, b: CoPurchaseCounts, items: string[], cats: string[]): void {
  expect(a.totalCoPurchaseDegree).toBe(b.totalCoPurchaseDegree);
  expect(a.totalCategoryCoPurchaseDegree).toBe(b.totalCategoryCoPurchaseDegree);
  for (const x of items) {
    expect(a.coPurchaseDegree(x)).toBe(b.coPurchaseDegree(x));
    expect(a.itemFrequency(x)).toBe(b.itemFrequency(x));
    const pa: [string, number][] = [];
    const pb: [string, number][] = [];
    a.forEachPartner(x, (p, c) => pa.push([p, c]));
    b.forEachPartner(x, (p, c) => pb.push([p, c]));
    expect(new Map(pa)).toEqual(new Map(pb));
    for (const y of items) expect(a.coPurchases(x, y)).toBe(b.coPurchases(x, y));
  }
  for (const x of cats) {
    expect(a.categoryCoPurchaseDegree(x)).toBe(b.categoryCoPurchaseDegree(x));
    for (const y of cats) expect(a.categoryCoPurchases(x, y)).toBe(b.categoryCoPurchases(x, y));
  }
}
