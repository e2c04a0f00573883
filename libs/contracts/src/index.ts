export * from './generated/recmesh/events/v1/clickstream_pb';
export * from './generated/recmesh/events/v1/recommendation_served_pb';
export * from './generated/recmesh/catalog/v1/catalog_pb';
export * from './generated/recmesh/ingest/v1/dead_letter_pb';
export * from './generated/recmesh/gateway/v1/gateway_pb';
export * from './topics';
export * from './actions';
export * from './generated/recmesh/features/v1/feature_updated_pb';
