import { resolveTopicNames, Topics } from '@recmesh/contracts';
import { InMemoryMessageBus, OutgoingMessage } from '@recmesh/messaging';
import { CatalogStore, ClickstreamEventStore, openStore } from '@recmesh/persistence';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { IngestMetrics } from './ingest-metrics';
import { IngestPipeline } from './ingest-pipeline';
import { IngestWorker } from './ingest-worker';
import { DEFAULT_VALIDATION_LIMITS } from './validation-limits';

/** The fault probe: after a crash between storing and forwarding, "accepted" fell short of the stored rows. */
describe('ingest counters through a failure between store and forward', () => {
  let ds: DataSource;
  afterEach(() => ds?.destroy());

  it('counts every stored event as accepted exactly once when the forward failed and the batch came again', async () => {
    ds = await openStore({ kind: 'embedded' });
    const bus = new InMemoryMessageBus();
    // The broker refuses the first forward: the events are stored, not forwarded, and the batch is redelivered.
    let failures = 1;
    const publish = bus.publish.bind(bus);
    bus.publish = async (topic: string, messages: readonly OutgoingMessage[]) => {
      if (topic === Topics.clickstreamNormalized.name && failures-- > 0) throw new Error('broker gone');
      return publish(topic, messages);
    };
    const registry = new Registry();
    const pipeline = new IngestPipeline({ bus, clickstreamStore: new ClickstreamEventStore(ds), catalogStore: new CatalogStore(ds), metrics: new IngestMetrics(registry), limits: DEFAULT_VALIDATION_LIMITS });
    const worker = new IngestWorker({ bus, pipeline, groupId: 'ingest', maxBatchMessages: 100, partitionsConcurrently: 1, topics: resolveTopicNames() });
    await worker.start();
    try {
      const now = Date.now();
      await bus.publish(Topics.clickstreamRaw.name, Array.from({ length: 40 }, (_, i) => ({ key: 'u', value: Buffer.from(JSON.stringify({ event_id: `e${i}`, user_id: 'u', item_id: 'sku-1', action: 'view', ts_ms: now })) })));
      for (let i = 0; i < 200 && bus.read(Topics.clickstreamNormalized.name).length < 40; i++) await new Promise((r) => setTimeout(r, 25));
    } finally {
      await worker.stop();
      await bus.close();
    }
    expect(failures).toBeLessThan(0);
    expect(bus.read(Topics.clickstreamNormalized.name)).toHaveLength(40);
    expect(await new ClickstreamEventStore(ds).count()).toBe(40);
    const accepted = (await registry.getSingleMetric('recmesh_ingest_events_accepted_total')!.get()).values.reduce((n, v) => n + v.value, 0);
    expect(accepted).toBe(40);
  });
});
