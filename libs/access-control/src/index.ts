// API keys with scopes, TLS/mTLS for gRPC, the bind policy: who may call a process's APIs.
export * from './access-control';
export * from './access-control.config';
export * from './access-control.module';
export * from './access-policy';
export * from './api-keys';
export * from './grpc-access';
export * from './grpc-tls';
export * from './http-access';
export * from './scopes';
export * from './service-access';
export * from './generated-admin-key';
