import { IngestMetrics } from '@recmesh/ingestion';
import { Gauge, Registry } from 'prom-client';
import { ingestHealth, INGEST_METRIC_NAMES, MetricSnapshot } from './ingest-health';

describe('ingest health from the Prometheus registry', () => {
  it("reads ingest's own counters and lag gauge (the real IngestMetrics, so a renamed metric fails here)", async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ service: 'standalone' });
    const metrics = new IngestMetrics(registry);
    metrics.accepted.inc({ stream: 'clickstream' }, 120);
    metrics.accepted.inc({ stream: 'catalog' }, 30);
    metrics.duplicates.inc({ stream: 'clickstream' }, 2);
    metrics.rejected.inc({ stream: 'clickstream', reason: 'INVALID_FIELD' }, 3);
    metrics.rejected.inc({ stream: 'clickstream', reason: 'MALFORMED_JSON' }, 5);
    metrics.rejected.inc({ stream: 'catalog', reason: 'INVALID_FIELD' }, 1);
    metrics.recordLag({ groupId: 'recmesh-ingest', topic: 'recmesh.clickstream.raw.v1', partition: 0, lag: 4 });
    metrics.recordLag({ groupId: 'recmesh-ingest', topic: 'recmesh.clickstream.raw.v1', partition: 1, lag: 6 });
    metrics.recordLag({ groupId: 'recmesh-feedback', topic: 'recmesh.clickstream.v1', partition: 0, lag: 0 });

    const health = ingestHealth((await registry.getMetricsAsJSON()) as unknown as MetricSnapshot[]);
    expect(health.streams).toEqual([
      { stream: 'clickstream', accepted: 120, duplicates: 2, rejected: 8, batch_failures: 0 },
      { stream: 'catalog', accepted: 30, duplicates: 0, rejected: 1, batch_failures: 0 },
    ]);
    expect(health.rejections).toEqual([
      { stream: 'clickstream', reason: 'MALFORMED_JSON', count: 5 },
      { stream: 'clickstream', reason: 'INVALID_FIELD', count: 3 },
      { stream: 'catalog', reason: 'INVALID_FIELD', count: 1 },
    ]);
    expect(health.lag).toEqual([
      { group: 'recmesh-feedback', topic: 'recmesh.clickstream.v1', lag: 0, partitions: 1 },
      { group: 'recmesh-ingest', topic: 'recmesh.clickstream.raw.v1', lag: 10, partitions: 2 },
    ]);
    // No feedback service in this registry.
    expect(health.feedback_pending).toBeNull();
  });

  it('lists both streams at 0 before any event, and the feedback pending actions where they are exported', async () => {
    const registry = new Registry();
    const pending = new Gauge({ name: INGEST_METRIC_NAMES.feedbackPending, help: 'x', labelNames: ['kind'], registers: [registry] });
    pending.set({ kind: 'rec_id' }, 2);
    pending.set({ kind: 'view_through' }, 7);
    const health = ingestHealth((await registry.getMetricsAsJSON()) as unknown as MetricSnapshot[]);
    expect(health.streams.map((s) => [s.stream, s.accepted])).toEqual([['clickstream', 0], ['catalog', 0]]);
    expect(health).toMatchObject({ rejections: [], lag: [], feedback_pending: { rec_id: 2, view_through: 7 } });
  });
});
