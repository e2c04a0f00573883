import { fromBinary } from '@bufbuild/protobuf';
import { ClickstreamEventSchema, resolveTopicNames, Topics } from '@recmesh/contracts';
import { InMemoryMessageBus } from '@recmesh/messaging';
import { CatalogStore, ClickstreamEventStore, openStore } from '@recmesh/persistence';
import { PSEUDONYM_PATTERN, pseudonymizer } from '@recmesh/service-config';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { IngestMetrics } from './ingest-metrics';
import { IngestPipeline } from './ingest-pipeline';
import { IngestWorker } from './ingest-worker';
import { DEFAULT_VALIDATION_LIMITS } from './validation-limits';

describe('IngestPipeline with RECMESH_PSEUDONYM_KEY', () => {
  let bus: InMemoryMessageBus;
  let ds: DataSource;
  let worker: IngestWorker;
  const pseudonymize = pseudonymizer('a-key-of-at-least-thirty-two-characters');

  beforeEach(async () => {
    bus = new InMemoryMessageBus();
    ds = await openStore({ kind: 'embedded' });
    const pipeline = new IngestPipeline({
      bus, clickstreamStore: new ClickstreamEventStore(ds), catalogStore: new CatalogStore(ds), metrics: new IngestMetrics(new Registry()), limits: DEFAULT_VALIDATION_LIMITS, pseudonymize,
    });
    worker = new IngestWorker({ bus, pipeline, groupId: 'ingest', maxBatchMessages: 200, partitionsConcurrently: 1, topics: resolveTopicNames() });
    await worker.start();
  });
  afterEach(async () => {
    await worker.stop();
    await bus.close();
    await ds.destroy();
  });

  it('stores and forwards pseudonyms, never the raw user and session ids', async () => {
    const now = Date.now();
    const raw = (eventId: string, userId: string, sessionId: string) => ({ key: userId, value: Buffer.from(JSON.stringify({ event_id: eventId, user_id: userId, session_id: sessionId, item_id: 'sku-1', action: 'view', ts_ms: now })) });
    await bus.publish(Topics.clickstreamRaw.name, [raw('e1', 'alice@example.com', 'sess-a'), raw('e2', 'alice@example.com', 'sess-b'), raw('e3', 'bob', '')]);
    for (let i = 0; i < 200 && bus.read(Topics.clickstreamNormalized.name).length < 3; i++) await new Promise((r) => setTimeout(r, 20));

    const forwarded = bus.read(Topics.clickstreamNormalized.name);
    const events = forwarded.map((m) => fromBinary(ClickstreamEventSchema, m.value!));
    expect(events.map((e) => [e.eventId, e.userId]).sort()).toEqual([['e1', pseudonymize('alice@example.com')], ['e2', pseudonymize('alice@example.com')], ['e3', pseudonymize('bob')]]);
    for (const e of events) expect(e.userId).toMatch(PSEUDONYM_PATTERN);
    expect(events.find((e) => e.eventId === 'e3')!.sessionId).toBe('');
    expect(events.find((e) => e.eventId === 'e1')!.sessionId).toBe(pseudonymize('sess-a'));
    // The partition key is the pseudonym too.
    for (const m of forwarded) expect(m.key!.toString()).toMatch(PSEUDONYM_PATTERN);
    const stored: Array<{ user_id: string; session_id: string }> = await ds.query('SELECT user_id, session_id FROM clickstream_events');
    expect(stored.map((r) => r.user_id).sort()).toEqual([pseudonymize('alice@example.com'), pseudonymize('alice@example.com'), pseudonymize('bob')].sort());
    expect(JSON.stringify(stored)).not.toMatch(/alice|bob|sess-/);
  });
});
