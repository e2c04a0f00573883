import { Action } from '@recmesh/contracts';
import { mulberry32 } from '@recmesh/numerics';
import { IngestScenario } from '../ingest/ingest-scenario';
import { produce } from '../support/kafka-io';
import { ServiceProcess } from '../support/service-process';
import { until } from '../support/until';
import {
  ActionSpec, actionRecord, BucketRow, bucketMap, expectedBuckets, ListSpec, metricValue, seedPopularity, servedRecord, WINDOW_MS,
} from './feedback-fixtures';

const MINUTE = 60_000;
const SKEW_MS = 5 * MINUTE;

/** The feedback service alone on the scenario's topics and database: the test plays gateway and ingest. */
function feedbackEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    FEEDBACK_GROUP_ID: `feedback-${Date.now()}`, FEEDBACK_ATTRIBUTION_WINDOW_MINUTES: String(WINDOW_MS / MINUTE), FEEDBACK_BUCKET_MINUTES: '5',
    FEEDBACK_CLOCK_SKEW_SECONDS: String(SKEW_MS / 1000), FEEDBACK_SWEEP_SECONDS: '1', ...extra,
  };
}

async function buckets(scenario: IngestScenario) {
  return bucketMap(await scenario.db.query<BucketRow>('SELECT * FROM feedback_metric_buckets'));
}

async function count(scenario: IngestScenario, sql: string): Promise<number> {
  return Number((await scenario.db.query<{ n: number }>(sql))[0].n);
}

