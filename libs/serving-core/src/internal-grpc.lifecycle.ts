import { Abstract, BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap, Optional, Provider, Type } from '@nestjs/common';
import { GRPC_SERVER_SECURITY, GrpcServerSecurity } from '@recmesh/contracts';
import { InternalGrpcServer } from './internal-grpc-server';

const INTERNAL_GRPC = Symbol('INTERNAL_GRPC');

@Injectable()
class InternalGrpcLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(INTERNAL_GRPC) private readonly grpc: { server: InternalGrpcServer; port: number },
    @Optional() @Inject(GRPC_SERVER_SECURITY) private readonly security?: GrpcServerSecurity,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.grpc.server.start(this.grpc.port, this.security);
  }

  /** Before the served state closes: calls in flight finish first. */
  beforeApplicationShutdown(): Promise<void> {
    return this.grpc.server.stop();
  }
}

/** Serves an internal gRPC face for the life of the Nest app, built from one provider (the scorer, the bundler). */
export function internalGrpcProviders<T>(port: number, dependency: Type<T> | Abstract<T>, build: (dependency: T) => InternalGrpcServer): Provider[] {
  return [{ provide: INTERNAL_GRPC, useFactory: (dep: T) => ({ server: build(dep), port }), inject: [dependency] }, InternalGrpcLifecycle];
}
