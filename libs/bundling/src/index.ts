export * from './bundle-problem';
export * from './complementarity-sources';
export * from './co-purchase-graph';
export * from './complementarity-features';
export * from './bundle-model';
export * from './bundle-model-fit';
export * from './bundle-optimizer';
