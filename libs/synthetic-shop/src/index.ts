export * from './random';
export * from './shop-taxonomy';
export * from './synthetic-shop';
export * from './raw-event-mix';
export * from './dataset-writer';
