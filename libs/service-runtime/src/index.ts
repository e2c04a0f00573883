export * from './infrastructure';
export * from './embedded-data-dir';
export * from './service-runtime.module';
export * from './run-service';
export * from './consumer-service';
export * from './rate-limited-log';
export * from './client-error.filter';
export * from './page-bundle';
