import { BeforeApplicationShutdown, DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { IngestMetrics } from './ingest-metrics';
import { IngestPipeline } from './ingest-pipeline';
import { IngestWorker } from './ingest-worker';
import { createMetricsRegistry, ObservabilityModule, ReadinessProbe } from '@recmesh/observability';
import { CatalogStore, ClickstreamEventStore } from '@recmesh/persistence';
import { resolveTopicNames } from '@recmesh/contracts';
import { Config } from '@recmesh/service-config';
import { Infrastructure } from '@recmesh/service-runtime';
import { Registry } from 'prom-client';
import { IngestConfigSchema } from './ingest.config';

export type IngestConfig = Config<typeof IngestConfigSchema>;

const INFRASTRUCTURE = Symbol('INFRASTRUCTURE');

/** Starts the worker after boot and drains it before the process exits. */
@Injectable()
class IngestLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    private readonly worker: IngestWorker,
    private readonly readiness: ReadinessProbe,
    @Inject(INFRASTRUCTURE) private readonly infrastructure: { infra: Infrastructure; owned: boolean },
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.worker.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.readiness.markShuttingDown();
    await this.worker.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.infrastructure.owned) await this.infrastructure.infra.close();
  }
}

@Module({})
export class IngestModule {
  /**
   * @param owned whether this module closes the infrastructure on shutdown
   *              (false when several services share it in one process)
   */
  static register(config: IngestConfig, infra: Infrastructure, options: { owned: boolean; registry?: Registry; readiness?: ReadinessProbe }): DynamicModule {
    const registry = options.registry ?? createMetricsRegistry('ingest');
    const readiness = options.readiness ?? new ReadinessProbe();
    const metrics = new IngestMetrics(registry);
    infra.bus.onLag((lag) => metrics.recordLag(lag));
    const topics = resolveTopicNames(config.RECMESH_TOPIC_PREFIX);
    const pipeline = new IngestPipeline({
      bus: infra.bus,
      topics,
      clickstreamStore: new ClickstreamEventStore(infra.dataSource),
      catalogStore: new CatalogStore(infra.dataSource),
      metrics,
      limits: {
        maxMessageBytes: config.INGEST_MAX_MESSAGE_BYTES,
        maxEventAgeMs: config.INGEST_MAX_EVENT_AGE_HOURS * 3_600_000,
        maxFutureSkewMs: config.INGEST_MAX_FUTURE_SKEW_SECONDS * 1000,
      },
    });
    const worker = new IngestWorker({ bus: infra.bus, pipeline, groupId: config.INGEST_GROUP_ID, maxBatchMessages: config.INGEST_MAX_BATCH,
      partitionsConcurrently: config.INGEST_PARTITION_CONCURRENCY,
      topics,
    });
    readiness.register({ name: 'store', check: async () => (await infra.dataSource.query('SELECT 1')).length === 1 });
    readiness.register({ name: 'bus', check: () => infra.bus.isReady() && worker.running });
    return {
      module: IngestModule,
      imports: options.registry ? [] : [ObservabilityModule.forRoot(registry, readiness)],
      providers: [
        { provide: IngestWorker, useValue: worker },
        { provide: ReadinessProbe, useValue: readiness },
        { provide: INFRASTRUCTURE, useValue: { infra, owned: options.owned } },
        IngestLifecycle,
      ],
    };
  }
}
