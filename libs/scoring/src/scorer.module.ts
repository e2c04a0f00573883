import { DynamicModule, Logger, Module } from '@nestjs/common';
import { FeatureStore } from '@recmesh/persistence';
import { METRICS_REGISTRY } from '@recmesh/observability';
import { Config } from '@recmesh/service-config';
import { Registry } from 'prom-client';
import { internalGrpcProviders, ServingState } from '@recmesh/serving-core';
import { Infrastructure, INFRASTRUCTURE } from '@recmesh/service-runtime';
import { retrievalSettings, sharedModelRetrieval } from '@recmesh/vector-retrieval';
import { RecommendationScorer } from './recommendation-scorer';
import { scorerGrpcServer } from './scorer-grpc';
import { ScorerConfigSchema } from './scorer.config';

export type ScorerConfig = Config<typeof ScorerConfigSchema>;

export function buildScorer(config: ScorerConfig, state: ServingState, infra: Pick<Infrastructure, 'dataSource'>, metrics?: Registry): RecommendationScorer {
  return new RecommendationScorer({
    model: () => state.model.current(),
    versions: state.versions,
    features: new FeatureStore(infra.dataSource),
    catalog: state.catalog,
    batching: { maxBatchSize: config.SCORER_MAX_BATCH, maxWaitMs: config.SCORER_MAX_WAIT_MS, maxQueue: config.SCORER_MAX_QUEUE },
    popularityHalfLifeMs: config.POPULARITY_HALF_LIFE_HOURS * 3_600_000,
    ready: () => state.isReady(),
    retrieval: sharedModelRetrieval(retrievalSettings(config), new Logger('Retrieval')),
    metrics,
  });
}

/**
 * The scorer: RecommendationScorer over the process's ServingState (from
 * ServingStateModule) and runtime (ServiceRuntimeModule). With `grpcPort` it
 * also serves recmesh.scorer.v1.ScorerService for a separate gateway.
 */
@Module({})
export class ScorerModule {
  static register(config: ScorerConfig, options: { grpcPort?: number } = {}): DynamicModule {
    return {
      module: ScorerModule,
      providers: [
        { provide: RecommendationScorer, useFactory: (state: ServingState, infra: Infrastructure, metrics: Registry) => buildScorer(config, state, infra, metrics), inject: [ServingState, INFRASTRUCTURE, METRICS_REGISTRY] },
        ...(options.grpcPort !== undefined ? internalGrpcProviders(options.grpcPort, RecommendationScorer, scorerGrpcServer) : []),
      ],
      exports: [RecommendationScorer],
    };
  }
}
