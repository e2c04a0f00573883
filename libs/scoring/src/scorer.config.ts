import { CommonConfigSchema, ConfigSchema } from '@recmesh/service-config';

export const ScorerConfigSchema = {
  ...CommonConfigSchema,
  SCORER_PORT: { type: 'int', default: 3003, min: 1, max: 65535, description: 'HTTP port for /health, /ready, /metrics' },
  SCORER_GRPC_PORT: { type: 'int', default: 50052, min: 1, max: 65535, description: 'internal gRPC port (recmesh.scorer.v1.ScorerService)' },
  SCORER_MODEL_DIR: { type: 'string', default: 'tools/model/demo-model', description: 'model served when the registry is empty' },
  SCORER_TEXT_ENCODER_DIR: { type: 'string', default: '', description: 'text encoder for cold items; empty = category and brand only' },
  SCORER_PREFER_CUDA: { type: 'bool', default: true, description: 'ask onnxruntime for the CUDA execution provider first' },
  SCORER_MAX_BATCH: { type: 'int', default: 64, min: 1, max: 4096, description: 'requests scored in one matrix product' },
  SCORER_MAX_WAIT_MS: { type: 'int', default: 2, min: 0, max: 1000, description: 'longest a request waits for its batch to fill' },
  SCORER_MAX_QUEUE: { type: 'int', default: 2048, min: 1, description: 'requests allowed to wait; beyond it RESOURCE_EXHAUSTED' },
  SCORER_MODEL_POLL_SECONDS: { type: 'int', default: 30, min: 1, description: 'how often the model registry is checked for a new version' },
  SCORER_CATALOG_REFRESH_SECONDS: { type: 'int', default: 30, min: 1, description: 'how often the in-memory catalog is reloaded' },
  SCORER_POPULARITY_HALF_LIFE_HOURS: { type: 'int', default: 72, min: 1, description: 'must match feature-builder' },
} as const satisfies ConfigSchema;
