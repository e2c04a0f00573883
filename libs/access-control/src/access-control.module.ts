import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { GRPC_CLIENT_SECURITY, GRPC_SERVER_SECURITY } from '@recmesh/contracts';
import { AccessControl } from './access-control';

const ACCESS_CONTROL = Symbol('ACCESS_CONTROL');

@Injectable()
class AccessControlLifecycle implements OnApplicationShutdown {
  constructor(@Inject(ACCESS_CONTROL) private readonly access: AccessControl) {}

  onApplicationShutdown(): void {
    this.access.close();
  }
}

/** Hands the process's gRPC server and client security to every module that serves or calls gRPC. */
@Global()
@Module({})
export class AccessControlModule {
  static forRoot(access: AccessControl): DynamicModule {
    return {
      module: AccessControlModule,
      providers: [
        { provide: ACCESS_CONTROL, useValue: access },
        { provide: GRPC_SERVER_SECURITY, useValue: access.grpcServer },
        { provide: GRPC_CLIENT_SECURITY, useValue: access.grpcClient },
        AccessControlLifecycle,
      ],
      exports: [GRPC_SERVER_SECURITY, GRPC_CLIENT_SECURITY],
    };
  }
}
