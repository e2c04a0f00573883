export * from './privacy.config';
export * from './privacy-metrics';
export * from './user-eraser';
export * from './erasure-command-worker';
export * from './privacy-grpc';
export * from './privacy.module';
export * from './retention-purger';
