import { CommonConfigSchema, ConfigSchema, PseudonymConfigSchema } from '@recmesh/service-config';
import { AdmissionConfigSchema } from './admission/admission.config';

export const GatewayConfigSchema = {
  ...CommonConfigSchema,
  ...PseudonymConfigSchema,
  GATEWAY_GRPC_PORT: { type: 'int', default: 50051, min: 0, max: 65535, description: 'gRPC port of RecommendationService, reflection and grpc.health.v1 (0 = any free port)' },
  GATEWAY_HTTP_PORT: { type: 'int', default: 3006, min: 1, max: 65535, description: 'HTTP port for /health, /ready, /metrics' },
  GATEWAY_MAX_IN_FLIGHT: { type: 'int', default: 256, min: 1, max: 100_000, description: 'hard ceiling on calls served at once (the adaptive limit stays under it); more wait or are refused with RESOURCE_EXHAUSTED' },
  GATEWAY_MAX_STREAMS_PER_CONNECTION: {
    type: 'int', default: 256, min: 0, max: 1_000_000,
    description: "HTTP/2 concurrent streams the gateway allows one client connection (0 = no cap); calls past it wait in the client's channel at no cost to the gateway instead of arriving to be refused",
  },
  ...AdmissionConfigSchema,
  GATEWAY_EXPERIMENTS_REFRESH_SECONDS: { type: 'int', default: 10, min: 1, max: 3600, description: 'how often the running A/B experiments are read (a new one starts assigning within this)' },
  GATEWAY_DEFAULT_DEADLINE_MS: { type: 'int', default: 2000, min: 1, max: 60_000, description: 'deadline for calls whose client set none (or a later one)' },
} as const satisfies ConfigSchema;
