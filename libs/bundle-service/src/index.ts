export * from './bundler.config';
export * from './bundle-reasons';
export * from './bundle-recommender';
export * from './bundler-grpc';
export * from './bundler.module';
export * from './serving-bundle-model';
export * from './category-snapshot-follower';
export * from './store-complementarity-sources';
