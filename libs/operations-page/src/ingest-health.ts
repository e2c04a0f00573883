import type { OpsIngest, OpsLag, OpsRejection, OpsStream } from './ops-api.types';

/** What prom-client's Registry.getMetricsAsJSON() gives for each metric (only what is read here). */
export interface MetricSnapshot {
  readonly name: string;
  readonly values: ReadonlyArray<{ readonly value: number; readonly labels: Readonly<Record<string, string | number | undefined>> }>;
}

/** The metrics read (IngestMetrics, FeedbackMetrics); the spec registers the real classes, so a renamed metric fails it. */
export const INGEST_METRIC_NAMES = {
  accepted: 'recmesh_ingest_events_accepted_total',
  rejected: 'recmesh_ingest_events_rejected_total',
  duplicates: 'recmesh_ingest_events_duplicate_total',
  batchFailures: 'recmesh_ingest_batch_failures_total',
  consumerLag: 'recmesh_consumer_lag_messages',
  feedbackPending: 'recmesh_feedback_pending_actions',
} as const;

const label = (labels: Readonly<Record<string, string | number | undefined>>, name: string): string => String(labels[name] ?? '');

/**
 * Ingest health from the process's Prometheus registry: accepted, duplicate,
 * rejected (by reason) and failed batches per stream since the process
 * started, consumer lag per group and topic (summed over partitions), and the
 * feedback service's waiting actions.
 */
export function ingestHealth(metrics: readonly MetricSnapshot[]): OpsIngest {
  const byName = new Map(metrics.map((m) => [m.name, m.values]));
  const values = (name: string) => byName.get(name) ?? [];
  const streams = new Map<string, { stream: string; accepted: number; duplicates: number; rejected: number; batch_failures: number }>();
  const stream = (name: string) => {
    const found = streams.get(name) ?? { stream: name, accepted: 0, duplicates: 0, rejected: 0, batch_failures: 0 };
    streams.set(name, found);
    return found;
  };
  // Both streams are listed from the start: "0 accepted" is an answer too.
  stream('clickstream');
  stream('catalog');
  for (const v of values(INGEST_METRIC_NAMES.accepted)) stream(label(v.labels, 'stream')).accepted += v.value;
  for (const v of values(INGEST_METRIC_NAMES.duplicates)) stream(label(v.labels, 'stream')).duplicates += v.value;
  for (const v of values(INGEST_METRIC_NAMES.batchFailures)) stream(label(v.labels, 'stream')).batch_failures += v.value;
  const rejections: OpsRejection[] = [];
  for (const v of values(INGEST_METRIC_NAMES.rejected)) {
    stream(label(v.labels, 'stream')).rejected += v.value;
    if (v.value > 0) rejections.push({ stream: label(v.labels, 'stream'), reason: label(v.labels, 'reason'), count: v.value });
  }
  rejections.sort((a, b) => b.count - a.count || a.stream.localeCompare(b.stream) || a.reason.localeCompare(b.reason));

  const lag = new Map<string, OpsLag>();
  for (const v of values(INGEST_METRIC_NAMES.consumerLag)) {
    const key = JSON.stringify([label(v.labels, 'group'), label(v.labels, 'topic')]);
    const found = lag.get(key) ?? { group: label(v.labels, 'group'), topic: label(v.labels, 'topic'), lag: 0, partitions: 0 };
    lag.set(key, { ...found, lag: found.lag + v.value, partitions: found.partitions + 1 });
  }

  const pending = byName.get(INGEST_METRIC_NAMES.feedbackPending);
  const pendingOf = (kind: string) => pending?.find((v) => label(v.labels, 'kind') === kind)?.value ?? 0;
  return {
    streams: [...streams.values()] satisfies OpsStream[],
    rejections,
    lag: [...lag.values()].sort((a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic)),
    feedback_pending: pending ? { rec_id: pendingOf('rec_id'), view_through: pendingOf('view_through') } : null,
  };
}
