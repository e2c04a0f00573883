import { create, toBinary } from '@bufbuild/protobuf';
import { Action, ClickstreamEventSchema, RecommendationServedSchema, resolveTopicNames, topicDeclarations } from '@recmesh/contracts';
import { InMemoryMessageBus, MessageBatch } from '@recmesh/messaging';
import { ExperimentStore, FeedbackStore, ItemPopularityEntity, MetricBucketRow, openStore, UnitOutcomeRow } from '@recmesh/persistence';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { FeedbackMetrics } from './feedback-metrics';
import { FeedbackPipeline } from './feedback-pipeline';
import { FeedbackWorker } from './feedback-worker';
import { PopularityHead } from './popularity-head';
import { ServedListCache } from './served-list-cache';

const topics = resolveTopicNames();
const MINUTE = 60_000;
const WINDOW = 60 * MINUTE;
const BUCKET = 5 * MINUTE;
const T0 = 1_765_000_200_000; // a bucket start

function served(recId: string, userId: string, items: string[], tsMs: number, labels: { surface?: string; model?: string; arm?: string; experiment?: string } = {}): Buffer {
  return Buffer.from(toBinary(RecommendationServedSchema, create(RecommendationServedSchema, {
    recId, userId, surface: labels.surface ?? 'recommend', modelVersion: labels.model ?? 'm1', arm: labels.arm ?? 'A', experiment: labels.experiment ?? '', tsMs: BigInt(tsMs),
    items: items.map((itemId, i) => ({ itemId, position: i + 1, score: 1 - i / 10 })),
  })));
}

function action(eventId: string, userId: string, itemId: string, kind: Action, tsMs: number, recId = '', purchase: { quantity?: number; price?: number; currency?: string } = {}): Buffer {
  return Buffer.from(toBinary(ClickstreamEventSchema, create(ClickstreamEventSchema, {
    eventId, userId, itemId, action: kind, tsMs: BigInt(tsMs), recId, sessionId: 's', quantity: purchase.quantity ?? 1, price: purchase.price, currency: purchase.currency ?? '',
  })));
}

const batch = (topic: string, values: Buffer[]): MessageBatch => ({
  topic, partition: 0, messages: values.map((value, i) => ({ topic, partition: 0, offset: String(i), key: null, value, headers: {}, timestampMs: 0 })),
});
const servedBatch = (...values: Buffer[]) => batch(topics.recommendationsServed, values);
const actionBatch = (...values: Buffer[]) => batch(topics.clickstreamNormalized, values);

const zero = { impressions: 0, itemsShown: 0, clicks: 0, addToCarts: 0, purchases: 0, revenueMinor: 0, positionSum: 0, tailClicks: 0, viewThroughPurchases: 0, viewThroughRevenueMinor: 0 };
const bucket = (bucketStartMs: number, counts: Partial<MetricBucketRow>, key: { surface?: string; modelVersion?: string; arm?: string } = {}): MetricBucketRow => ({
  bucketStartMs, surface: key.surface ?? 'recommend', modelVersion: key.modelVersion ?? 'm1', arm: key.arm ?? 'A', ...zero, ...counts,
});

