import { ConfigSchema } from '@recmesh/service-config';
import { FeatureBuilderConfigSchema } from '@recmesh/features';
import { IngestConfigSchema } from '@recmesh/ingestion';

export const StandaloneConfigSchema = {
  ...IngestConfigSchema,
  ...FeatureBuilderConfigSchema,
  PORT: { type: 'int', default: 3000, min: 1, max: 65535, description: 'HTTP port of the all-in-one process' },
  RECMESH_DEMO_SEED: { type: 'bool', default: true, description: 'publish the synthetic demo shop through ingest at start' },
  RECMESH_DEMO_USERS: { type: 'int', default: 300, min: 1, max: 100_000, description: 'shoppers in the demo shop' },
} as const satisfies ConfigSchema;
