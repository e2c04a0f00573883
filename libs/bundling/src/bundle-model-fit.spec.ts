import { SeededRng } from '@recmesh/numerics';
import { BundleModel } from './bundle-model';
import { fitBundleModel, FitBundleModelOptions } from './bundle-model-fit';
import { CoPurchaseGraph, InMemoryComplementaritySources } from './co-purchase-graph';
import { ComplementaritySources } from './complementarity-sources';

/**
 * A shop with structured complements: categories come in complementary pairs (c0 goes with c1, c2
 * with c3, ...), an order never holds two items of one category (they are substitutes), item
 * popularity is Zipf-like within a category, and one bestseller joins many orders whatever they
 * hold. Text vectors make substitutes look MORE alike than complements (two cases read alike), so
 * the text signal alone would recommend a second case: the fit has to learn the substitute penalty.
 */
function makeShop(seed: number) {
  const rng = new SeededRng(seed);
  const pairs = 4;
  const perCategory = 12;
  const dim = 3 * pairs + 2 * pairs + 1;
  const leaf = new Map<string, string>();
  const text = new Map<string, Float32Array>();
  const byCategory: string[][] = [];
  for (let c = 0; c < 2 * pairs; c++) {
    byCategory.push([]);
    for (let i = 0; i < perCategory; i++) {
      const id = `c${c}-i${i}`;
      leaf.set(id, `c${c}`);
      byCategory[c].push(id);
      const v = new Float32Array(dim);
      v[c >> 1] = 1; // the complementary pair's shared topic
      v[pairs + c] = 1.2; // the category's own words
      for (let k = 0; k < dim; k++) v[k] += 0.25 * (rng.next() - 0.5);
      text.set(id, v);
    }
  }
  leaf.set('best', 'misc');
  const bestText = new Float32Array(dim);
  bestText[dim - 1] = 1;
  text.set('best', bestText);
  const zipf = (n: number) => {
    const cumulative: number[] = [];
    let total = 0;
    for (let i = 0; i < n; i++) cumulative.push((total += 1 / (i + 1)));
    const r = rng.next() * total;
    return cumulative.findIndex((c) => c > r);
  };
  const orders: string[][] = [];
  for (let o = 0; o < 400; o++) {
    const p = rng.int(pairs);
    const order = [byCategory[2 * p][zipf(perCategory)], byCategory[2 * p + 1][zipf(perCategory)]];
    if (rng.next() < 0.4) {
      // a second complementary pair in the same order
      const q = (p + 1 + rng.int(pairs - 1)) % pairs;
      order.push(byCategory[2 * q][zipf(perCategory)], byCategory[2 * q + 1][zipf(perCategory)]);
    }
    if (rng.next() < 0.5) order.push('best');
    orders.push(rng.shuffle(order));
  }
  const catalog = [...leaf.keys()];
  return { orders, leaf, text, catalog };
}

function splitOrders(orders: string[][], seed: number) {
  const rng = new SeededRng(seed);
  const idx = rng.shuffle(orders.map((_, i) => i));
  const held = new Set(idx.slice(0, Math.floor(orders.length * 0.2)));
  const train = orders.filter((_, i) => !held.has(i));
  const test = orders
    .filter((_, i) => held.has(i))
    .map((o) => {
      const t = rng.int(o.length);
      return { anchors: o.filter((_, i) => i !== t), target: o[t] };
    });
  return { train, test };
}

/** Full ranking, ties count against. */
function recallAt(k: number, test: { anchors: string[]; target: string }[], catalog: string[], score: (anchors: string[], c: string) => number): number {
  let hits = 0;
  for (const { anchors, target } of test) {
    const anchorSet = new Set(anchors);
    const t = score(anchors, target);
    let rank = 1;
    for (const c of catalog) if (c !== target && !anchorSet.has(c) && score(anchors, c) >= t) rank++;
    if (rank <= k) hits++;
  }
  return hits / test.length;
}

