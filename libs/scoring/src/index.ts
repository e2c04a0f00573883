export * from './micro-batcher';
export * from './recommendation-scorer';
export * from './scorer-grpc';
export * from './scorer.config';
export * from './scorer.module';
export * from './reason-attribution';
export * from './reason-audit';
