export * from './infrastructure';
export * from './service-runtime.module';
export * from './run-service';
export * from './consumer-service';
