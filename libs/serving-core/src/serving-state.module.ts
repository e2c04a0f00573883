import { DynamicModule, Global, Injectable, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ReadinessProbe } from '@recmesh/observability';
import { ServingState } from './serving-state';

@Injectable()
class ServingStateLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly state: ServingState,
    readiness: ReadinessProbe,
  ) {
    readiness.register({ name: 'serving', check: () => state.isReady() });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.state.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.state.stop();
  }
}

/** One ServingState for the process, started after boot and stopped at shutdown; scorer and bundler inject it. */
@Global()
@Module({})
export class ServingStateModule {
  static forRoot(state: ServingState): DynamicModule {
    return {
      module: ServingStateModule,
      providers: [{ provide: ServingState, useValue: state }, ServingStateLifecycle],
      exports: [ServingState],
    };
  }
}
