import { DynamicModule, Module } from '@nestjs/common';
import { resolveTopicNames } from '@recmesh/contracts';
import { CatalogStore, ClickstreamEventStore } from '@recmesh/persistence';
import { Config, pseudonymizer } from '@recmesh/service-config';
import { consumerServiceProviders } from '@recmesh/service-runtime';
import { IngestConfigSchema } from './ingest.config';
import { IngestMetrics } from './ingest-metrics';
import { IngestPipeline } from './ingest-pipeline';
import { IngestWorker } from './ingest-worker';

export type IngestConfig = Config<typeof IngestConfigSchema>;

@Module({})
export class IngestModule {
  /** Runs on the process's ServiceRuntimeModule (infrastructure, metrics, readiness). */
  static register(config: IngestConfig): DynamicModule {
    return {
      module: IngestModule,
      providers: consumerServiceProviders('ingest', (infra, registry) => {
        const metrics = new IngestMetrics(registry);
        infra.bus.onLag((lag) => metrics.recordLag(lag));
        const topics = resolveTopicNames(config.RECMESH_TOPIC_PREFIX);
        const pipeline = new IngestPipeline({
          bus: infra.bus,
          topics,
          clickstreamStore: new ClickstreamEventStore(infra.dataSource),
          catalogStore: new CatalogStore(infra.dataSource),
          metrics,
          pseudonymize: config.RECMESH_PSEUDONYM_KEY ? pseudonymizer(config.RECMESH_PSEUDONYM_KEY) : undefined,
          limits: {
            maxMessageBytes: config.INGEST_MAX_MESSAGE_BYTES,
            maxEventAgeMs: config.INGEST_MAX_EVENT_AGE_HOURS * 3_600_000,
            maxFutureSkewMs: config.INGEST_MAX_FUTURE_SKEW_SECONDS * 1000,
          },
        });
        const worker = new IngestWorker({
          bus: infra.bus,
          pipeline,
          groupId: config.INGEST_GROUP_ID,
          maxBatchMessages: config.INGEST_MAX_BATCH,
          partitionsConcurrently: config.INGEST_PARTITION_CONCURRENCY,
          topics,
        });
        return [worker];
      }),
    };
  }
}