describe.each([
  ['with the served-list cache', 100],
  ['reading every list from the store (cache off)', 0],
])('FeedbackPipeline on the embedded store, %s', (_name, cacheLists) => {
  let ds: DataSource;
  let store: FeedbackStore;
  let registry: Registry;
  let pipeline: FeedbackPipeline;
  let now: number;

  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
    store = new FeedbackStore(ds);
    registry = new Registry();
    now = T0 + 10 * MINUTE;
    pipeline = new FeedbackPipeline({
      store, metrics: new FeedbackMetrics(registry), topics, window: { windowMs: WINDOW, skewMs: MINUTE }, bucketMs: BUCKET,
      cache: new ServedListCache(cacheLists), currency: 'EUR', experiments: new ExperimentStore(ds),
      head: new PopularityHead((atMs) => store.popularityHead(0.2, atMs, 72 * 3_600_000), 1000, () => now),
      clock: () => now,
    });
  });
  afterEach(() => ds.destroy());

  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const values = (await registry.getSingleMetric(name)!.get()).values;
    return values.filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want)).reduce((s, v) => s + v.value, 0);
  };

  it('adds what each experiment user did with their arm\'s lists to their outcomes, once, late lists included', async () => {
    const units = async () => {
      const rows: UnitOutcomeRow[] = [];
      for await (const page of new ExperimentStore(ds).units('ranker', 0)) rows.push(...page);
      return rows.map(({ eventsBefore: _ignored, ...r }) => r);
    };
    await pipeline.handle(servedBatch(served('x1', 'u1', ['a', 'b'], T0 + MINUTE, { experiment: 'ranker', arm: 'candidate' }), served('x2', 'u2', ['a'], T0 + MINUTE, { experiment: 'ranker', arm: 'control' }), served('n1', 'u3', ['a'], T0 + MINUTE)));
    const actions = actionBatch(
      action('x-e1', 'u1', 'b', Action.CLICK, T0 + 2 * MINUTE, 'x1'),
      action('x-e2', 'u1', 'b', Action.PURCHASE, T0 + 3 * MINUTE, 'x1', { quantity: 2, price: 10, currency: 'EUR' }),
      action('x-e3', 'u2', 'z', Action.CLICK, T0 + 2 * MINUTE, 'x3'), // its list comes later
      action('x-e4', 'u3', 'a', Action.CLICK, T0 + 2 * MINUTE, 'n1'), // outside the experiment
    );
    await pipeline.handle(actions);
    await pipeline.handle(actions); // redelivered: no effect
    await pipeline.handle(servedBatch(served('x3', 'u2', ['z'], T0 + MINUTE, { experiment: 'ranker', arm: 'control' })));
    expect(await units()).toEqual([
      { unitId: 'u1', arm: 'candidate', impressions: 1, clicks: 1, addToCarts: 0, purchases: 1, revenue: 20 },
      { unitId: 'u2', arm: 'control', impressions: 2, clicks: 1, addToCarts: 0, purchases: 0, revenue: 0 },
    ]);
  });

  it('joins clicks, carts and purchases to their list by rec_id and position: clicks and carts once per shown item, every purchase with its revenue', async () => {
    await pipeline.handle(servedBatch(served('r1', 'u1', ['a', 'b', 'c'], T0 + MINUTE)));
    await pipeline.handle(actionBatch(
      action('e1', 'u1', 'b', Action.CLICK, T0 + 2 * MINUTE, 'r1'),
      action('e2', 'u1', 'b', Action.CLICK, T0 + 3 * MINUTE, 'r1'), // the same shown item again: counted once
      action('e3', 'u1', 'c', Action.CLICK, T0 + 3 * MINUTE, 'r1'),
      action('e4', 'u1', 'b', Action.ADD_TO_CART, T0 + 4 * MINUTE, 'r1'),
      action('e5', 'u1', 'b', Action.PURCHASE, T0 + 5 * MINUTE, 'r1', { quantity: 2, price: 19.99, currency: 'EUR' }),
      action('e6', 'u1', 'b', Action.PURCHASE, T0 + 6 * MINUTE, 'r1', { quantity: 1, price: 5, currency: 'USD' }), // another currency: a purchase, no revenue
      action('e7', 'u1', 'a', Action.VIEW, T0 + 2 * MINUTE, 'r1'), // views are not attributed
      action('e8', 'u1', 'z', Action.CLICK, T0 + 2 * MINUTE, 'r1'), // not in the list
      action('e9', 'u1', 'a', Action.CLICK, T0 + 2 * MINUTE), // a click without rec_id says nothing
    ));
    expect(await store.buckets()).toEqual([bucket(T0, { impressions: 1, itemsShown: 3, clicks: 2, addToCarts: 1, purchases: 2, revenueMinor: 3998, positionSum: 5 })]);
    const attributed = await store.attributedActions();
    expect(attributed.map((a) => [a.eventId, a.position, a.revenueMinor, a.onceKey])).toEqual([
      ['e1', 2, 0, 'r1|2|click'], ['e3', 3, 0, 'r1|3|click'], ['e4', 2, 0, 'r1|2|add_to_cart'], ['e5', 2, 3998, null], ['e6', 2, 0, null],
    ]);
    expect(await metric('recmesh_feedback_impressions_total', { surface: 'recommend', model_version: 'm1', arm: 'A' })).toBe(1);
    expect(await metric('recmesh_feedback_attributed_actions_total', { action: 'click' })).toBe(2);
    expect(await metric('recmesh_feedback_attributed_actions_total', { action: 'purchase' })).toBe(2);
    expect(await metric('recmesh_feedback_attributed_revenue_total')).toBeCloseTo(39.98, 9);
    expect(await metric('recmesh_feedback_foreign_currency_purchases_total')).toBe(1);
    expect(await metric('recmesh_feedback_actions_total', { outcome: 'repeat' })).toBe(1);
    expect(await metric('recmesh_feedback_actions_total', { outcome: 'not_in_list' })).toBe(1);
    expect(await metric('recmesh_feedback_actions_total', { outcome: 'ignored' })).toBe(2);
  });

  it('changes nothing when the same lists and events are delivered again (or twice in one batch)', async () => {
    const lists = servedBatch(served('r1', 'u1', ['a', 'b'], T0), served('r1', 'u1', ['a', 'b'], T0));
    const events = actionBatch(
      action('e1', 'u1', 'a', Action.CLICK, T0 + MINUTE, 'r1'),
      action('e2', 'u1', 'a', Action.PURCHASE, T0 + MINUTE, 'r1', { price: 10 }),
      action('e2', 'u1', 'a', Action.PURCHASE, T0 + MINUTE, 'r1', { price: 10 }),
    );
    await pipeline.handle(lists);
    await pipeline.handle(events);
    const once = await store.buckets();
    expect(once).toEqual([bucket(T0, { impressions: 1, itemsShown: 2, clicks: 1, purchases: 1, revenueMinor: 1000, positionSum: 1 })]);
    await pipeline.handle(lists);
    await pipeline.handle(events);
    await pipeline.handle(events);
    expect(await store.buckets()).toEqual(once);
    expect(await metric('recmesh_feedback_served_lists_total', { outcome: 'duplicate' })).toBe(3);
    expect(await metric('recmesh_feedback_actions_total', { outcome: 'duplicate' })).toBe(1 + 3 + 3);
    expect(await metric('recmesh_feedback_impressions_total')).toBe(1);
  });

  it('attributes actions that arrive before their served list when it arrives within the window, and drops those whose list never comes', async () => {
    await pipeline.handle(actionBatch(
      action('e1', 'u1', 'b', Action.CLICK, T0 + 2 * MINUTE, 'r-late'),
      action('e2', 'u1', 'b', Action.PURCHASE, T0 + 3 * MINUTE, 'r-late', { price: 7.5, quantity: 2 }),
      action('e3', 'u2', 'x', Action.CLICK, T0 + 3 * MINUTE, 'r-never'),
    ));
    expect(await store.buckets()).toEqual([]);
    await pipeline.sweep();
    expect(await metric('recmesh_feedback_pending_actions', { kind: 'rec_id' })).toBe(3);

    now += 30_000;
    await pipeline.handle(servedBatch(served('r-late', 'u1', ['a', 'b'], T0 + MINUTE, { surface: 'similar_items', model: 'm2', arm: '' })));
    expect(await store.buckets()).toEqual([
      bucket(T0, { impressions: 1, itemsShown: 2, clicks: 1, purchases: 1, revenueMinor: 1500, positionSum: 2 }, { surface: 'similar_items', modelVersion: 'm2', arm: 'none' }),
    ]);
    const lag = (await registry.getSingleMetric('recmesh_feedback_attribution_lag_seconds')!.get()).values.find((v) => (v as { metricName?: string }).metricName === 'recmesh_feedback_attribution_lag_seconds_sum');
    expect(lag?.value).toBe((now - (T0 + 2 * MINUTE)) / 1000 + (now - (T0 + 3 * MINUTE)) / 1000);

    // The window passes: the action whose list never came is dropped; its list arriving later changes nothing.
    now = T0 + 3 * MINUTE + WINDOW + MINUTE + 1;
    await pipeline.sweep();
    expect(await store.pendingCounts()).toEqual({ recId: 0, viewThrough: 0 });
    expect(await metric('recmesh_feedback_actions_total', { outcome: 'expired' })).toBe(1);
    await pipeline.handle(servedBatch(served('r-never', 'u2', ['x'], T0 + 2 * MINUTE)));
    expect((await store.buckets()).find((b) => b.surface === 'recommend')).toEqual(bucket(T0, { impressions: 1, itemsShown: 1 }));

    // One already older than the window never waits.
    await pipeline.handle(actionBatch(action('old', 'u1', 'b', Action.CLICK, T0 + 2 * MINUTE, 'r-gone'), action('old-p', 'u1', 'q', Action.PURCHASE, T0, '', { price: 1 })));
    expect(await store.pendingCounts()).toEqual({ recId: 0, viewThrough: 0 });
    expect(await metric('recmesh_feedback_actions_total', { outcome: 'expired' })).toBe(3);
  });

  it('does not count actions outside the window: too long after the list, or before it by more than the clock skew', async () => {
    await pipeline.handle(servedBatch(served('r1', 'u1', ['a', 'b'], T0)));
    await pipeline.handle(actionBatch(
      action('late', 'u1', 'a', Action.CLICK, T0 + WINDOW + 1, 'r1'),
      action('early', 'u1', 'b', Action.CLICK, T0 - 2 * MINUTE, 'r1'),
      action('skewed', 'u1', 'b', Action.ADD_TO_CART, T0 - MINUTE / 2, 'r1'),
    ));
    expect(await store.buckets()).toEqual([bucket(T0, { impressions: 1, itemsShown: 2, addToCarts: 1 })]);
    expect(await metric('recmesh_feedback_actions_total', { outcome: 'outside_window' })).toBe(2);
  });

  it('attributes purchases without rec_id of an item shown to the same user within the window as view-through, whichever arrives first', async () => {
    await pipeline.handle(servedBatch(
      served('r1', 'u1', ['a', 'b'], T0, { model: 'm1' }),
      served('r2', 'u1', ['b', 'c'], T0 + 2 * MINUTE, { model: 'm2' }),
    ));
    await pipeline.handle(actionBatch(
      action('p1', 'u1', 'b', Action.PURCHASE, T0 + 4 * MINUTE, '', { price: 20, quantity: 1 }), // shown by r1 and r2: the most recent list
      action('p2', 'u1', 'a', Action.PURCHASE, T0 + 4 * MINUTE, '', { price: 3 }),
      action('p3', 'u9', 'a', Action.PURCHASE, T0 + 4 * MINUTE, '', { price: 3 }), // another shopper: waits for a list, none comes
      action('p4', 'u1', 'a', Action.PURCHASE, T0 + WINDOW + 10 * MINUTE, '', { price: 3 }), // after the window of r1
      action('p5', 'u3', 'd', Action.PURCHASE, T0 + 6 * MINUTE, '', { price: 9.99, quantity: 3 }), // before its list arrives
    ));
    await pipeline.handle(servedBatch(served('r3', 'u3', ['d'], T0 + 5 * MINUTE, { surface: 'bundle', model: 'm1' })));
    expect(await store.buckets()).toEqual([
      bucket(T0, { impressions: 1, itemsShown: 2, viewThroughPurchases: 1, viewThroughRevenueMinor: 300 }),
      bucket(T0, { impressions: 1, itemsShown: 2, viewThroughPurchases: 1, viewThroughRevenueMinor: 2000 }, { modelVersion: 'm2' }),
      bucket(T0 + BUCKET, { impressions: 1, itemsShown: 1, viewThroughPurchases: 1, viewThroughRevenueMinor: 2997 }, { surface: 'bundle' }),
    ]);
    expect((await store.attributedActions()).filter((a) => a.viewThrough === 1).map((a) => [a.eventId, a.recId, a.position])).toEqual([
      ['p1', 'r2', 1], ['p2', 'r1', 1], ['p5', 'r3', 1],
    ]);
    expect(await store.pendingCounts()).toEqual({ recId: 0, viewThrough: 2 });
    expect(await metric('recmesh_feedback_view_through_purchases_total')).toBe(3);
    expect(await metric('recmesh_feedback_attributed_actions_total')).toBe(0);
  });

  it('counts clicks on items outside the top 20% by popularity as long-tail clicks', async () => {
    // Ten items with popularity: the head is the two most popular now.
    await ds.getRepository(ItemPopularityEntity).insert(
      Array.from({ length: 10 }, (_, i) => ({ itemId: `i${i}`, score: 100 - i * 10, referenceTsMs: now, interactions: 10 - i, leafCategory: '' })),
    );
    await pipeline.handle(servedBatch(served('r1', 'u1', ['i0', 'i1', 'i2', 'new'], T0)));
    await pipeline.handle(actionBatch(
      action('c0', 'u1', 'i0', Action.CLICK, T0 + MINUTE, 'r1'),
      action('c1', 'u1', 'i1', Action.CLICK, T0 + MINUTE, 'r1'),
      action('c2', 'u1', 'i2', Action.CLICK, T0 + MINUTE, 'r1'),
      action('c3', 'u1', 'new', Action.CLICK, T0 + MINUTE, 'r1'),
      action('k2', 'u1', 'i2', Action.ADD_TO_CART, T0 + MINUTE, 'r1'),
    ));
    const [row] = await store.buckets();
    expect(row).toMatchObject({ clicks: 4, tailClicks: 2, addToCarts: 1, positionSum: 1 + 2 + 3 + 4 });
    expect((await store.attributedActions()).map((a) => [a.eventId, a.tail])).toEqual([['c0', 0], ['c1', 0], ['c2', 1], ['c3', 1], ['k2', 1]]);
    expect(await metric('recmesh_feedback_tail_clicks_total')).toBe(2);
  });

  it('skips records it cannot use, counts and logs them, and goes on with the rest of the batch', async () => {
    const bad = (recId: string, items: Array<{ itemId: string; position: number }>, surface = 'recommend') =>
      Buffer.from(toBinary(RecommendationServedSchema, create(RecommendationServedSchema, { recId, userId: 'u1', surface, modelVersion: 'm1', tsMs: BigInt(T0), items })));
    await pipeline.handle(servedBatch(
      Buffer.from([0xff, 0xff, 0xff]),
      bad('', [{ itemId: 'a', position: 1 }]),
      bad('r-dup', [{ itemId: 'a', position: 1 }, { itemId: 'b', position: 1 }]),
      bad('r-zero', [{ itemId: 'a', position: 0 }]),
      bad('r-where', [{ itemId: 'a', position: 1 }], 'homepage'),
      served('r-ok', 'u1', ['a'], T0),
    ));
    await pipeline.handle(actionBatch(Buffer.from('not protobuf at all'), action('', 'u1', 'a', Action.CLICK, T0, 'r-ok'), action('ok', 'u1', 'a', Action.CLICK, T0, 'r-ok')));
    expect(await store.buckets()).toEqual([bucket(T0, { impressions: 1, itemsShown: 1, clicks: 1, positionSum: 1 })]);
    expect(await metric('recmesh_feedback_served_lists_total', { outcome: 'invalid' })).toBe(5);
    expect(await metric('recmesh_feedback_actions_total', { outcome: 'invalid' })).toBe(2);
  });

  it('finds an action and its list that two concurrent transactions stored without seeing each other', async () => {
    // What a race leaves behind: the list stored, its click still pending.
    await ds.transaction(async (m) => {
      await store.insertServedLists(m, [{ recId: 'r1', userId: 'u1', surface: 'recommend', modelVersion: 'm1', arm: 'A', experiment: '', tsMs: T0, items: [{ itemId: 'a', position: 1 }] }], now);
      await store.insertPending(m, [{ eventId: 'e1', recId: 'r1', userId: 'u1', itemId: 'a', action: Action.CLICK, quantity: 1, revenueMinor: 0, tsMs: T0 + MINUTE, receivedAtMs: now }]);
      await store.insertPending(m, [{ eventId: 'p1', recId: '', userId: 'u1', itemId: 'a', action: Action.PURCHASE, quantity: 1, revenueMinor: 250, tsMs: T0 + MINUTE, receivedAtMs: now }]);
    });
    await pipeline.sweep();
    expect(await store.buckets()).toEqual([bucket(T0, { clicks: 1, positionSum: 1, viewThroughPurchases: 1, viewThroughRevenueMinor: 250 })]);
    expect(await store.pendingCounts()).toEqual({ recId: 0, viewThrough: 0 });
    await pipeline.sweep();
    expect((await store.buckets())[0].clicks).toBe(1);
  });
});

