import { parseAction } from '@recmesh/contracts';
import { mergePairs, sessionPairs } from '@recmesh/features';
import { PairIncrement, SequenceStep } from '@recmesh/persistence';
import { generateSyntheticShop } from '@recmesh/synthetic-shop';
import { IngestScenario } from '../ingest/ingest-scenario';
import { produce } from '../support/kafka-io';

const SEQUENCE_LENGTH = 20;

/** What the feature tables must hold for these events, computed independently of the service. */
function expectedFeatures(events: ReturnType<typeof generateSyntheticShop>['events']) {
  const byUser = new Map<string, SequenceStep[]>();
  const pairs: PairIncrement[] = [];
  const interactions = new Map<string, number>();
  for (const e of events) {
    const steps = byUser.get(e.userId) ?? [];
    const step = { i: e.itemId, a: parseAction(e.action)!, t: e.tsMs, s: e.sessionId };
    pairs.push(...sessionPairs(steps, step));
    byUser.set(e.userId, [...steps, step]);
    interactions.set(e.itemId, (interactions.get(e.itemId) ?? 0) + 1);
  }
  return { byUser, pairs: mergePairs(pairs), interactions };
}

describe('feature-builder behind ingest on a real Kafka broker and MariaDB', () => {
  let scenario: IngestScenario;
  afterEach(async () => {
    if (scenario) await scenario.close();
  });

  it('keeps sequences, popularity and co-occurrence exact through a SIGKILL and restart (redelivery has no effect)', async () => {
    scenario = await IngestScenario.create();
    const shop = generateSyntheticShop({ seed: 9, items: 400, users: 600, startMs: Date.now() - 10 * 86_400_000 });
    const events = shop.events.slice(0, 8000);
    const featureEnv = { FEATURE_SEQUENCE_LENGTH: String(SEQUENCE_LENGTH), FEATURE_MAX_BATCH: '200', FEATURE_GROUP_ID: `features-${Date.now()}` };
    await scenario.startIngest();
    const first = await scenario.startService('feature-builder', 'FEATURE_BUILDER_PORT', featureEnv);
    await produce(
      scenario.kafka,
      scenario.topics.clickstreamRaw,
      events.map((e) => ({
        key: e.userId,
        value: Buffer.from(JSON.stringify({ event_id: e.eventId, user_id: e.userId, session_id: e.sessionId, item_id: e.itemId, action: e.action, price: e.price, rating: e.rating, ts_ms: e.tsMs })),
      })),
    );
    const applied = async () => Number((await scenario.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM feature_applied_events'))[0].n);
    const deadline = Date.now() + 120_000;
    while ((await applied()) < events.length * 0.3) {
      if (Date.now() > deadline) throw new Error('feature-builder made no progress');
      await new Promise((r) => setTimeout(r, 100));
    }
    first.kill('SIGKILL');
    await first.exited;
    await scenario.startService('feature-builder', 'FEATURE_BUILDER_PORT', featureEnv);
    while ((await applied()) < events.length) {
      if (Date.now() > deadline) throw new Error(`only ${await applied()} of ${events.length} events applied`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const expected = expectedFeatures(events);
    const sequences = await scenario.db.query<{ user_id: string; steps: string }>('SELECT user_id, steps FROM user_sequences');
    expect(sequences).toHaveLength(expected.byUser.size);
    for (const row of sequences) {
      const want = expected.byUser.get(row.user_id)!.slice(-SEQUENCE_LENGTH);
      expect(JSON.parse(row.steps)).toEqual(want);
    }
    const popularity = await scenario.db.query<{ item_id: string; interactions: number; score: number }>('SELECT item_id, interactions, score FROM item_popularity');
    expect(new Map(popularity.map((p) => [p.item_id, Number(p.interactions)]))).toEqual(expected.interactions);
    expect(popularity.every((p) => Number.isFinite(Number(p.score)) && Number(p.score) >= 0)).toBe(true);
    const pairs = await scenario.db.query<{ item_a: string; item_b: string; session_count: number; order_count: number }>(
      'SELECT item_a, item_b, session_count, order_count FROM item_pair_counts ORDER BY item_a, item_b',
    );
    const asMap = (rows: Array<{ itemA: string; itemB: string; session: number; order: number }>) => new Map(rows.map((p) => [`${p.itemA}>${p.itemB}`, `${p.session}/${p.order}`]));
    expect(asMap(pairs.map((p) => ({ itemA: p.item_a, itemB: p.item_b, session: Number(p.session_count), order: Number(p.order_count) })))).toEqual(asMap(expected.pairs));
    const purchasePairs = expected.pairs.filter((p) => p.order > 0).length;
    expect(purchasePairs).toBeGreaterThan(0);
  });
});
