import { DynamicModule, Module } from '@nestjs/common';
import { ExperimentAdmin } from '@recmesh/experiments';
import { METRICS_REGISTRY } from '@recmesh/observability';
import { ExperimentStore, FeedbackStore, ModelRegistry } from '@recmesh/persistence';
import { Infrastructure, INFRASTRUCTURE } from '@recmesh/service-runtime';
import { Registry } from 'prom-client';
import { OperationsController, OPS_SERVICE } from './operations.controller';
import { OpsService } from './ops-service';

/**
 * The operations page on the process's HTTP port (/ops, /ops/api/*), read
 * from the process's store (feedback metric buckets, experiments, model
 * registry) and its Prometheus registry (ingest counters, consumer lag):
 * the all-in-one process, where all of them live.
 */
@Module({})
export class OperationsPageModule {
  static register(config: { FEEDBACK_CURRENCY: string }): DynamicModule {
    return {
      module: OperationsPageModule,
      controllers: [OperationsController],
      providers: [
        {
          provide: OPS_SERVICE,
          useFactory: (infra: Infrastructure, metrics: Registry) =>
            new OpsService({
              feedback: new FeedbackStore(infra.dataSource),
              experiments: new ExperimentAdmin(new ExperimentStore(infra.dataSource)),
              models: new ModelRegistry(infra.dataSource),
              metrics,
              currency: config.FEEDBACK_CURRENCY,
            }),
          inject: [INFRASTRUCTURE, METRICS_REGISTRY],
        },
      ],
    };
  }
}
