import { DynamicModule, Module } from '@nestjs/common';
import { resolveTopicNames } from '@recmesh/contracts';
import { ExperimentStore, FeedbackStore } from '@recmesh/persistence';
import { Config, pseudonymizer } from '@recmesh/service-config';
import { consumerServiceProviders } from '@recmesh/service-runtime';
import { FeedbackConfigSchema } from './feedback.config';
import { FeedbackMetrics } from './feedback-metrics';
import { FeedbackPipeline } from './feedback-pipeline';
import { FeedbackWorker } from './feedback-worker';
import { PopularityHead } from './popularity-head';
import { ServedListCache } from './served-list-cache';

export type FeedbackConfig = Config<typeof FeedbackConfigSchema>;

/** The top share of items by popularity that is not the long tail. */
export const HEAD_SHARE = 0.2;

@Module({})
export class FeedbackModule {
  /** Runs on the process's ServiceRuntimeModule (infrastructure, metrics, readiness). */
  static register(config: FeedbackConfig): DynamicModule {
    return {
      module: FeedbackModule,
      providers: consumerServiceProviders('feedback', (infra, registry) => {
        const topics = resolveTopicNames(config.RECMESH_TOPIC_PREFIX);
        const store = new FeedbackStore(infra.dataSource);
        const metrics = new FeedbackMetrics(registry);
        const halfLifeMs = config.POPULARITY_HALF_LIFE_HOURS * 3_600_000;
        const pipeline = new FeedbackPipeline({
          store,
          metrics,
          topics,
          window: { windowMs: config.FEEDBACK_ATTRIBUTION_WINDOW_MINUTES * 60_000, skewMs: config.FEEDBACK_CLOCK_SKEW_SECONDS * 1000 },
          bucketMs: config.FEEDBACK_BUCKET_MINUTES * 60_000,
          cache: new ServedListCache(config.FEEDBACK_CACHE_LISTS),
          head: new PopularityHead((atMs) => store.popularityHead(HEAD_SHARE, atMs, halfLifeMs), config.FEEDBACK_HEAD_REFRESH_SECONDS * 1000),
          currency: config.FEEDBACK_CURRENCY,
          experiments: new ExperimentStore(infra.dataSource),
          pseudonymize: config.RECMESH_PSEUDONYM_KEY ? pseudonymizer(config.RECMESH_PSEUDONYM_KEY) : undefined,
        });
        return [
          new FeedbackWorker({
            bus: infra.bus, pipeline, metrics, topics, groupId: config.FEEDBACK_GROUP_ID, maxBatchMessages: config.FEEDBACK_MAX_BATCH,
            sweepMs: config.FEEDBACK_SWEEP_SECONDS * 1000,
          }),
        ];
      }),
    };
  }
}
