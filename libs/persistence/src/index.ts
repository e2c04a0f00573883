export * from './data-source';
export * from './entities/clickstream-event.entity';
export * from './entities/catalog-event.entity';
export * from './entities/catalog-item.entity';
export * from './stores/idempotent-insert';
export * from './stores/clickstream-event-store';
export * from './stores/catalog-store';
