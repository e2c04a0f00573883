import * as grpc from '@grpc/grpc-js';

/**
 * How a process's gRPC servers listen: bind address, credentials (plaintext,
 * TLS or mTLS) and the interceptors every call passes (the API-key check).
 * Built once per process from its config (@recmesh/access-control) and handed
 * to every server through GRPC_SERVER_SECURITY.
 */
export interface GrpcServerSecurity {
  readonly host: string;
  readonly credentials: grpc.ServerCredentials;
  readonly interceptors: readonly grpc.ServerInterceptor[];
}

/** What internal gRPC clients (gateway to scorer, bundler, experiments) connect with: TLS credentials and the interceptor that sends their key. */
export interface GrpcClientSecurity {
  readonly credentials: grpc.ChannelCredentials;
  readonly interceptors: readonly grpc.Interceptor[];
}

/** Nest injection tokens of the process's GrpcServerSecurity and GrpcClientSecurity (optional: without them, plaintext, no checks). */
export const GRPC_SERVER_SECURITY = Symbol.for('recmesh.GrpcServerSecurity');
export const GRPC_CLIENT_SECURITY = Symbol.for('recmesh.GrpcClientSecurity');

/** Plaintext on every interface, no checks: what a server without a GrpcServerSecurity gets (unit tests, tools). */
export const PLAINTEXT_SERVER: GrpcServerSecurity = { host: '0.0.0.0', credentials: grpc.ServerCredentials.createInsecure(), interceptors: [] };

/** grpc.Server options with the security's interceptors. */
export function grpcServerOptions(security: GrpcServerSecurity | undefined, options: grpc.ServerOptions = {}): grpc.ServerOptions {
  return { ...options, interceptors: [...(security?.interceptors ?? [])] };
}
