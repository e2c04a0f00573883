/**
 * Every Kafka topic recmesh uses, in one place. Names carry a schema version:
 * a breaking change to a payload means a new topic, never a silent change.
 */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Fully-qualified protobuf message carried as the record value. */
  readonly valueType: string;
  /** What the record key is. */
  readonly key: string;
  readonly description: string;
}

export const Topics = {
  clickstreamRaw: {
    name: 'recmesh.clickstream.raw.v1',
    partitions: 6,
    valueType: 'recmesh.events.v1.ClickstreamEvent (JSON or binary protobuf)',
    key: 'any (shops usually use user_id)',
    description: 'Clickstream as shops publish it; validated by ingest.',
  },
  catalogRaw: {
    name: 'recmesh.catalog.raw.v1',
    partitions: 6,
    valueType: 'recmesh.catalog.v1.CatalogEvent (JSON or binary protobuf)',
    key: 'any (shops usually use item_id)',
    description: 'Catalog upserts and deletions as shops publish them.',
  },
  clickstreamNormalized: {
    name: 'recmesh.clickstream.normalized.v1',
    partitions: 6,
    valueType: 'recmesh.events.v1.ClickstreamEvent (binary protobuf)',
    key: 'user_id',
    description: 'Accepted, deduplicated clickstream; per-user order preserved.',
  },
  catalogNormalized: {
    name: 'recmesh.catalog.normalized.v1',
    partitions: 6,
    valueType: 'recmesh.catalog.v1.CatalogEvent (binary protobuf)',
    key: 'item_id',
    description: 'Accepted, deduplicated catalog changes; per-item order preserved.',
  },
  ingestDeadLetter: {
    name: 'recmesh.ingest.deadletter.v1',
    partitions: 1,
    valueType: 'original bytes, reason in headers (see DeadLetterHeaders)',
    key: 'original key',
    description: 'Every rejected raw message with a machine-readable reason.',
  },
  featuresUpdated: {
    name: 'recmesh.features.updated.v1',
    partitions: 6,
    valueType: 'recmesh.features.v1.FeatureUpdated (binary protobuf)',
    key: 'user_id or item_id',
    description: 'A user or item whose features feature-builder just committed.',
  },
  recommendationsServed: {
    name: 'recmesh.recommendations.served.v1',
    partitions: 6,
    valueType: 'recmesh.events.v1.RecommendationServed (binary protobuf)',
    key: 'user_id',
    description: 'Every list the gateway serves, for the feedback loop.',
  },
  erasureCommands: {
    name: 'recmesh.commands.erasure.v1',
    partitions: 1,
    valueType: 'recmesh.privacy.v1.UserErasureCommand (binary protobuf)',
    key: 'user_id',
    description: 'Requests to erase a user: from the admin API (EraseUser) or published by the shop.',
  },
} as const satisfies Record<string, TopicSpec>;

export type TopicKey = keyof typeof Topics;

export const AllTopics: readonly TopicSpec[] = Object.values(Topics);

/** Header names on dead-letter records (value = the original bytes). */
export const DeadLetterHeaders = {
  reason: 'recmesh.dlq.reason',
  detail: 'recmesh.dlq.detail',
  sourceTopic: 'recmesh.dlq.source.topic',
  sourcePartition: 'recmesh.dlq.source.partition',
  sourceOffset: 'recmesh.dlq.source.offset',
  rejectedAtMs: 'recmesh.dlq.rejected_at_ms',
} as const;

/** Content-type header producers may set; without it ingest sniffs the body. */
export const ContentTypeHeader = 'content-type';
export const ContentTypes = {
  json: 'application/json',
  protobuf: 'application/x-protobuf',
} as const;

export type TopicNames = { readonly [K in TopicKey]: string };

/**
 * Topic names with an optional prefix, so several recmesh deployments (or
 * test runs) can share one Kafka cluster without seeing each other's data.
 */
export function resolveTopicNames(prefix = ''): TopicNames {
  return Object.fromEntries(Object.entries(Topics).map(([key, spec]) => [key, `${prefix}${spec.name}`])) as TopicNames;
}

export function topicDeclarations(names: TopicNames): Array<{ name: string; partitions: number }> {
  return (Object.keys(Topics) as TopicKey[]).map((key) => ({ name: names[key], partitions: Topics[key].partitions }));
}
