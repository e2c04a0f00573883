import { ConfigSchema, PseudonymConfigSchema } from '@recmesh/service-config';

export const PrivacyConfigSchema = {
  ...PseudonymConfigSchema,
  PRIVACY_GRPC_PORT: { type: 'int', default: 50055, min: 0, max: 65535, description: 'gRPC port of recmesh.privacy.v1.PrivacyService (the admin API that erases users; 0 = any free port)' },
  PRIVACY_GROUP_ID: { type: 'string', default: 'recmesh-privacy', description: 'consumer group that carries out erasure commands (recmesh.commands.erasure.v1) on the store' },
  PRIVACY_RETENTION_DAYS: { type: 'int', default: 0, min: 0, max: 36_500, description: 'events, sequences of inactive users, served lists and feedback rows older than this many days are purged; 0 = kept until erased' },
  PRIVACY_RETENTION_CHECK_MINUTES: { type: 'int', default: 60, min: 1, max: 1440, description: 'how often the retention purge runs (in bounded batches)' },
} as const satisfies ConfigSchema;
