import { actionName } from '@recmesh/contracts';
import { ServedListMeta } from '@recmesh/persistence';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AttributableAction, listLabels } from './attribution-rules';

type ListLabel = 'surface' | 'model_version' | 'arm';
type Series = { remove(labels: Record<string, string>): void };

/**
 * (surface, model_version, arm) combinations exported at once. Model versions
 * change with every promotion; past this many, the least recently updated
 * combination's series are dropped (MySQL keeps every bucket).
 */
export const MAX_EXPORTED_LIST_KEYS = 64;

export type ActionOutcome =
  /** Joined to its list by rec_id. */
  | 'attributed'
  /** A purchase without rec_id joined to a list that showed the item to the same user. */
  | 'view_through'
  /** A click or cart on an item of a list already counted for that position. */
  | 'repeat'
  | 'not_in_list'
  | 'outside_window'
  /** Waited for its list longer than the window; dropped. */
  | 'expired'
  /** The event id was applied before (redelivery). */
  | 'duplicate'
  /** Not a click, cart or purchase with rec_id, nor a purchase (view-through). */
  | 'ignored'
  | 'invalid';

export interface AttributionObservation {
  readonly list: ServedListMeta;
  readonly action: AttributableAction;
  readonly position: number;
  readonly revenueMinor: number;
  readonly viewThrough: boolean;
  readonly tail: boolean;
  /** Seconds from the action's event time to its attribution. */
  readonly lagSeconds: number;
}

/**
 * Prometheus metrics of the feedback service. Definitions (per surface x
 * model_version x arm): CTR = attributed clicks / impressions; add-to-cart
 * rate = attributed carts / impressions; conversion = attributed purchases /
 * impressions; revenue per 1,000 impressions = attributed revenue /
 * impressions x 1000; mean attributed position = position sum / count of
 * the click histogram; long-tail share = tail clicks / attributed clicks.
 */
export class FeedbackMetrics {
  readonly impressions: Counter<ListLabel>;
  readonly itemsShown: Counter<ListLabel>;
  readonly attributedActions: Counter<ListLabel | 'action'>;
  readonly attributedRevenue: Counter<ListLabel>;
  readonly viewThroughPurchases: Counter<ListLabel>;
  readonly viewThroughRevenue: Counter<ListLabel>;
  readonly tailClicks: Counter<ListLabel>;
  readonly attributedPosition: Histogram<ListLabel | 'action'>;
  readonly attributionLagSeconds: Histogram<'kind'>;
  readonly pendingActions: Gauge<'kind'>;
  readonly servedLists: Counter<'outcome'>;
  readonly actions: Counter<'outcome'>;
  readonly foreignCurrencyPurchases: Counter;
  readonly batchSeconds: Histogram<'topic'>;
  readonly sweepFailures: Counter;
  /** Exported list keys, least recently updated first, with the series each one has. */
  private readonly exported = new Map<string, Map<string, { metric: Series; labels: Record<string, string> }>>();

