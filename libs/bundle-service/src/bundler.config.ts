import { CommonConfigSchema, ConfigSchema, PopularityConfigSchema } from '@recmesh/service-config';
import { ServingModelConfigSchema } from '@recmesh/serving-core';
import { VectorRetrievalConfigSchema } from '@recmesh/vector-retrieval';

export const BundlerConfigSchema = {
  ...CommonConfigSchema,
  // The bundler serves the scorer's model (user vectors, item vectors), so it reads the same settings.
  ...ServingModelConfigSchema,
  // Its model-space candidates come from the same retrieval as the scorer's (HNSW past SCORER_ANN_MIN_ITEMS).
  ...VectorRetrievalConfigSchema,
  ...PopularityConfigSchema,
  BUNDLER_PORT: { type: 'int', default: 3004, min: 1, max: 65535, description: 'HTTP port for /health, /ready, /metrics' },
  BUNDLER_GRPC_PORT: { type: 'int', default: 50053, min: 1, max: 65535, description: 'internal gRPC port (recmesh.bundler.v1.BundlerService)' },
  BUNDLER_MODEL_FILE: { type: 'string', default: 'tools/model/demo-model/bundle-model.json', description: 'bundle weights for a model version whose folder has no bundle-model.json (npm run bundle:fit-demo writes the demo ones; the retraining job fits one per version)' },
  BUNDLER_CANDIDATES: { type: 'int', default: 200, min: 10, max: 2000, description: 'items the optimizer chooses from, best complements first' },
  BUNDLER_BEAM_WIDTH: { type: 'int', default: 64, min: 1, max: 4096, description: 'partial bundles kept per step of the beam search' },
  BUNDLER_MAX_CONCURRENT: { type: 'int', default: 32, min: 1, max: 10_000, description: 'bundle requests composed at once; more are refused with RESOURCE_EXHAUSTED' },
  BUNDLER_REFRESH_SECONDS: { type: 'int', default: 30, min: 1, description: 'how often the served model version is checked for its own bundle weights (and the configured file for changes)' },
} as const satisfies ConfigSchema;
