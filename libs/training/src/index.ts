export * from './promotion-gate';
export * from './dataset-files';
export * from './time-split';
export * from './holdout-evaluation';
