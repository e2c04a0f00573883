import { ServedSurfaces } from '@recmesh/contracts';
import type { BucketCounts, MetricBucketRow } from '@recmesh/persistence';
import type { MetricPoint, ModelSeries, OnlineMetrics, OpsMetrics, SurfaceMetrics } from './ops-api.types';

type Counts = Pick<BucketCounts, 'impressions' | 'clicks' | 'addToCarts' | 'purchases' | 'revenueMinor' | 'positionSum' | 'tailClicks'>;

const ZERO: Counts = { impressions: 0, clicks: 0, addToCarts: 0, purchases: 0, revenueMinor: 0, positionSum: 0, tailClicks: 0 };
const COUNTED = Object.keys(ZERO) as Array<keyof Counts>;

function add(into: Counts, row: Counts): Counts {
  for (const c of COUNTED) into[c] += row[c];
  return into;
}

const ratio = (numerator: number, denominator: number): number | null => (denominator > 0 ? numerator / denominator : null);

/**
 * The online metrics of summed buckets, as FeedbackMetrics defines them:
 * rates per impression (served list), position and long-tail share per
 * attributed click (the buckets sum positions and tail items of clicks only).
 */
export function onlineMetrics(c: Counts): OnlineMetrics {
  const perMille = ratio(c.revenueMinor * 1000, c.impressions);
  return {
    impressions: c.impressions,
    clicks: c.clicks,
    add_to_carts: c.addToCarts,
    purchases: c.purchases,
    revenue_minor: c.revenueMinor,
    ctr: ratio(c.clicks, c.impressions),
    add_to_cart_rate: ratio(c.addToCarts, c.impressions),
    conversion: ratio(c.purchases, c.impressions),
    revenue_per_mille_minor: perMille === null ? null : Math.round(perMille),
    mean_position: ratio(c.positionSum, c.clicks),
    long_tail_share: ratio(c.tailClicks, c.clicks),
  };
}

/**
 * Buckets (any order, one row per surface x model version x arm x bucket) to
 * per-surface, per-model-version series over time: arms of one version add up
 * (the experiment view compares arms). Every served surface is listed, with
 * or without lists, so the page keeps its layout.
 */
export function metricsBySurface(rows: readonly MetricBucketRow[], window: { fromMs: number; toMs: number }, currency: string): OpsMetrics {
  const bySurface = new Map<string, Map<string, Map<number, Counts>>>();
  for (const surface of ServedSurfaces) bySurface.set(surface, new Map());
  for (const row of rows) {
    const models = bySurface.get(row.surface) ?? new Map<string, Map<number, Counts>>();
    bySurface.set(row.surface, models);
    const buckets = models.get(row.modelVersion) ?? new Map<number, Counts>();
    models.set(row.modelVersion, buckets);
    buckets.set(row.bucketStartMs, add(buckets.get(row.bucketStartMs) ?? { ...ZERO }, row));
  }
  const known = new Set<string>(ServedSurfaces);
  const order = [...ServedSurfaces, ...[...bySurface.keys()].filter((s) => !known.has(s)).sort()];
  const surfaces = order.map((surface): SurfaceMetrics => {
    const models = [...(bySurface.get(surface) ?? new Map<string, Map<number, Counts>>())]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([modelVersion, buckets]): ModelSeries & { sums: Counts } => {
        const sums = { ...ZERO };
        const points = [...buckets]
          .sort(([a], [b]) => a - b)
          .map(([bucketStartMs, counts]): MetricPoint => {
            add(sums, counts);
            return { bucket_start_ms: bucketStartMs, ...onlineMetrics(counts) };
          });
        return { model_version: modelVersion, totals: onlineMetrics(sums), points, sums };
      });
    const surfaceSums = models.reduce((sum, m) => add(sum, m.sums), { ...ZERO });
    return { surface, totals: onlineMetrics(surfaceSums), models: models.map(({ sums: _sums, ...series }) => series) };
  });
  return { from_ms: window.fromMs, to_ms: window.toMs, currency, surfaces };
}
