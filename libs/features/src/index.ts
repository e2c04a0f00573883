export * from './feature-rules';
export * from './feature-metrics';
export * from './feature-pipeline';
export * from './feature-builder.config';
export * from './feature-builder.module';
