export * from './bundler.config';
export * from './bundle-reasons';
export * from './bundle-recommender';
export * from './bundler-grpc.controller';
export * from './bundler.module';
export * from './store-complementarity-sources';
