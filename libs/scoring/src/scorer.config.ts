import { CommonConfigSchema, ConfigSchema, PopularityConfigSchema } from '@recmesh/service-config';
import { ServingModelConfigSchema } from '@recmesh/serving-core';
import { VectorRetrievalConfigSchema } from '@recmesh/vector-retrieval';

export const ScorerConfigSchema = {
  ...CommonConfigSchema,
  ...ServingModelConfigSchema,
  ...PopularityConfigSchema,
  ...VectorRetrievalConfigSchema,
  SCORER_PORT: { type: 'int', default: 3003, min: 1, max: 65535, description: 'HTTP port for /health, /ready, /metrics' },
  SCORER_GRPC_PORT: { type: 'int', default: 50052, min: 1, max: 65535, description: 'internal gRPC port (recmesh.scorer.v1.ScorerService)' },
  SCORER_MAX_BATCH: { type: 'int', default: 64, min: 1, max: 4096, description: 'requests scored in one matrix product' },
  SCORER_MAX_WAIT_MS: { type: 'int', default: 2, min: 0, max: 1000, description: 'longest a request waits for its batch to fill' },
  SCORER_MAX_QUEUE: { type: 'int', default: 2048, min: 1, description: 'requests allowed to wait; beyond it RESOURCE_EXHAUSTED' },
} as const satisfies ConfigSchema;
