export * from './infrastructure';
export * from './run-service';
export * from './skeleton-service';
