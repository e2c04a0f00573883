import { DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { resolveTopicNames } from '@recmesh/contracts';
import { METRICS_REGISTRY } from '@recmesh/observability';
import { RetentionStore, UserErasureStore } from '@recmesh/persistence';
import { Config, pseudonymizer } from '@recmesh/service-config';
import { internalGrpcProviders } from '@recmesh/serving-core';
import { consumerServiceProviders, Infrastructure, INFRASTRUCTURE } from '@recmesh/service-runtime';
import { Registry } from 'prom-client';
import { ErasureCommandWorker } from './erasure-command-worker';
import { PrivacyConfigSchema } from './privacy.config';
import { privacyGrpcServer } from './privacy-grpc';
import { PrivacyMetrics } from './privacy-metrics';
import { RetentionPurger } from './retention-purger';
import { UserEraser } from './user-eraser';

export type PrivacyConfig = Config<typeof PrivacyConfigSchema> & { readonly RECMESH_TOPIC_PREFIX: string };

/** Metrics are registered once per process: the admin API and the command worker share them. */
const metricsOf = new WeakMap<Registry, PrivacyMetrics>();
const privacyMetrics = (registry: Registry) => metricsOf.get(registry) ?? metricsOf.set(registry, new PrivacyMetrics(registry)).get(registry)!;

const RETENTION = Symbol('RETENTION');

/** Runs the retention purge for the life of the app (when PRIVACY_RETENTION_DAYS is set). */
@Injectable()
class RetentionLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(RETENTION) private readonly retention: { purger: RetentionPurger; intervalMs: number } | null) {}

  onApplicationBootstrap(): void {
    this.retention?.purger.start(this.retention.intervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.retention?.purger.stop();
  }
}

/**
 * User erasure and retention over the process's store and bus: the admin gRPC API on
 * PRIVACY_GRPC_PORT, the worker that carries out erasure commands, and the
 * retention purge (the feedback service, or the standalone process).
 */
@Module({})
export class PrivacyModule {
  static register(config: PrivacyConfig): DynamicModule {
    const topics = resolveTopicNames(config.RECMESH_TOPIC_PREFIX);
    const eraserOn = (infra: Infrastructure, registry: Registry) =>
      new UserEraser({
        bus: infra.bus, topics, store: new UserErasureStore(infra.dataSource), metrics: privacyMetrics(registry),
        pseudonymize: config.RECMESH_PSEUDONYM_KEY ? pseudonymizer(config.RECMESH_PSEUDONYM_KEY) : undefined,
      });
    return {
      module: PrivacyModule,
      providers: [
        { provide: UserEraser, useFactory: eraserOn, inject: [INFRASTRUCTURE, METRICS_REGISTRY] },
        ...internalGrpcProviders(config.PRIVACY_GRPC_PORT, UserEraser, privacyGrpcServer),
        ...consumerServiceProviders('privacy', (infra, registry) => [
          new ErasureCommandWorker({ bus: infra.bus, topics, groupId: config.PRIVACY_GROUP_ID, eraser: eraserOn(infra, registry), metrics: privacyMetrics(registry) }),
        ]),
        {
          provide: RETENTION,
          useFactory: (infra: Infrastructure, registry: Registry) =>
            config.PRIVACY_RETENTION_DAYS > 0
              ? { purger: new RetentionPurger(new RetentionStore(infra.dataSource), privacyMetrics(registry), config.PRIVACY_RETENTION_DAYS), intervalMs: config.PRIVACY_RETENTION_CHECK_MINUTES * 60_000 }
              : null,
          inject: [INFRASTRUCTURE, METRICS_REGISTRY],
        },
        RetentionLifecycle,
      ],
      exports: [UserEraser],
    };
  }
}
