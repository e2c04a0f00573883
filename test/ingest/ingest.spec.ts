import { produce } from '../support/kafka-io';
import { IngestScenario, rawClickstream } from './ingest-scenario';

describe('ingest against a real Kafka broker and MariaDB', () => {
  let scenario: IngestScenario;
  afterEach(async () => {
    if (scenario) await scenario.close();
  });

  it('(a) 50,000 events with 2% malformed and 2% duplicates: exactly the valid unique events are stored and forwarded; every malformed one is dead-lettered with its reason', async () => {
    scenario = await IngestScenario.create();
    const mix = rawClickstream(50_000, 101);
    expect(mix).toHaveLength(50_000);
    const ingest = await scenario.startIngest();
    await produce(scenario.kafka, scenario.topics.clickstreamRaw, mix);
    await scenario.verify(mix, { exactlyOnceForward: true });
    await scenario.verifyPerUserOrder(mix);
    expect(await ingest.metric('recmesh_ingest_events_accepted_total')).toBe(mix.filter((r) => r.kind === 'valid').length);
    expect(await ingest.metric('recmesh_ingest_events_rejected_total')).toBe(mix.filter((r) => r.kind === 'malformed').length);
    expect(await ingest.metric('recmesh_ingest_events_duplicate_total')).toBe(mix.filter((r) => r.kind === 'duplicate').length);
    // Graceful: Nest drains the consumer on SIGTERM and re-raises it; no SIGKILL was needed.
    expect(await ingest.stop()).toEqual({ code: null, signal: 'SIGTERM' });
    expect(ingest.logs).toContain('left consumer group');
  });

  it('(b) SIGKILL mid-stream and restart: no valid event lost, none stored twice', async () => {
    scenario = await IngestScenario.create();
    const mix = rawClickstream(30_000, 202);
    const valid = mix.filter((r) => r.kind === 'valid').length;
    const first = await scenario.startIngest();
    await produce(scenario.kafka, scenario.topics.clickstreamRaw, mix);
    await scenario.waitForStored(Math.floor(valid * 0.3), 120_000);
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const storedAtKill = await scenario.storedCount();
    expect(storedAtKill).toBeLessThan(valid);
    await scenario.startIngest();
    const { forwardedDuplicates } = await scenario.verify(mix, { exactlyOnceForward: false });
    // At-least-once downstream: only batches in flight at the kill (at most one per partition) may be forwarded twice.
    expect(forwardedDuplicates).toBeLessThanOrEqual(6 * 1000);
  });

  it('(c) two instances in one consumer group over 6 partitions share the work with the same guarantees', async () => {
    scenario = await IngestScenario.create();
    const mix = rawClickstream(30_000, 303);
    const [a, b] = await Promise.all([scenario.startIngest(), scenario.startIngest()]);
    await produce(scenario.kafka, scenario.topics.clickstreamRaw, mix);
    await scenario.verify(mix, { exactlyOnceForward: true });
    const acceptedA = await a.metric('recmesh_ingest_events_accepted_total');
    const acceptedB = await b.metric('recmesh_ingest_events_accepted_total');
    expect(acceptedA).toBeGreaterThan(0);
    expect(acceptedB).toBeGreaterThan(0);
    expect(acceptedA + acceptedB).toBe(mix.filter((r) => r.kind === 'valid').length);
  });
});
