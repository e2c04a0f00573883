import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap, Provider } from '@nestjs/common';
import { ConsumerWorker } from '@recmesh/messaging';
import { METRICS_REGISTRY, ReadinessProbe } from '@recmesh/observability';
import { Registry } from 'prom-client';
import { Infrastructure } from './infrastructure';
import { INFRASTRUCTURE } from './service-runtime.module';

const CONSUMER_SERVICE = Symbol('CONSUMER_SERVICE');

interface ConsumerService {
  /** Names the readiness check of these workers, e.g. "ingest". */
  readonly name: string;
  readonly workers: readonly ConsumerWorker[];
  readonly infra: Infrastructure;
}

/** Builds a service's workers on the process's infrastructure, counting into its registry. */
export type ConsumerWorkersFactory = (infra: Infrastructure, registry: Registry) => readonly ConsumerWorker[];

/** Starts the workers after boot; on SIGTERM turns not-ready and drains them (ServiceRuntimeModule closes the infrastructure after). */
@Injectable()
class ConsumerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(CONSUMER_SERVICE) private readonly service: ConsumerService,
    private readonly readiness: ReadinessProbe,
  ) {
    readiness.register({ name: `consumer:${service.name}`, check: () => service.infra.bus.isReady() && service.workers.every((w) => w.running) });
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const worker of this.service.workers) await worker.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.readiness.markShuttingDown();
    await Promise.all(this.service.workers.map((w) => w.stop()));
  }
}

/**
 * Providers that run consumer workers for the life of the Nest application,
 * with a readiness check; needs ServiceRuntimeModule in the application.
 */
export function consumerServiceProviders(name: string, workers: ConsumerWorkersFactory): Provider[] {
  return [
    {
      provide: CONSUMER_SERVICE,
      useFactory: (infra: Infrastructure, registry: Registry): ConsumerService => ({ name, workers: workers(infra, registry), infra }),
      inject: [INFRASTRUCTURE, METRICS_REGISTRY],
    },
    ConsumerLifecycle,
  ];
}
