import { CommonConfigSchema, ConfigSchema, KafkaConsumerConfigSchema, PseudonymConfigSchema } from '@recmesh/service-config';

export const IngestConfigSchema = {
  ...CommonConfigSchema,
  ...PseudonymConfigSchema,
  ...KafkaConsumerConfigSchema,
  INGEST_PORT: { type: 'int', default: 3001, min: 1, max: 65535, description: 'HTTP port for /health, /ready, /metrics' },
  INGEST_GROUP_ID: { type: 'string', default: 'recmesh-ingest', description: 'consumer group shared by all ingest instances' },
  INGEST_MAX_BATCH: { type: 'int', default: 1000, min: 1, max: 10_000, description: 'messages per store transaction' },
  INGEST_PARTITION_CONCURRENCY: { type: 'int', default: 6, min: 1, max: 64, description: 'partitions handled in parallel per instance (order kept within each)' },
  INGEST_MAX_MESSAGE_BYTES: { type: 'int', default: 65_536, min: 1024, max: 10_485_760, description: 'larger raw messages are dead-lettered' },
  INGEST_MAX_EVENT_AGE_HOURS: { type: 'int', default: 720, min: 1, description: 'older events are dead-lettered' },
  INGEST_MAX_FUTURE_SKEW_SECONDS: { type: 'int', default: 300, min: 0, description: 'events further in the future are dead-lettered' },
} as const satisfies ConfigSchema;