describe('fitBundleModel', () => {
  const shop = makeShop(11);
  const { train, test } = splitOrders(shop.orders, 5);
  const graph = new CoPurchaseGraph(train, { leafCategories: shop.leaf });
  const sources: ComplementaritySources = new InMemoryComplementaritySources(graph, { text: shop.text });
  const options: FitBundleModelOptions = {
    graph,
    catalog: shop.catalog,
    vectors: { text: shop.text },
    seed: 3,
    queriesPerOrder: 2,
    negatives: { random: 8, popular: 8, coPurchased: 8, sameCategory: 8 },
  };
  const fit = fitBundleModel(options);
  const model = fit.model;

  it('ranks held-out complements above the co-occurrence and popularity baselines', () => {
    const modelRecall = recallAt(3, test, shop.catalog, (a, c) => model.completionScore(a, c, sources));
    const cooc = recallAt(3, test, shop.catalog, (a, c) => a.reduce((s, x) => s + graph.coPurchases(x, c), 0));
    const popularity = recallAt(3, test, shop.catalog, (_, c) => graph.itemFrequency(c));
    expect(modelRecall).toBeGreaterThan(cooc + 0.05);
    expect(modelRecall).toBeGreaterThan(popularity + 0.05);
    expect(modelRecall).toBeGreaterThan(0.4);
  });

  it('learns a substitute penalty: negative same-category weight, and a complement outranks a look-alike substitute', () => {
    expect(model.pairWeight('same_leaf_category')).toBeLessThan(0);
    expect(model.pairWeight('category_lift')).toBeGreaterThan(0);
    expect(fit.report.weights.same_leaf_category).toBe(model.pairWeight('same_leaf_category'));
    // c0-i0 with its complement c1-i5 vs with the substitute c0-i5 (whose text is closer)
    expect(sources.textVector('c0-i5')).toBeDefined();
    expect(model.pairScore('c0-i0', 'c1-i5', sources)).toBeGreaterThan(model.pairScore('c0-i0', 'c0-i5', sources));
  });

  it('lets a new item join through its category', () => {
    const fresh = 'c1-new';
    const leaf = new Map(shop.leaf).set(fresh, 'c1');
    const g = new CoPurchaseGraph(train, { leafCategories: leaf });
    const s = new InMemoryComplementaritySources(g, { text: shop.text });
    expect(model.pairScore('c0-i0', fresh, s)).toBeGreaterThan(model.pairScore('c0-i0', 'c2-i0', s));
  });

  it('reports the fit and produces loadable weights', () => {
    expect(fit.report.queries.train).toBeGreaterThan(400);
    expect(fit.report.queries.validation).toBeGreaterThan(80);
    expect(fit.report.l2Search.map((s) => s.l2)).toEqual([1e-5, 1e-4, 1e-3, 1e-2, 1e-1]);
    expect(fit.report.l2Search.map((s) => s.l2)).toContain(fit.report.l2);
    expect(fit.report.meanCandidatesPerQuery).toBeGreaterThan(20);
    expect(fit.report.meanCandidatesPerQuery).toBeLessThanOrEqual(33);
    // no behaviour vectors in this shop: the feature is constant and left out
    expect(fit.report.droppedFeatures).toEqual(['behaviour_cosine']);
    expect(fit.weights.pairFeatures).not.toContain('behaviour_cosine');
    expect(BundleModel.fromJson(JSON.parse(JSON.stringify(fit.weights))).toJson()).toEqual(fit.weights);
    expect(fit.weights.fittedOn.seed).toBe(3);
  });

  it('is deterministic for a seed', () => {
    const again = fitBundleModel(options);
    expect(again.weights.pairWeights).toEqual(fit.weights.pairWeights);
    expect(again.weights.itemWeights).toEqual(fit.weights.itemWeights);
    const other = fitBundleModel({ ...options, seed: 4 });
    expect(other.weights.pairWeights).not.toEqual(fit.weights.pairWeights);
  });

  it('learns a positive weight for an informative personal affinity', () => {
    const rng = new SeededRng(99);
    // The buyer's affinity is noisy but higher for what they bought.
    const noise = new Map<string, number>();
    const affinity = (order: number, item: string) => {
      const key = `${order}|${item}`;
      if (!noise.has(key)) noise.set(key, rng.next());
      return (graph.orderItems(order).includes(item) ? 0.6 : 0) + (noise.get(key) as number);
    };
    const withAffinity = fitBundleModel({ ...options, personalAffinity: affinity, l2Grid: [1e-3] });
    expect(withAffinity.weights.itemFeatures).toEqual(['log_popularity', 'personal_affinity']);
    expect(withAffinity.model.itemWeight('personal_affinity')).toBeGreaterThan(0.5);
  });

  it('builds features from the leave-that-order-out view, so an order never sees its own co-purchases', () => {
    // Every item occurs in exactly one order: with the order's own contribution removed, no
    // candidate has a co-purchase, so both co-purchase features are constant and left out.
    const unique = Array.from({ length: 60 }, (_, o) => [`u${o}a`, `u${o}b`, `u${o}c`]);
    const leaf = new Map(unique.flat().map((id, i) => [id, `k${i % 3}`]));
    const g = new CoPurchaseGraph(unique, { leafCategories: leaf });
    const result = fitBundleModel({ graph: g, catalog: unique.flat(), seed: 1, l2Grid: [1e-3] });
    expect(result.report.droppedFeatures).toEqual(expect.arrayContaining(['log_lift', 'co_purchased']));
    // and the held-out item's own order does not count towards its popularity either (0 vs 2 for the others)
    expect(result.model.itemWeight('log_popularity')).toBeLessThan(0);
    expect(result.weights.pairFeatures).toEqual(expect.arrayContaining(['category_lift', 'same_leaf_category']));
  });

  it('reports the importance correction and can fit without it', () => {
    expect(fit.report.importanceCorrection).toBe(true);
    expect(fit.weights.fittedOn.loss).toMatch(/importance-weighted/);
    fit.report.l2Search.forEach((s) => {
      expect(s.validationEstimatedRecallAt10).toBeGreaterThan(0.3);
      expect(s.validationEstimatedRecallAt10).toBeLessThanOrEqual(1);
    });
    const plain = fitBundleModel({ ...options, importanceCorrection: false, l2Grid: [1e-3] });
    expect(plain.report.importanceCorrection).toBe(false);
    expect(plain.weights.pairWeights).not.toEqual(fit.weights.pairWeights);
  });

  it('rejects unknown features and an empty catalog', () => {
    expect(() => fitBundleModel({ ...options, pairFeatures: ['nope' as never] })).toThrow(/unknown pair feature "nope"/);
    expect(() => fitBundleModel({ ...options, catalog: ['x'] })).toThrow(/at least two items/);
  });
});
