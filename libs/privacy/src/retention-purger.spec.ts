import { ClickstreamEventEntity, FeedbackStore, openStore, RetainedTables, RetentionStore, UserSequenceEntity } from '@recmesh/persistence';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { PrivacyMetrics } from './privacy-metrics';
import { RetentionPurger } from './retention-purger';

const DAY = 86_400_000;
const NOW = 1_765_000_000_000;

describe('RetentionPurger on the embedded store', () => {
  let ds: DataSource;
  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
  });
  afterEach(() => ds.destroy());

  async function seed(tag: string, tsMs: number): Promise<void> {
    await ds.getRepository(ClickstreamEventEntity).insert({
      eventId: `ev-${tag}`, userId: `u-${tag}`, sessionId: '', itemId: 'sku-1', action: 1, quantity: 1, price: null, currency: '', rating: null, tsMs, recId: '', context: null, ingestedAtMs: tsMs,
    });
    await ds.getRepository(UserSequenceEntity).insert({ userId: `u-${tag}`, steps: [] as never, updatedTsMs: tsMs });
    const feedback = new FeedbackStore(ds);
    await feedback.transaction(async (m) => {
      await feedback.claimEvents(m, [`ev-${tag}`], tsMs);
      await feedback.insertServedLists(m, [{ recId: `rec-${tag}`, userId: `u-${tag}`, surface: 'recommend', modelVersion: 'm1', arm: '', experiment: '', tsMs, items: [{ itemId: 'sku-2', position: 1 }, { itemId: 'sku-3', position: 2 }] }], tsMs);
    });
  }

  const count = async (table: string) => Number((await ds.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);

  it('purges what is older than the retention period from every retained table, keeps the rest, and counts it', async () => {
    await seed('old-1', NOW - 40 * DAY);
    await seed('old-2', NOW - 31 * DAY);
    await seed('new', NOW - 29 * DAY);
    const registry = new Registry();
    const purger = new RetentionPurger(new RetentionStore(ds), new PrivacyMetrics(registry), 30, () => NOW);
    const purged = await purger.purgeOnce();
    expect(Object.fromEntries(purged)).toEqual({
      clickstream_events: 2, user_sequences: 2, feedback_served_items: 4, feedback_served_lists: 2,
      feedback_attributed_actions: 0, feedback_pending_actions: 0, feature_applied_events: 0, feedback_applied_events: 2,
    });
    for (const table of ['clickstream_events', 'user_sequences', 'feedback_served_lists', 'feedback_applied_events']) expect(await count(table)).toBe(1);
    expect(await count('feedback_served_items')).toBe(2);
    expect(await registry.getSingleMetricAsString('recmesh_privacy_purged_rows_total')).toContain('recmesh_privacy_purged_rows_total{table="feedback_served_items"} 4');
    // Again: nothing left to purge.
    expect([...(await purger.purgeOnce()).values()].every((n) => n === 0)).toBe(true);
  });

  it('purges a backlog in bounded batches, the rest at later passes', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => ({
      eventId: `ev-${i}`, userId: 'u', sessionId: '', itemId: 'sku-1', action: 1, quantity: 1, price: null, currency: '', rating: null, tsMs: NOW - 90 * DAY, recId: '', context: null, ingestedAtMs: 0,
    }));
    for (let i = 0; i < rows.length; i += 500) await ds.getRepository(ClickstreamEventEntity).insert(rows.slice(i, i + 500));
    const store = new RetentionStore(ds);
    expect((await store.purgeOlderThan(NOW - 30 * DAY, 2)).find((c) => c.table === 'clickstream_events')?.rows).toBe(2000);
    expect(await count('clickstream_events')).toBe(500);
    expect((await store.purgeOlderThan(NOW - 30 * DAY, 2)).find((c) => c.table === 'clickstream_events')?.rows).toBe(500);
  });

  it('counts a failed pass and goes on at the next one', async () => {
    const registry = new Registry();
    let fail = true;
    const store = { purgeOlderThan: async () => (fail ? Promise.reject(new Error('deadlock')) : RetainedTables.map((t) => ({ table: t.table, rows: 0 }))) };
    const purger = new RetentionPurger(store, new PrivacyMetrics(registry), 30, () => NOW);
    purger.start(10);
    await new Promise((r) => setTimeout(r, 30));
    fail = false;
    await new Promise((r) => setTimeout(r, 40));
    await purger.stop();
    expect(await registry.getSingleMetricAsString('recmesh_privacy_purge_failures_total')).toMatch(/recmesh_privacy_purge_failures_total [1-9]/);
    expect(await registry.getSingleMetricAsString('recmesh_privacy_last_purge_timestamp_seconds')).toContain(`${NOW / 1000}`);
  });
});
