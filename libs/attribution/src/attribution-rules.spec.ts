import { Action } from '@recmesh/contracts';
import { Registry } from 'prom-client';
import { bucketStart, cleanLabel, decide, onceKey, revenueMinor, withinWindow } from './attribution-rules';
import { FeedbackMetrics, MAX_EXPORTED_LIST_KEYS } from './feedback-metrics';
import { isTail } from './popularity-head';
import { ServedListCache } from './served-list-cache';

const window = { windowMs: 60 * 60_000, skewMs: 5 * 60_000 };
const list = { tsMs: 1_000_000_000, items: [{ itemId: 'a', position: 1 }, { itemId: 'b', position: 2 }, { itemId: 'a', position: 3 }] };

describe('attribution rules', () => {
  it('counts an action from skew before the list to the end of the window, inclusive', () => {
    expect(withinWindow(list.tsMs - window.skewMs, list.tsMs, window)).toBe(true);
    expect(withinWindow(list.tsMs - window.skewMs - 1, list.tsMs, window)).toBe(false);
    expect(withinWindow(list.tsMs + window.windowMs, list.tsMs, window)).toBe(true);
    expect(withinWindow(list.tsMs + window.windowMs + 1, list.tsMs, window)).toBe(false);
  });

  it('joins by item to its first position, and says why when it cannot', () => {
    expect(decide(list, { itemId: 'a', tsMs: list.tsMs + 1 }, window)).toEqual({ kind: 'attributed', position: 1 });
    expect(decide(list, { itemId: 'b', tsMs: list.tsMs + 1 }, window)).toEqual({ kind: 'attributed', position: 2 });
    expect(decide(list, { itemId: 'z', tsMs: list.tsMs + 1 }, window)).toEqual({ kind: 'not_in_list' });
    expect(decide(list, { itemId: 'a', tsMs: list.tsMs + 2 * window.windowMs }, window)).toEqual({ kind: 'outside_window' });
  });

  it('counts clicks and carts once per shown item, purchases every time', () => {
    expect(onceKey('r1', 2, Action.CLICK)).toBe('r1|2|click');
    expect(onceKey('r1', 2, Action.ADD_TO_CART)).toBe('r1|2|add_to_cart');
    expect(onceKey('r1', 2, Action.PURCHASE)).toBeNull();
  });

  it('keeps revenue in integer hundredths, exact where floats are not', () => {
    expect(19.99 * 100).not.toBe(1999);
    expect(revenueMinor(19.99, 2)).toBe(3998);
    expect(revenueMinor(0.1 + 0.2, 3)).toBe(90);
    expect(revenueMinor(undefined, 4)).toBe(0);
    expect(revenueMinor(5, 0)).toBe(500);
  });

  it('aligns buckets to the epoch', () => {
    expect(bucketStart(1_700_000_123_456, 300_000)).toBe(1_700_000_100_000);
    expect(bucketStart(1_700_000_100_000, 300_000)).toBe(1_700_000_100_000);
  });

  it('cleans label values and falls back when empty', () => {
    expect(cleanLabel('sasrec-2025.11.03', 'unknown', 128)).toBe('sasrec-2025.11.03');
    expect(cleanLabel(' a b"c{}\n', 'unknown', 128)).toBe('a_b_c__');
    expect(cleanLabel('', 'none', 64)).toBe('none');
    expect(cleanLabel('x'.repeat(100), 'none', 64)).toHaveLength(64);
  });

  it('calls nothing tail before any popularity is known', () => {
    expect(isTail(new Set(), 'a')).toBe(false);
    expect(isTail(new Set(['a']), 'a')).toBe(false);
    expect(isTail(new Set(['a']), 'b')).toBe(true);
  });
});

describe('ServedListCache', () => {
  it('keeps at most its capacity, dropping the least recently used', () => {
    const cache = new ServedListCache(2);
    const l = (recId: string) => ({ recId, userId: 'u', surface: 'recommend', modelVersion: 'm', arm: 'none', experiment: '', tsMs: 1, items: [] });
    cache.set(l('r1'));
    cache.set(l('r2'));
    expect(cache.get('r1')?.recId).toBe('r1');
    cache.set(l('r3'));
    expect(cache.size).toBe(2);
    expect(cache.get('r2')).toBeUndefined();
    expect(cache.get('r1')).toBeDefined();
    expect(cache.get('r3')).toBeDefined();
  });
});

describe('FeedbackMetrics label bound', () => {
  it(`exports at most ${MAX_EXPORTED_LIST_KEYS} surface x model_version x arm keys, dropping the least recently updated`, async () => {
    const registry = new Registry();
    const metrics = new FeedbackMetrics(registry);
    const list = (model: string) => ({ recId: 'r', userId: 'u', surface: 'recommend', modelVersion: model, arm: 'none', experiment: '', tsMs: 1 });
    for (let i = 0; i <= MAX_EXPORTED_LIST_KEYS; i++) {
      metrics.impression(list(`m${i}`), 3);
      metrics.attributed({ list: list(`m${i}`), action: Action.CLICK, position: 2, revenueMinor: 0, viewThrough: false, tail: true, lagSeconds: 1 });
      if (i === 5) metrics.impression(list('m0'), 1); // m0 used again: m1 is now the oldest
    }
    const models = async (name: string) => new Set((await registry.getSingleMetric(name)!.get()).values.map((v) => v.labels['model_version']));
    for (const name of ['recmesh_feedback_impressions_total', 'recmesh_feedback_attributed_actions_total', 'recmesh_feedback_tail_clicks_total', 'recmesh_feedback_attributed_position']) {
      const exported = await models(name);
      expect(exported.size).toBe(MAX_EXPORTED_LIST_KEYS);
      expect(exported.has('m0')).toBe(true);
      expect(exported.has('m1')).toBe(false);
      expect(exported.has(`m${MAX_EXPORTED_LIST_KEYS}`)).toBe(true);
    }
  });
});
