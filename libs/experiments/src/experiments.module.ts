import { DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { METRICS_REGISTRY } from '@recmesh/observability';
import { Registry } from 'prom-client';
import { ExperimentStore } from '@recmesh/persistence';
import { ConfigSchema } from '@recmesh/service-config';
import { internalGrpcProviders } from '@recmesh/serving-core';
import { Infrastructure, INFRASTRUCTURE } from '@recmesh/service-runtime';
import { ExperimentAdmin } from './experiment-admin';
import { ExperimentMetrics } from './experiment-metrics';
import { experimentsGrpcServer } from './experiments-grpc';

export const ExperimentsConfigSchema = {
  EXPERIMENTS_GRPC_PORT: { type: 'int', default: 50054, min: 0, max: 65535, description: 'gRPC port of recmesh.experiments.v1.ExperimentService (the admin API; 0 = any free port)' },
  EXPERIMENTS_METRICS_SECONDS: { type: 'int', default: 60, min: 1, max: 3600, description: "how often the running experiments' results are recomputed for /metrics" },
} as const satisfies ConfigSchema;

const METRICS_INTERVAL = Symbol('EXPERIMENTS_METRICS_INTERVAL');

/** Keeps the results of running experiments on /metrics for the life of the app. */
@Injectable()
class ExperimentMetricsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly metrics: ExperimentMetrics;

  constructor(admin: ExperimentAdmin, @Inject(METRICS_REGISTRY) registry: Registry, @Inject(METRICS_INTERVAL) private readonly intervalMs: number) {
    this.metrics = new ExperimentMetrics(admin, registry);
  }

  onApplicationBootstrap(): void {
    this.metrics.start(this.intervalMs);
  }

  onApplicationShutdown(): void {
    this.metrics.stop();
  }
}

/** The experiments admin API over the process's store (the feedback service, or the standalone process). */
@Module({})
export class ExperimentsModule {
  static register(config: { EXPERIMENTS_GRPC_PORT: number; EXPERIMENTS_METRICS_SECONDS: number }): DynamicModule {
    return {
      module: ExperimentsModule,
      providers: [
        { provide: ExperimentAdmin, useFactory: (infra: Infrastructure) => new ExperimentAdmin(new ExperimentStore(infra.dataSource)), inject: [INFRASTRUCTURE] },
        ...internalGrpcProviders(config.EXPERIMENTS_GRPC_PORT, ExperimentAdmin, experimentsGrpcServer),
        { provide: METRICS_INTERVAL, useValue: config.EXPERIMENTS_METRICS_SECONDS * 1000 },
        ExperimentMetricsLifecycle,
      ],
      exports: [ExperimentAdmin],
    };
  }
}
