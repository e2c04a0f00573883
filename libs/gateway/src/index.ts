export * from './recommendation-backend';
export * from './gateway.config';
export * from './gateway-metrics';
export * from './request-validation';
export * from './served-publisher';
export * from './gateway-grpc-server';
export * from './gateway.module';
export * from './scorer-backends';
