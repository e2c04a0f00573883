export * from './storefront.config';
export * from './storefront.module';
export * from './shop-service';
export * from './shop-api.types';
export * from './category-art';
