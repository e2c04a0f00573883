import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Provider } from '@nestjs/common';
import { ConsumerWorker } from '@recmesh/messaging';
import { ReadinessProbe } from '@recmesh/observability';
import { Infrastructure } from './infrastructure';

const CONSUMER_SERVICE = Symbol('CONSUMER_SERVICE');

interface ConsumerService {
  /** Names the readiness check of these workers, e.g. "ingest". */
  readonly name: string;
  readonly workers: readonly ConsumerWorker[];
  readonly infra: Infrastructure;
  /** Whether this module closes the infrastructure (false when services share one process). */
  readonly owned: boolean;
}

/** Starts the workers after boot; on SIGTERM turns not-ready, drains them, then closes the infrastructure. */
@Injectable()
class ConsumerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(CONSUMER_SERVICE) private readonly service: ConsumerService,
    private readonly readiness: ReadinessProbe,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const worker of this.service.workers) await worker.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.readiness.markShuttingDown();
    await Promise.all(this.service.workers.map((w) => w.stop()));
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.service.owned) await this.service.infra.close();
  }
}

/** Providers that run consumer workers for the life of the Nest application, with readiness checks. */
export function consumerServiceProviders(service: ConsumerService, readiness: ReadinessProbe): Provider[] {
  readiness.register({ name: 'store', check: async () => (await service.infra.dataSource.query('SELECT 1')).length === 1 });
  readiness.register({ name: `consumer:${service.name}`, check: () => service.infra.bus.isReady() && service.workers.every((w) => w.running) });
  return [
    { provide: CONSUMER_SERVICE, useValue: service },
    { provide: ReadinessProbe, useValue: readiness },
    ConsumerLifecycle,
  ];
}
