export * from './infrastructure';
export * from './run-service';
export * from './skeleton-service';
export * from './consumer-service';
