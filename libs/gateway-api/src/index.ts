export * from './gateway.config';
export * from './gateway-metrics';
export * from './served-publisher';
export * from './gateway-grpc-server';
export * from './gateway.module';
export * from './remote-backends';
export * from './experiment-refresher';
export * from './remote-experiments';
