export * from './metrics-registry';
export * from './readiness';
export * from './observability.module';