async function metricsPage(service: ServiceProcess): Promise<string> {
  return (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
}

describe('feedback: attribution and online metrics on a real Kafka broker and MariaDB', () => {
  let scenario: IngestScenario;
  afterEach(async () => {
    if (scenario) await scenario.close();
  });

  it('attributes a scripted stream exactly (late lists, duplicates, view-through, outside the window, bad records) in the bucket table and on /metrics', async () => {
    scenario = await IngestScenario.create();
    const now = Date.now();
    const T = now - 20 * MINUTE;
    // Ten items with popularity: the head (top 20%) is i1 and i4.
    const byPopularity = ['i1', 'i4', 'i2', 'i3', 'i5', 'i6', 'i7', 'i8', 'i9', 'i10'];
    await seedPopularity(scenario.db.url, byPopularity, now);
    const head = new Set(['i1', 'i4']);

    const L1: ListSpec = { recId: 'rec-1', userId: 'u1', surface: 'recommend', model: 'm1', arm: 'A', items: ['i1', 'i2', 'i3'], tsMs: T };
    const L2: ListSpec = { recId: 'rec-2', userId: 'u2', surface: 'similar_items', model: 'm1', arm: 'B', items: ['i4', 'i5'], tsMs: T + MINUTE };
    const L3: ListSpec = { recId: 'rec-3', userId: 'u3', surface: 'bundle', model: 'm2', arm: 'A', items: ['i6', 'i7'], tsMs: T + 2 * MINUTE };
    const L4: ListSpec = { recId: 'rec-4', userId: 'u4', surface: 'recommend', model: 'm1', arm: 'A', items: ['i1', 'i8'], tsMs: now - 2 * WINDOW_MS };
    const early: ActionSpec[] = [
      { eventId: 'e1', userId: 'u1', itemId: 'i2', action: Action.CLICK, tsMs: T + MINUTE, recId: 'rec-1' },
      { eventId: 'e1', userId: 'u1', itemId: 'i2', action: Action.CLICK, tsMs: T + MINUTE, recId: 'rec-1' }, // redelivered
      { eventId: 'e2', userId: 'u1', itemId: 'i2', action: Action.CLICK, tsMs: T + 2 * MINUTE, recId: 'rec-1' }, // same shown item again
      { eventId: 'e3', userId: 'u1', itemId: 'i2', action: Action.ADD_TO_CART, tsMs: T + 3 * MINUTE, recId: 'rec-1' },
      { eventId: 'e4', userId: 'u1', itemId: 'i2', action: Action.PURCHASE, tsMs: T + 4 * MINUTE, recId: 'rec-1', quantity: 2, price: 19.99 },
      { eventId: 'e5', userId: 'u1', itemId: 'i1', action: Action.CLICK, tsMs: T + MINUTE, recId: 'rec-1' },
      { eventId: 'e6', userId: 'u2', itemId: 'i5', action: Action.CLICK, tsMs: T + 2 * MINUTE, recId: 'rec-2' }, // before its list
      { eventId: 'e8', userId: 'u3', itemId: 'i7', action: Action.PURCHASE, tsMs: T + 5 * MINUTE, price: 12.5 }, // no rec_id, before its list
      { eventId: 'e9', userId: 'u4', itemId: 'i8', action: Action.CLICK, tsMs: now - MINUTE, recId: 'rec-4' }, // outside the window
      { eventId: 'e10', userId: 'u1', itemId: 'i9', action: Action.CLICK, tsMs: T + MINUTE, recId: 'rec-1' }, // not in the list
      { eventId: 'e11', userId: 'u1', itemId: 'i1', action: Action.VIEW, tsMs: T + MINUTE, recId: 'rec-1' }, // not attributed
      { eventId: 'e12', userId: 'u5', itemId: 'i3', action: Action.PURCHASE, tsMs: T + MINUTE, price: 4 }, // no list ever showed it to u5
    ];
    const late: ActionSpec[] = [{ eventId: 'e7', userId: 'u2', itemId: 'i4', action: Action.PURCHASE, tsMs: T + 6 * MINUTE, price: 50 }];
    const garbage = { key: 'x', value: Buffer.from([0xff, 0xff, 0xff]) };
    const noRecId = servedRecord({ ...L1, recId: '' });

    const feedback = await scenario.startService('feedback', 'FEEDBACK_PORT', feedbackEnv());
    await produce(scenario.kafka, scenario.topics.recommendationsServed, [servedRecord(L1), servedRecord(L4), garbage, noRecId]);
    await produce(scenario.kafka, scenario.topics.clickstreamNormalized, [...early.map(actionRecord), garbage]);
    // e6 and e8 wait for lists that have not been served yet.
    await until('e6 and e8 pending', async () => (await count(scenario, "SELECT COUNT(*) AS n FROM feedback_pending_actions WHERE event_id IN ('e6', 'e8')")) === 2 || undefined, 30_000, 100);
    await produce(scenario.kafka, scenario.topics.recommendationsServed, [servedRecord(L2), servedRecord(L3)]);
    await produce(scenario.kafka, scenario.topics.clickstreamNormalized, late.map(actionRecord));

    const lists = [L1, L2, L3, L4];
    const actions = [...early, ...late];
    const expected = expectedBuckets(lists, actions, head, SKEW_MS);
    const key = (l: ListSpec) => `${Math.floor(l.tsMs / 300_000) * 300_000}|${l.surface}|${l.model}|${l.arm}`;
    // Spelled out, so the reference itself is checked against the rules.
    expect(expected.get(key(L1))).toEqual({ impressions: 1, items_shown: 3, clicks: 2, add_to_carts: 1, purchases: 1, revenue_minor: 3998, position_sum: 3, tail_clicks: 1, view_through_purchases: 0, view_through_revenue_minor: 0 });
    expect(expected.get(key(L2))).toMatchObject({ impressions: 1, clicks: 1, position_sum: 2, tail_clicks: 1, view_through_purchases: 1, view_through_revenue_minor: 5000 });
    expect(expected.get(key(L3))).toMatchObject({ impressions: 1, clicks: 0, view_through_purchases: 1, view_through_revenue_minor: 1250 });
    expect(expected.get(key(L4))).toMatchObject({ impressions: 1, items_shown: 2, clicks: 0 });

    const started = Date.now();
    await until('buckets as expected', async () => (JSON.stringify([...(await buckets(scenario))].sort()) === JSON.stringify([...expected].sort()) ? true : undefined), 30_000, 100);
    const settledMs = Date.now() - started;
    expect(await buckets(scenario)).toEqual(expected);

    const page = await until('the pending gauge after a sweep', async () => {
      const p = await metricsPage(feedback);
      return metricValue(p, 'recmesh_feedback_pending_actions', { kind: 'view_through' }) === 1 ? p : undefined;
    }, 10_000);
    const m = (name: string, labels: Record<string, string> = {}) => metricValue(page, name, labels);
    expect(m('recmesh_feedback_impressions_total')).toBe(4);
    expect(m('recmesh_feedback_impressions_total', { surface: 'similar_items', model_version: 'm1', arm: 'B' })).toBe(1);
    expect(m('recmesh_feedback_attributed_actions_total', { action: 'click' })).toBe(3);
    expect(m('recmesh_feedback_attributed_actions_total', { action: 'add_to_cart' })).toBe(1);
    expect(m('recmesh_feedback_attributed_actions_total', { action: 'purchase' })).toBe(1);
    expect(m('recmesh_feedback_attributed_revenue_total')).toBeCloseTo(39.98, 6);
    expect(m('recmesh_feedback_view_through_purchases_total')).toBe(2);
    expect(m('recmesh_feedback_view_through_revenue_total')).toBeCloseTo(62.5, 6);
    expect(m('recmesh_feedback_tail_clicks_total')).toBe(2);
    expect(m('recmesh_feedback_attributed_position_sum', { action: 'click' })).toBe(5);
    expect(m('recmesh_feedback_attributed_position_count', { action: 'click' })).toBe(3);
    expect(m('recmesh_feedback_attribution_lag_seconds_count')).toBe(7);
    expect(m('recmesh_feedback_pending_actions', { kind: 'rec_id' })).toBe(0);
    expect(m('recmesh_feedback_served_lists_total', { outcome: 'invalid' })).toBe(2);
    expect(m('recmesh_feedback_actions_total', { outcome: 'invalid' })).toBe(1);
    expect(m('recmesh_feedback_actions_total', { outcome: 'outside_window' })).toBe(1);
    expect(m('recmesh_feedback_actions_total', { outcome: 'not_in_list' })).toBe(1);
    expect(m('recmesh_feedback_actions_total', { outcome: 'repeat' })).toBe(1);
    expect(m('recmesh_feedback_actions_total', { outcome: 'view_through' })).toBe(2);
    expect(feedback.logs).toContain('no rec_id');

    // Everything delivered again (a replay of both topics) changes nothing.
    const duplicatesBefore = m('recmesh_feedback_actions_total', { outcome: 'duplicate' });
    await produce(scenario.kafka, scenario.topics.recommendationsServed, lists.map(servedRecord));
    await produce(scenario.kafka, scenario.topics.clickstreamNormalized, actions.filter((a) => a.action !== Action.VIEW).map(actionRecord));
    await until('the replay seen', async () => {
      const p = await metricsPage(feedback);
      const replayed = actions.filter((a) => a.action !== Action.VIEW).length;
      return metricValue(p, 'recmesh_feedback_actions_total', { outcome: 'duplicate' }) === duplicatesBefore + replayed && metricValue(p, 'recmesh_feedback_served_lists_total', { outcome: 'duplicate' }) === 4 ? true : undefined;
    }, 30_000);
    expect(await buckets(scenario)).toEqual(expected);
    expect(settledMs).toBeLessThan(10_000);
  });

  it('changes no count when the feedback service is SIGKILLed mid-stream and restarted', async () => {
    scenario = await IngestScenario.create();
    const rand = mulberry32(7);
    const now = Date.now();
    const items = Array.from({ length: 100 }, (_, i) => `sku-${String(i).padStart(3, '0')}`);
    await seedPopularity(scenario.db.url, items, now);
    const head = new Set(items.slice(0, 20));
    const surfaces = ['recommend', 'similar_items', 'bundle'] as const;
    const lists: ListSpec[] = [];
    const actions: ActionSpec[] = [];
    for (let n = 0; n < 800; n++) {
      const userId = `user-${n % 160}`;
      const shown = new Set<string>();
      while (shown.size < 5) shown.add(items[Math.floor(Math.pow(rand(), 2) * items.length)]);
      lists.push({
        recId: `rec-${n}`, userId, surface: surfaces[n % 3], model: n % 4 === 0 ? 'model-b' : 'model-a', arm: n % 2 === 0 ? 'control' : 'treatment',
        items: [...shown], tsMs: now - 40 * MINUTE + n * 2000,
      });
    }
    const shownTo = new Map<string, number>();
    for (const l of lists) for (const i of l.items) shownTo.set(`${l.userId}|${i}`, (shownTo.get(`${l.userId}|${i}`) ?? 0) + 1);
    let e = 0;
    for (const l of lists) {
      for (const [p, itemId] of l.items.entries()) {
        const r = rand();
        const at = (k: number) => l.tsMs + 1000 + p * 100 + k;
        if (r < 0.35) actions.push({ eventId: `ev-${e++}`, userId: l.userId, itemId, action: Action.CLICK, tsMs: at(1), recId: l.recId });
        if (r < 0.1) actions.push({ eventId: `ev-${e++}`, userId: l.userId, itemId, action: Action.CLICK, tsMs: at(2), recId: l.recId });
        if (r < 0.15) actions.push({ eventId: `ev-${e++}`, userId: l.userId, itemId, action: Action.ADD_TO_CART, tsMs: at(3), recId: l.recId });
        if (r < 0.08) actions.push({ eventId: `ev-${e++}`, userId: l.userId, itemId, action: Action.PURCHASE, tsMs: at(4), recId: l.recId, quantity: 1 + (e % 3), price: 9.99 + (e % 50) });
        // View-through only where one list showed the item to the user, so arrival order cannot pick another list.
        if (r > 0.95 && shownTo.get(`${l.userId}|${itemId}`) === 1) actions.push({ eventId: `ev-${e++}`, userId: l.userId, itemId, action: Action.PURCHASE, tsMs: at(5), price: 3.5 });
      }
    }
    const distinctActions = actions.length;
    // Redelivery inside the stream: 5% of the actions twice.
    const stream = actions.flatMap((a) => (rand() < 0.05 ? [a, a] : [a]));
    const expected = expectedBuckets(lists, actions, head, SKEW_MS);

    const env = feedbackEnv({ FEEDBACK_MAX_BATCH: '25' });
    const first = await scenario.startService('feedback', 'FEEDBACK_PORT', env);
    // Half the lists first, then the actions (those of the other half wait), then the rest of the lists.
    await produce(scenario.kafka, scenario.topics.recommendationsServed, lists.slice(0, 400).map(servedRecord));
    await produce(scenario.kafka, scenario.topics.clickstreamNormalized, stream.map(actionRecord));
    await produce(scenario.kafka, scenario.topics.recommendationsServed, lists.slice(400).map(servedRecord));
    const applied = () => count(scenario, 'SELECT COUNT(*) AS n FROM feedback_applied_events');
    await until('30% of the actions applied', async () => ((await applied()) >= distinctActions * 0.3 ? true : undefined), 60_000, 20);
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const atKill = await applied();
    expect(atKill).toBeLessThan(distinctActions);

    // The restarted instance gets the partitions once Kafka evicts the killed member (its 30 s session timeout).
    await scenario.startService('feedback', 'FEEDBACK_PORT', env);
    await until('every action applied and every list stored, nothing pending', async () =>
      (await applied()) === distinctActions &&
      (await count(scenario, 'SELECT COUNT(*) AS n FROM feedback_served_lists')) === lists.length &&
      (await count(scenario, 'SELECT COUNT(*) AS n FROM feedback_pending_actions')) === 0 ? true : undefined, 90_000, 200);
    expect(await buckets(scenario)).toEqual(expected);
    const totals = [...expected.values()].reduce((s, r) => ({ clicks: s.clicks + r.clicks, vt: s.vt + r.view_through_purchases, purchases: s.purchases + r.purchases }), { clicks: 0, vt: 0, purchases: 0 });
    expect(totals.clicks).toBeGreaterThan(500);
    expect(totals.purchases).toBeGreaterThan(100);
    expect(totals.vt).toBeGreaterThan(10);
  });
});
