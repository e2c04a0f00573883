import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class FeatureMetrics {
  readonly applied: Counter;
  readonly redelivered: Counter;
  readonly skipped: Counter;
  readonly textEmbeddings: Counter;
  readonly batchSeconds: Histogram<'topic'>;
  readonly freshnessSeconds: Gauge;

  constructor(registry: Registry) {
    this.applied = new Counter({ name: 'recmesh_features_events_applied_total', help: 'Clickstream events applied to the feature tables.', registers: [registry] });
    this.redelivered = new Counter({ name: 'recmesh_features_events_redelivered_total', help: 'Events already applied (redelivery), ignored.', registers: [registry] });
    this.skipped = new Counter({ name: 'recmesh_features_records_skipped_total', help: 'Undecodable records on the normalized topics.', registers: [registry] });
    this.textEmbeddings = new Counter({ name: 'recmesh_features_text_embeddings_total', help: 'Items whose text was (re)embedded.', registers: [registry] });
    this.batchSeconds = new Histogram({
      name: 'recmesh_features_batch_seconds', help: 'Time to apply and commit one batch.', labelNames: ['topic'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry],
    });
    this.freshnessSeconds = new Gauge({ name: 'recmesh_features_freshness_seconds', help: 'Age of the newest applied event when its batch committed.', registers: [registry] });
  }
}
