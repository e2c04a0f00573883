import { ConfigSchema } from '@recmesh/service-config';

export const PrivacyConfigSchema = {
  PRIVACY_GRPC_PORT: { type: 'int', default: 50055, min: 0, max: 65535, description: 'gRPC port of recmesh.privacy.v1.PrivacyService (the admin API that erases users; 0 = any free port)' },
  PRIVACY_GROUP_ID: { type: 'string', default: 'recmesh-privacy', description: 'consumer group that carries out erasure commands (recmesh.commands.erasure.v1) on the store' },
} as const satisfies ConfigSchema;
