import { DynamicModule, Logger, Module } from '@nestjs/common';
import { resolveTopicNames, topicDeclarations } from '@recmesh/contracts';
import { ConsumerWorker } from '@recmesh/messaging';
import { SentenceEncoder } from '@recmesh/model-runtime';
import { createMetricsRegistry, ObservabilityModule, ReadinessProbe } from '@recmesh/observability';
import { CatalogStore, FeatureStore } from '@recmesh/persistence';
import { Config } from '@recmesh/service-config';
import { consumerServiceProviders, Infrastructure } from '@recmesh/service-runtime';
import { Registry } from 'prom-client';
import { FeatureBuilderConfigSchema } from './feature-builder.config';
import { FeatureMetrics } from './feature-metrics';
import { FeaturePipeline, ItemTextEmbedder } from './feature-pipeline';
import { UserSequenceCache } from './user-sequence-cache';

export type FeatureBuilderConfig = Config<typeof FeatureBuilderConfigSchema>;

/** Wraps the ONNX sentence encoder; a bad or missing encoder is a start-up error, not a silent fallback. */
export async function loadTextEmbedder(dir: string): Promise<ItemTextEmbedder | undefined> {
  const logger = new Logger('FeatureBuilder');
  if (!dir) {
    logger.warn('FEATURE_TEXT_ENCODER_DIR is empty: items get no text embeddings (cold items fall back to category and brand)');
    return undefined;
  }
  const encoder = await SentenceEncoder.loadFromDir(dir);
  logger.log(`text embeddings from ${dir} (${encoder.dim} dims)`);
  return {
    name: 'all-MiniLM-L6-v2',
    embed: async (texts) => {
      const flat = await encoder.encode(texts);
      return texts.map((_, i) => flat.slice(i * encoder.dim, (i + 1) * encoder.dim));
    },
  };
}

@Module({})
export class FeatureBuilderModule {
  static register(
    config: FeatureBuilderConfig,
    infra: Infrastructure,
    options: { owned: boolean; textEmbedder?: ItemTextEmbedder; registry?: Registry; readiness?: ReadinessProbe },
  ): DynamicModule {
    const registry = options.registry ?? createMetricsRegistry('feature-builder');
    const readiness = options.readiness ?? new ReadinessProbe();
    const topics = resolveTopicNames(config.RECMESH_TOPIC_PREFIX);
    const cache = new UserSequenceCache(config.FEATURE_CACHE_MAX_USERS);
    const pipeline = new FeaturePipeline({
      bus: infra.bus,
      features: new FeatureStore(infra.dataSource),
      catalog: new CatalogStore(infra.dataSource),
      cache,
      metrics: new FeatureMetrics(registry),
      topics,
      sequenceLength: config.FEATURE_SEQUENCE_LENGTH,
      popularityHalfLifeMs: config.FEATURE_POPULARITY_HALF_LIFE_HOURS * 3_600_000,
      textEmbedder: options.textEmbedder,
    });
    const worker = new ConsumerWorker({
      name: 'FeatureWorker',
      bus: infra.bus,
      groupId: config.FEATURE_GROUP_ID,
      declare: topicDeclarations(topics),
      consume: [topics.clickstreamNormalized, topics.catalogNormalized],
      handler: (batch) => pipeline.handle(batch),
      maxBatchMessages: config.FEATURE_MAX_BATCH,
      partitionsConcurrently: config.FEATURE_PARTITION_CONCURRENCY,
    });
    return {
      module: FeatureBuilderModule,
      imports: options.registry ? [] : [ObservabilityModule.forRoot(registry, readiness)],
      providers: [...consumerServiceProviders({ name: 'feature-builder', workers: [worker], infra, owned: options.owned }, readiness), { provide: UserSequenceCache, useValue: cache }],
      exports: [UserSequenceCache],
    };
  }
}
