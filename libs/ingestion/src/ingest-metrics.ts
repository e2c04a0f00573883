import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PartitionLag } from '@recmesh/messaging';

export type Stream = 'clickstream' | 'catalog';

/** Prometheus metrics of the ingest path (names follow Prometheus conventions). */
export class IngestMetrics {
  readonly accepted: Counter<'stream'>;
  readonly rejected: Counter<'stream' | 'reason'>;
  readonly duplicates: Counter<'stream'>;
  readonly batchWriteSeconds: Histogram<'stream'>;
  readonly batchFailures: Counter<'stream'>;
  readonly consumerLag: Gauge<'group' | 'topic' | 'partition'>;

  constructor(registry: Registry) {
    this.accepted = new Counter({
      name: 'recmesh_ingest_events_accepted_total',
      help: 'Valid, first-seen events durably stored and forwarded.',
      labelNames: ['stream'],
      registers: [registry],
    });
    this.rejected = new Counter({
      name: 'recmesh_ingest_events_rejected_total',
      help: 'Raw messages sent to the dead-letter topic, by reason.',
      labelNames: ['stream', 'reason'],
      registers: [registry],
    });
    this.duplicates = new Counter({
      name: 'recmesh_ingest_events_duplicate_total',
      help: 'Valid events whose event_id was already ingested (redelivery or producer retry).',
      labelNames: ['stream'],
      registers: [registry],
    });
    this.batchWriteSeconds = new Histogram({
      name: 'recmesh_ingest_batch_write_seconds',
      help: 'Time to durably write one batch to the event store.',
      labelNames: ['stream'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.batchFailures = new Counter({
      name: 'recmesh_ingest_batch_failures_total',
      help: 'Batches that failed (store or broker error) and will be redelivered.',
      labelNames: ['stream'],
      registers: [registry],
    });
    this.consumerLag = new Gauge({
      name: 'recmesh_consumer_lag_messages',
      help: 'Messages between the committed offset and the partition end.',
      labelNames: ['group', 'topic', 'partition'],
      registers: [registry],
    });
  }

  recordLag(lag: PartitionLag): void {
    this.consumerLag.set({ group: lag.groupId, topic: lag.topic, partition: String(lag.partition) }, lag.lag);
  }
}
