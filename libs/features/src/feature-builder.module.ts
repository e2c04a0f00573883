import { DynamicModule, Logger, Module } from '@nestjs/common';
import { resolveTopicNames, topicDeclarations } from '@recmesh/contracts';
import { ConsumerWorker } from '@recmesh/messaging';
import { ensureTextEncoder, SentenceEncoder, textEncoderDirSetting } from '@recmesh/model-runtime';
import { CatalogStore, FeatureStore } from '@recmesh/persistence';
import { Config } from '@recmesh/service-config';
import { consumerServiceProviders } from '@recmesh/service-runtime';
import { FeatureBuilderConfigSchema } from './feature-builder.config';
import { FeatureMetrics } from './feature-metrics';
import { FeaturePipeline, ItemTextEmbedder } from './feature-pipeline';

export type FeatureBuilderConfig = Config<typeof FeatureBuilderConfigSchema>;

/**
 * Wraps the ONNX sentence encoder; a bad or missing encoder is a start-up error, not a silent fallback.
 * The default folder is built from the MiniLM wheel on first use (once; see ensureTextEncoder).
 */
export async function loadTextEmbedder(setting: string): Promise<ItemTextEmbedder | undefined> {
  const logger = new Logger('FeatureBuilder');
  const dir = textEncoderDirSetting(setting);
  if (dir === undefined) {
    logger.warn('FEATURE_TEXT_ENCODER_DIR is off: items get no text embeddings (cold items fall back to category and brand only)');
    return undefined;
  }
  const runtimeLogger = { info: (m: string) => logger.log(m), warn: (m: string) => logger.warn(m) };
  await ensureTextEncoder(dir, { logger: runtimeLogger });
  const encoder = await SentenceEncoder.loadFromDir(dir, { logger: runtimeLogger });
  logger.log(`text encoder on: text embeddings from ${dir} (${encoder.dim} dims)`);
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
  /** Runs on the process's ServiceRuntimeModule (infrastructure, metrics, readiness). */
  static register(config: FeatureBuilderConfig, options: { textEmbedder?: ItemTextEmbedder } = {}): DynamicModule {
    return {
      module: FeatureBuilderModule,
      providers: consumerServiceProviders('feature-builder', (infra, registry) => {
        const topics = resolveTopicNames(config.RECMESH_TOPIC_PREFIX);
        const pipeline = new FeaturePipeline({
          bus: infra.bus,
          features: new FeatureStore(infra.dataSource),
          catalog: new CatalogStore(infra.dataSource),
          metrics: new FeatureMetrics(registry),
          topics,
          sequenceLength: config.FEATURE_SEQUENCE_LENGTH,
          popularityHalfLifeMs: config.POPULARITY_HALF_LIFE_HOURS * 3_600_000,
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
        return [worker];
      }),
    };
  }
}