describe('FeedbackWorker on the in-memory bus', () => {
  it('consumes both topics, sweeps while running and stops cleanly', async () => {
    const ds = await openStore({ kind: 'embedded' });
    const bus = new InMemoryMessageBus();
    const store = new FeedbackStore(ds);
    const registry = new Registry();
    const metrics = new FeedbackMetrics(registry);
    const now = Date.now();
    const pipeline = new FeedbackPipeline({
      store, metrics, topics, window: { windowMs: WINDOW, skewMs: MINUTE }, bucketMs: BUCKET, cache: new ServedListCache(10), currency: '',
      head: new PopularityHead(async () => new Set(), 60_000),
    });
    const worker = new FeedbackWorker({ bus, pipeline, metrics, topics, groupId: 'feedback', maxBatchMessages: 100, sweepMs: 20 });
    try {
      await bus.ensureTopics(topicDeclarations(topics));
      await worker.start();
      await bus.publish(topics.clickstreamNormalized, [{ key: 'u1', value: action('e1', 'u1', 'a', Action.CLICK, now, 'r1') }]);
      await bus.publish(topics.recommendationsServed, [{ key: 'u1', value: served('r1', 'u1', ['a'], now - 1000) }]);
      const deadline = Date.now() + 5000;
      while ((await store.buckets()).reduce((s, b) => s + b.clicks, 0) < 1 || bus.isDrained() === false) {
        if (Date.now() > deadline) throw new Error('not attributed in time');
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 60));
      expect((await registry.getSingleMetric('recmesh_feedback_pending_actions')!.get()).values.map((v) => v.value)).toEqual([0, 0]);
    } finally {
      await worker.stop();
      await bus.close();
      await ds.destroy();
    }
    expect(worker.running).toBe(false);
  });
});
