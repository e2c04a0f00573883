import type { MetricBucketRow } from '@recmesh/persistence';
import { metricsBySurface, onlineMetrics } from './online-metrics';

const ZERO = { impressions: 0, itemsShown: 0, clicks: 0, addToCarts: 0, purchases: 0, revenueMinor: 0, positionSum: 0, tailClicks: 0, viewThroughPurchases: 0, viewThroughRevenueMinor: 0 };
const T0 = 1_700_000_100_000 - (1_700_000_100_000 % 300_000);
const row = (bucketStartMs: number, surface: string, modelVersion: string, arm: string, counts: Partial<typeof ZERO>): MetricBucketRow => ({ bucketStartMs, surface, modelVersion, arm, ...ZERO, ...counts });

describe('online metrics of the feedback buckets', () => {
  it('computes the rates per impression and position and long-tail share per attributed click', () => {
    expect(onlineMetrics({ impressions: 200, clicks: 10, addToCarts: 4, purchases: 2, revenueMinor: 12_345, positionSum: 25, tailClicks: 3 })).toEqual({
      impressions: 200,
      clicks: 10,
      add_to_carts: 4,
      purchases: 2,
      revenue_minor: 12_345,
      ctr: 0.05,
      add_to_cart_rate: 0.02,
      conversion: 0.01,
      // 123.45 per 200 lists: 617.25 per 1,000, in minor units.
      revenue_per_mille_minor: 61_725,
      mean_position: 2.5,
      long_tail_share: 0.3,
    });
  });

  it('answers null, not 0 or NaN, where a rate has no denominator', () => {
    const m = onlineMetrics({ impressions: 0, clicks: 0, addToCarts: 0, purchases: 0, revenueMinor: 0, positionSum: 0, tailClicks: 0 });
    expect([m.ctr, m.add_to_cart_rate, m.conversion, m.revenue_per_mille_minor, m.mean_position, m.long_tail_share]).toEqual([null, null, null, null, null, null]);
    expect(JSON.parse(JSON.stringify(onlineMetrics({ impressions: 3, clicks: 0, addToCarts: 0, purchases: 0, revenueMinor: 0, positionSum: 0, tailClicks: 0 })))).toMatchObject({ ctr: 0, mean_position: null });
  });

  it('groups buckets per surface and model version over time, adding up arms, every served surface listed', () => {
    const rows = [
      row(T0 + 300_000, 'recommend', 'm2', 'control', { impressions: 4, clicks: 2, purchases: 1, revenueMinor: 1000, positionSum: 3 }),
      row(T0, 'recommend', 'm2', 'control', { impressions: 10, clicks: 1, positionSum: 1, tailClicks: 1 }),
      row(T0, 'recommend', 'm2', 'popular', { impressions: 10, clicks: 3, addToCarts: 2, positionSum: 6 }),
      row(T0, 'recommend', 'm1', 'none', { impressions: 5 }),
      row(T0, 'search', 'm1', 'none', { impressions: 1 }),
    ];
    const answer = metricsBySurface(rows, { fromMs: T0 - 3_600_000, toMs: T0 + 600_000 }, 'EUR');
    expect(answer).toMatchObject({ from_ms: T0 - 3_600_000, to_ms: T0 + 600_000, currency: 'EUR' });
    expect(answer.surfaces.map((s) => s.surface)).toEqual(['recommend', 'similar_items', 'bundle', 'search']);
    const recommend = answer.surfaces[0];
    expect(recommend.models.map((m) => m.model_version)).toEqual(['m1', 'm2']);
    const m2 = recommend.models[1];
    expect(m2.points.map((p) => [p.bucket_start_ms, p.impressions, p.clicks, p.ctr])).toEqual([
      [T0, 20, 4, 0.2],
      [T0 + 300_000, 4, 2, 0.5],
    ]);
    expect(m2.totals).toMatchObject({ impressions: 24, clicks: 6, add_to_carts: 2, purchases: 1, revenue_minor: 1000, ctr: 0.25, mean_position: 10 / 6, long_tail_share: 1 / 6 });
    expect(recommend.totals).toMatchObject({ impressions: 29, clicks: 6, conversion: 1 / 29 });
    expect(answer.surfaces[1]).toEqual({ surface: 'similar_items', totals: expect.objectContaining({ impressions: 0, ctr: null }), models: [] });
  });
});
