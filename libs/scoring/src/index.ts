export * from './micro-batcher';
export * from './catalog-index';
export * from './reason-text';
export * from './recommendation-scorer';
export * from './serving-model';
export * from './scorer-grpc.controller';
export * from './scorer.config';
export * from './scorer.module';
