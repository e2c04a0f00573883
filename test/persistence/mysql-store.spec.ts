import { CatalogStore, ClickstreamEventRow, ClickstreamEventStore, ExperimentStore, ModelRegistry, openStore, TrainingRunStore, UnitOutcomeRow } from '@recmesh/persistence';
import { DataSource } from 'typeorm';
import { infraEnv } from '../support/infra-env';
import { ScratchDatabase } from '../support/scratch-database';

const event = (id: string): ClickstreamEventRow => ({
  eventId: id, userId: 'u1', sessionId: 's1', itemId: 'i1', action: 5, quantity: 2, price: 19.99, currency: 'EUR',
  rating: null, tsMs: 1_763_800_000_123, recId: 'rec-1', context: { page: 'cart', extra: { ab: 'b' } }, ingestedAtMs: 1_763_800_000_200,
});

describe('persistence on MariaDB (kafka-mysql profile)', () => {
  let db: ScratchDatabase;
  let stores: DataSource[] = [];
  beforeEach(async () => {
    db = await ScratchDatabase.create(infraEnv().mysqlUrl);
    stores = [];
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.destroy()));
    await db.drop();
  });

  it('applies the migrations once even when several instances start together, and never synchronizes', async () => {
    stores = await Promise.all([1, 2, 3].map(() => openStore({ kind: 'mysql', url: db.url })));
    const migrations = await db.query<{ name: string }>('SELECT name FROM migrations');
    expect(migrations.map((m) => m.name)).toEqual(['InitialSchema1763800000000', 'FeatureTables1763900000000', 'ModelVersions1764000000000', 'ModelLifecycle1765000000000', 'TrainingRuns1765100000000', 'FeedbackTables1765200000000', 'Experiments1765300000000', 'ServedListLatency1765400000000', 'UserIndexes1765500000000', 'RetentionIndexes1765600000000', 'IngestSourcePosition1765700000000']);
    const tables = (await db.query<Record<string, string>>('SHOW TABLES')).map((r) => Object.values(r)[0]).sort();
    expect(tables).toEqual([
      'catalog_events', 'catalog_items', 'clickstream_events', 'experiment_units', 'experiments', 'feature_applied_events', 'feedback_applied_events', 'feedback_attributed_actions',
      'feedback_metric_buckets', 'feedback_pending_actions', 'feedback_served_items', 'feedback_served_lists', 'item_pair_counts',
      'item_popularity', 'item_text_embeddings', 'migrations', 'model_decisions', 'model_versions', 'trainer_lock', 'training_runs', 'user_sequences',
    ]);
    expect(stores[0].options.synchronize).toBe(false);
  });

  it('has migrations that match the entities exactly (nothing left for synchronize to do)', async () => {
    const ds = await openStore({ kind: 'mysql', url: db.url });
    stores.push(ds);
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('stores events once with their values intact, forwards redelivered records again and skips resent copies', async () => {
    const ds = await openStore({ kind: 'mysql', url: db.url });
    stores.push(ds);
    const store = new ClickstreamEventStore(ds);
    const at = (id: string, sourceOffset: number) => ({ ...event(id), sourcePartition: 3, sourceOffset });
    const first = await store.storeBatch([at('e1', 100), at('e2', 101)]);
    expect([...first.inserted].sort()).toEqual(['e1', 'e2']);
    // e1 resent by the shop (another offset), e2 redelivered (same offset), e3 new.
    const again = await store.storeBatch([at('e1', 200), at('e2', 101), at('e3', 201)]);
    expect(again.inserted).toEqual(['e3']);
    expect(again.duplicates).toEqual(['e1']);
    expect([...again.toForward].sort()).toEqual(['e2', 'e3']);
    const [row] = await db.query<Record<string, unknown>>("SELECT * FROM clickstream_events WHERE event_id = 'e1'");
    expect(row).toMatchObject({ user_id: 'u1', action: 5, quantity: 2, price: 19.99, currency: 'EUR', ts_ms: 1_763_800_000_123, rec_id: 'rec-1', source_partition: 3, source_offset: 100 });
    expect(JSON.parse(row['context'] as string)).toEqual({ page: 'cart', extra: { ab: 'b' } });
  });

  it('keeps the newest catalog state and handles unicode titles', async () => {
    const ds = await openStore({ kind: 'mysql', url: db.url });
    stores.push(ds);
    const catalog = new CatalogStore(ds);
    const item = (title: string) => ({ itemId: 'p1', title, description: 'd', categoryPath: ['Électronique', '手机'], brand: 'Ñova', price: 1, currency: 'EUR', inStock: 1, attributes: {} });
    const log = (eventId: string, tsMs: number) => ({ eventId, itemId: 'p1', kind: 'upsert', tsMs, payload: '{}', ingestedAtMs: tsMs });
    await catalog.applyBatch([log('c2', 2000), log('c1', 1000)], [
      { kind: 'upsert', eventId: 'c2', tsMs: 2000, item: item('Téléphone 📱 nouveau') },
      { kind: 'upsert', eventId: 'c1', tsMs: 1000, item: item('ancien') },
    ]);
    const stored = await catalog.findItem('p1');
    expect(stored).toMatchObject({ title: 'Téléphone 📱 nouveau', leafCategory: '手机', brand: 'Ñova' });
  });

  it('keeps the model registry: promotions, pins, rollbacks and decisions', async () => {
    const ds = await openStore({ kind: 'mysql', url: db.url });
    stores.push(ds);
    const registry = new ModelRegistry(ds);
    await registry.register('demo', '/m/demo', 1_000);
    await registry.registerCandidate('shop-1', '/m/shop-1', { ndcgAt10: 0.05 });
    expect((await registry.current())?.modelVersion).toBe('demo');
    await registry.promote('shop-1', 'gate passed');
    expect((await registry.current())?.modelVersion).toBe('shop-1');
    await registry.pin('demo', 'hold');
    expect((await registry.current())?.modelVersion).toBe('demo');
    await registry.unpin('release');
    expect((await registry.rollback('bad conversion')).modelVersion).toBe('demo');
    expect((await registry.decisions()).map((d) => d.decision)).toEqual(['rolled_back', 'unpinned', 'pinned', 'promoted', 'registered', 'promoted']);
    expect((await registry.get('shop-1'))?.details).toEqual({ ndcgAt10: 0.05 });
  });

  it('lets one retraining run at a time hold the lock, even when two trainers race, and hands over the lock of a dead run', async () => {
    const [a, b] = await Promise.all([openStore({ kind: 'mysql', url: db.url }), openStore({ kind: 'mysql', url: db.url })]);
    stores.push(a, b);
    const results = await Promise.all([new TrainingRunStore(a).begin('run-a', 'schedule', 1_000, 60_000), new TrainingRunStore(b).begin('run-b', 'admin', 1_000, 60_000)]);
    expect(results.filter((r) => r.started)).toHaveLength(1);
    const winner = results[0].started ? 'run-a' : 'run-b';
    const runs = new TrainingRunStore(a);
    expect(await runs.heartbeat(winner, 30_000)).toBe(true);
    expect(await runs.begin('run-c', 'admin', 60_000, 60_000)).toEqual({ started: false, heldBy: winner });
    expect(await runs.begin('run-d', 'admin', 200_000, 60_000)).toEqual({ started: true, abandoned: winner });
    expect(await runs.heartbeat(winner, 200_001)).toBe(false);
    await runs.finish('run-d', 'promoted', 'gate passed', 210_000, { candidateVersion: 'shop-d', details: { ndcgAt10: 0.05 } });
    expect(await runs.lastTrained()).toMatchObject({ runId: 'run-d', status: 'promoted', candidateVersion: 'shop-d', details: { ndcgAt10: 0.05 } });
    expect((await runs.recent()).map((r) => [r.runId, r.status])).toEqual([['run-d', 'promoted'], [winner, 'abandoned']]);
  });

  it('keeps experiments one per surface and adds unit outcomes atomically, with the events each unit had before the start', async () => {
    const ds = await openStore({ kind: 'mysql', url: db.url });
    stores.push(ds);
    const experiments = new ExperimentStore(ds);
    await experiments.create('exp', ['recommend'], { name: 'exp' }, 1_763_800_000_000);
    // Two instances creating on the same surface at once: exactly one wins.
    const raced = await Promise.allSettled([experiments.create('a', ['similar_items'], { surfaces: ['similar_items'] }, 1), experiments.create('b', ['similar_items'], { surfaces: ['similar_items'] }, 1)]);
    expect(raced.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    await new ClickstreamEventStore(ds).storeBatch([event('before-1'), { ...event('after-1'), tsMs: 1_763_800_000_999 }].map((e) => ({ ...e, userId: 'u1', tsMs: e.eventId === 'before-1' ? 1_763_700_000_000 : e.tsMs })));
    await Promise.all([1, 2, 3].map((n) => ds.transaction((m) => experiments.addOutcomes(m, [{ experiment: 'exp', unitId: 'u1', arm: 'b', tsMs: 1_763_800_000_500 - n, impressions: 1, purchases: n === 1 ? 1 : 0, revenue: n === 1 ? 12.5 : 0 }]))));
    const rows: UnitOutcomeRow[] = [];
    for await (const page of experiments.units('exp', 1_763_800_000_000)) rows.push(...page);
    expect(rows).toEqual([{ unitId: 'u1', arm: 'b', impressions: 3, clicks: 0, addToCarts: 0, purchases: 1, revenue: 12.5, eventsBefore: 1 }]);
    expect((await db.query<{ first_served_ms: number | string }>('SELECT first_served_ms FROM experiment_units')).map((r) => Number(r.first_served_ms))).toEqual([1_763_800_000_497]);
  });

  it('refuses an unreachable database with a clear error instead of hanging', async () => {
    await expect(openStore({ kind: 'mysql', url: 'mysql://recmesh:wrong@127.0.0.1:1/recmesh' })).rejects.toThrow(/cannot open mysql:\/\/\*\*\*@127\.0\.0\.1:1\/recmesh/);
  });
});
