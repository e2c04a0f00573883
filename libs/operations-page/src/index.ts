export * from './operations.module';
export * from './ops-service';
export * from './ops-api.types';
