import { CoPurchaseGraph, InMemoryComplementaritySources } from './co-purchase-graph';
import {
  cosine,
  ITEM_FEATURE_NAMES,
  itemFeatures,
  LIFT_PSEUDO_COUNT,
  PAIR_FEATURE_INDEX,
  PAIR_FEATURE_NAMES,
  pairFeatures,
  smoothedLogLift,
} from './complementarity-features';
import { ComplementaritySources } from './complementarity-sources';

const leaf = new Map([
  ['phone1', 'phones'],
  ['phone2', 'phones'],
  ['case1', 'cases'],
  ['case2', 'cases'],
  ['newcase', 'cases'],
  ['sock', 'socks'],
]);
const orders = [['phone1', 'case1'], ['phone1', 'case1'], ['phone2', 'case2'], ['sock', 'case1']];
const graph = new CoPurchaseGraph(orders, { leafCategories: leaf });
const behaviour = new Map([
  ['phone1', Float32Array.of(1, 0)],
  ['case1', Float32Array.of(3, 4)],
]);
const text = new Map([
  ['phone1', Float32Array.of(0, 2, 0)],
  ['newcase', Float32Array.of(0, 1, 1)],
]);
const sources = new InMemoryComplementaritySources(graph, { behaviour, text });
const f = (name: (typeof PAIR_FEATURE_NAMES)[number], a: string, b: string, s: ComplementaritySources = sources) => pairFeatures(a, b, s)[PAIR_FEATURE_INDEX[name]];

describe('smoothedLogLift', () => {
  it('is log((count + 1) / (expected + 1)) with expected = dA·dB/total', () => {
    expect(LIFT_PSEUDO_COUNT).toBe(1);
    expect(smoothedLogLift(2, 3, 4, 24)).toBeCloseTo(Math.log(3 / 1.5), 12);
    expect(smoothedLogLift(0, 0, 0, 10)).toBe(0);
    expect(smoothedLogLift(0, 50, 50, 100)).toBeCloseTo(-Math.log(26), 12);
    expect(smoothedLogLift(3, 1, 1, 0)).toBe(0);
  });

  it('shrinks a single co-purchase of rare items instead of exploding like raw PMI', () => {
    const smoothed = smoothedLogLift(1, 1, 1, 10000);
    expect(smoothed).toBeLessThan(Math.log(2) + 1e-9);
    expect(Math.log((1 * 10000) / (1 * 1))).toBeGreaterThan(9);
    // With lots of evidence it approaches the raw lift.
    expect(smoothedLogLift(1000, 2000, 2000, 16000)).toBeCloseTo(Math.log(1001 / 251), 12);
  });
});

describe('cosine', () => {
  it('is the cosine and 0 for missing, zero or mismatched vectors', () => {
    expect(cosine(Float32Array.of(1, 0), Float32Array.of(3, 4))).toBeCloseTo(0.6, 6);
    expect(cosine(Float32Array.of(1, 0), undefined)).toBe(0);
    expect(cosine(Float32Array.of(0, 0), Float32Array.of(1, 1))).toBe(0);
    expect(cosine(Float32Array.of(1, 0), Float32Array.of(1, 0, 0))).toBe(0);
  });
});

describe('pairFeatures', () => {
  it('computes every feature by hand', () => {
    // degrees: phone1 2, case1 3 (phone1 ×2, sock), total = 8 ordered pairs
    const out = pairFeatures('phone1', 'case1', sources);
    expect(out).toHaveLength(PAIR_FEATURE_NAMES.length);
    expect(out[PAIR_FEATURE_INDEX.log_lift]).toBeCloseTo(Math.log(3 / (1 + (2 * 3) / 8)), 12);
    expect(out[PAIR_FEATURE_INDEX.co_purchased]).toBeCloseTo(Math.log(3), 12);
    // categories: phones×cases 3, cases×socks 1 (ordered, both ways) → degrees phones 3, cases 4, socks 1, total 8
    expect(out[PAIR_FEATURE_INDEX.category_lift]).toBeCloseTo(Math.log(4 / (1 + (3 * 4) / 8)), 12);
    expect(out[PAIR_FEATURE_INDEX.behaviour_cosine]).toBeCloseTo(0.6, 6);
    expect(out[PAIR_FEATURE_INDEX.text_cosine]).toBe(0);
    expect(out[PAIR_FEATURE_INDEX.same_leaf_category]).toBe(0);
  });

  it('gives a brand-new item the category signal and text, and no co-purchase signal', () => {
    expect(f('log_lift', 'phone1', 'newcase')).toBe(0);
    expect(f('co_purchased', 'phone1', 'newcase')).toBe(0);
    expect(f('category_lift', 'phone1', 'newcase')).toBeCloseTo(f('category_lift', 'phone1', 'case1'), 12);
    expect(f('category_lift', 'phone1', 'newcase')).toBeGreaterThan(0);
    expect(f('text_cosine', 'phone1', 'newcase')).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('marks same-leaf pairs and reads categories never bought together as no positive lift', () => {
    expect(f('same_leaf_category', 'case1', 'case2')).toBe(1);
    expect(f('same_leaf_category', 'case1', 'phone1')).toBe(0);
    // phones × socks never co-purchased: log(1 / (1 + 3·1/8)) < 0
    expect(f('category_lift', 'phone1', 'sock')).toBeCloseTo(-Math.log(1 + 3 / 8), 12);
    expect(f('same_leaf_category', 'phone1', 'mystery')).toBe(0);
    expect(f('category_lift', 'phone1', 'mystery')).toBe(0);
  });

  it('is symmetric and reuses the out array', () => {
    const out = new Float64Array(PAIR_FEATURE_NAMES.length).fill(99);
    const ab = Array.from(pairFeatures('case1', 'phone1', sources, out));
    expect(ab).toEqual(Array.from(pairFeatures('phone1', 'case1', sources)));
    expect(pairFeatures('sock', 'unknown', sources, out)).toBe(out);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('reads no co-purchase signal for an item with itself', () => {
    expect(f('co_purchased', 'case1', 'case1')).toBe(0);
  });
});

describe('itemFeatures', () => {
  it('is log1p(degree) and the passed affinity', () => {
    const out = itemFeatures('case1', sources, 0.25);
    expect(out).toHaveLength(ITEM_FEATURE_NAMES.length);
    expect(out[0]).toBeCloseTo(Math.log(4), 12);
    expect(out[1]).toBe(0.25);
    expect(Array.from(itemFeatures('newcase', sources))).toEqual([0, 0]);
    expect(itemFeatures('case1', sources, Number.NaN)[1]).toBe(0);
  });
});
