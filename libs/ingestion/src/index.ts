export * from './rejection';
export * from './validation-limits';
export * from './raw-message-decoder';
export * from './clickstream-event-validator';
export * from './catalog-event-validator';
export * from './ingest-metrics';
export * from './ingest-pipeline';
export * from './ingest-worker';
