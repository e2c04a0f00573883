export * from './experiment-definition';
export * from './experiment-results';
export * from './experiment-admin';
export * from './experiments-grpc';
export * from './experiments.module';
export * from './experiment-metrics';
