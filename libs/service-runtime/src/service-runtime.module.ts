import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ObservabilityModule, ReadinessCheck, ReadinessProbe } from '@recmesh/observability';
import { Registry } from 'prom-client';
import { ClientErrorFilter } from './client-error.filter';
import { BusInfrastructure, Infrastructure } from './infrastructure';

/** Injection token of the process's {@link Infrastructure}. */
export const INFRASTRUCTURE = Symbol('INFRASTRUCTURE');

/** What one process runs on, however many services it hosts. */
export interface ServiceRuntime {
  /** With a store (dataSource), /ready also checks the store. */
  readonly infra: Infrastructure | BusInfrastructure;
  readonly registry: Registry;
  /** Pass one only to share it with modules that still take it as an option; otherwise a new one. */
  readonly readiness?: ReadinessProbe;
  /**
   * The service answers without the bus (gateway, scorer, bundler; the trainer
   * never uses it): a broker outage must not take it out of rotation, so /ready
   * does not check the bus. Services whose work is the bus (ingest,
   * feature-builder, feedback) are not ready without it.
   */
  readonly readyWithoutBus?: boolean;
}

/** Ready while the bus can carry messages; not ready names why (e.g. "broker unreachable: ..."). */
export function busReadinessCheck(infra: BusInfrastructure): ReadinessCheck {
  return {
    name: 'bus',
    check: async () => {
      const health = await infra.bus.health();
      if (!health.ok) throw new Error(health.reason);
      return true;
    },
  };
}

/** Ready while the SQL store answers. */
export function storeReadinessCheck(infra: Infrastructure): ReadinessCheck {
  return { name: 'store', check: async () => (await infra.dataSource.query('SELECT 1')).length === 1 };
}

/**
 * Closes the infrastructure once the services are done with it. Nest runs every
 * beforeApplicationShutdown (where services drain) before any
 * onApplicationShutdown, and runs a global module's onApplicationShutdown after
 * the other modules' ones.
 */
@Injectable()
class InfrastructureLifecycle implements OnApplicationShutdown {
  constructor(@Inject(INFRASTRUCTURE) private readonly infra: BusInfrastructure) {}

  async onApplicationShutdown(): Promise<void> {
    await this.infra.close();
  }
}

/**
 * Provided once per process: the infrastructure (INFRASTRUCTURE), the metrics
 * registry (METRICS_REGISTRY) and the ReadinessProbe, /health /ready /metrics,
 * the bus and store readiness checks, bad HTTP requests logged as rate-limited
 * warnings (ClientErrorFilter), and closing the infrastructure on shutdown.
 */
@Global()
@Module({})
export class ServiceRuntimeModule {
  static forRoot(runtime: ServiceRuntime): DynamicModule {
    const readiness = runtime.readiness ?? new ReadinessProbe();
    if (!runtime.readyWithoutBus) readiness.register(busReadinessCheck(runtime.infra));
    if ('dataSource' in runtime.infra) readiness.register(storeReadinessCheck(runtime.infra));
    return {
      module: ServiceRuntimeModule,
      imports: [ObservabilityModule.forRoot(runtime.registry, readiness)],
      providers: [{ provide: INFRASTRUCTURE, useValue: runtime.infra }, InfrastructureLifecycle, { provide: APP_FILTER, useClass: ClientErrorFilter }],
      exports: [INFRASTRUCTURE, ObservabilityModule],
    };
  }
}

@Module({})
class ServiceRootModule {}

/** The root module of a one-service app: the runtime, then the service modules. */
export function serviceRootModule(runtime: ServiceRuntime, ...services: DynamicModule[]): DynamicModule {
  return { module: ServiceRootModule, imports: [ServiceRuntimeModule.forRoot(runtime), ...services] };
}
