export * from './micro-batcher';
export * from './catalog-index';
export * from './reason-text';
export * from './recommendation-scorer';
export * from './serving-model';