  constructor(registry: Registry) {
    const listLabelNames: ListLabel[] = ['surface', 'model_version', 'arm'];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) => new Counter<L>({ name, help, labelNames, registers: [registry] });
    this.impressions = counter('recmesh_feedback_impressions_total', 'Served lists (impressions), counted once per rec_id. The denominator of CTR, add-to-cart rate, conversion and revenue per 1,000 impressions.', listLabelNames);
    this.itemsShown = counter('recmesh_feedback_items_shown_total', 'Items in the served lists (clicks / items shown = per-item CTR).', listLabelNames);
    this.attributedActions = counter(
      'recmesh_feedback_attributed_actions_total',
      'Actions joined to their served list by rec_id within the attribution window. Clicks and carts count once per shown item (rec_id + position); purchases every time. CTR = {action="click"} / impressions; add-to-cart rate = {action="add_to_cart"} / impressions; conversion = {action="purchase"} / impressions.',
      [...listLabelNames, 'action'],
    );
    this.attributedRevenue = counter('recmesh_feedback_attributed_revenue_total', 'Revenue (quantity x unit price, currency units) of purchases attributed by rec_id. Revenue per 1,000 impressions = this / impressions x 1000.', listLabelNames);
    this.viewThroughPurchases = counter('recmesh_feedback_view_through_purchases_total', 'Purchases without rec_id of an item a served list showed the same user within the window (a separate measure, not in attributed purchases).', listLabelNames);
    this.viewThroughRevenue = counter('recmesh_feedback_view_through_revenue_total', 'Revenue (currency units) of the view-through purchases.', listLabelNames);
    this.tailClicks = counter('recmesh_feedback_tail_clicks_total', 'Attributed clicks on items outside the popularity head (the top 20% of items by decayed popularity). Long-tail share = this / attributed clicks.', listLabelNames);
    this.attributedPosition = new Histogram({
      name: 'recmesh_feedback_attributed_position',
      help: '1-based position of attributed actions in their served list; mean attributed position = _sum / _count for action="click".',
      labelNames: [...listLabelNames, 'action'],
      buckets: [1, 2, 3, 4, 5, 10, 20, 50, 100],
      registers: [registry],
    });
    this.attributionLagSeconds = new Histogram({
      name: 'recmesh_feedback_attribution_lag_seconds',
      help: "From the action's event time to its attribution (includes waiting for a late served list).",
      labelNames: ['kind'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400],
      registers: [registry],
    });
    this.pendingActions = new Gauge({
      name: 'recmesh_feedback_pending_actions',
      help: 'Actions waiting for their served list: kind="rec_id" (list not arrived yet) or "view_through" (purchases without rec_id no list has matched yet). Whole store, as of the last sweep.',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.servedLists = counter('recmesh_feedback_served_lists_total', 'Served-list records by outcome: stored, duplicate (rec_id seen before), invalid (skipped, see the log).', ['outcome']);
    this.actions = counter('recmesh_feedback_actions_total', 'Clickstream records by final outcome: attributed, view_through, repeat, not_in_list, outside_window, expired, duplicate, ignored, invalid.', ['outcome']);
    this.foreignCurrencyPurchases = counter('recmesh_feedback_foreign_currency_purchases_total', 'Purchases priced in another currency than FEEDBACK_CURRENCY: counted as purchases, without revenue.', []);
    this.batchSeconds = new Histogram({
      name: 'recmesh_feedback_batch_seconds', help: 'Time to apply and commit one batch.', labelNames: ['topic'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry],
    });
    this.sweepFailures = counter('recmesh_feedback_sweep_failures_total', 'Sweeps (late-list matching, expiry) that failed and will be retried.', []);
  }

  impression(list: ServedListMeta, items: number): void {
    this.inc(list, this.impressions, {}, 1);
    this.inc(list, this.itemsShown, {}, items);
  }

  attributed(o: AttributionObservation): void {
    const action = actionName(o.action);
    this.attributionLagSeconds.observe({ kind: o.viewThrough ? 'view_through' : 'rec_id' }, Math.max(0, o.lagSeconds));
    if (o.viewThrough) {
      this.inc(o.list, this.viewThroughPurchases, {}, 1);
      this.inc(o.list, this.viewThroughRevenue, {}, o.revenueMinor / 100);
      return;
    }
    this.inc(o.list, this.attributedActions, { action }, 1);
    this.observe(o.list, this.attributedPosition, { action }, o.position);
    if (o.revenueMinor > 0) this.inc(o.list, this.attributedRevenue, {}, o.revenueMinor / 100);
    if (o.tail && action === 'click') this.inc(o.list, this.tailClicks, {}, 1);
  }

  private inc<L extends string>(list: ServedListMeta, metric: Counter<L>, extra: Record<string, string>, value: number): void {
    const labels = this.track(list, metric as unknown as Series, extra);
    (metric as unknown as Counter<string>).inc(labels, value);
  }

  private observe<L extends string>(list: ServedListMeta, metric: Histogram<L>, extra: Record<string, string>, value: number): void {
    const labels = this.track(list, metric as unknown as Series, extra);
    (metric as unknown as Histogram<string>).observe(labels, value);
  }

  /** Marks the list key as just used and remembers the series; drops the least recently used key past the bound. */
  private track(list: ServedListMeta, metric: Series, extra: Record<string, string>): Record<string, string> {
    const base = listLabels(list);
    const key = JSON.stringify([base.surface, base.model_version, base.arm]);
    const series = this.exported.get(key) ?? new Map();
    this.exported.delete(key);
    this.exported.set(key, series);
    const labels = { ...base, ...extra };
    const seriesKey = `${(metric as unknown as { name: string }).name}|${JSON.stringify(extra)}`;
    if (!series.has(seriesKey)) series.set(seriesKey, { metric, labels });
    while (this.exported.size > MAX_EXPORTED_LIST_KEYS) {
      const [oldest, old] = this.exported.entries().next().value as [string, Map<string, { metric: Series; labels: Record<string, string> }>];
      for (const s of old.values()) s.metric.remove(s.labels);
      this.exported.delete(oldest);
    }
    return labels;
  }
}
