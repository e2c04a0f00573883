import { ConfigSchema } from '@recmesh/service-config';
import { FeatureBuilderConfigSchema } from '@recmesh/features';
import { GatewayConfigSchema } from '@recmesh/gateway-api';
import { IngestConfigSchema } from '@recmesh/ingestion';
import { ScorerConfigSchema } from '@recmesh/scoring';
import { BundlerConfigSchema } from '@recmesh/bundle-service';
import { TrainerConfigSchema } from '@recmesh/training';
import { FeedbackConfigSchema } from '@recmesh/attribution';
import { ExperimentsConfigSchema } from '@recmesh/experiments';
import { StorefrontConfigSchema } from '@recmesh/storefront';
import { PrivacyConfigSchema } from '@recmesh/privacy';
import { AccessControlConfigSchema } from '@recmesh/access-control';

export const StandaloneConfigSchema = {
  ...IngestConfigSchema,
  ...FeatureBuilderConfigSchema,
  ...ScorerConfigSchema,
  ...GatewayConfigSchema,
  ...BundlerConfigSchema,
  ...TrainerConfigSchema,
  ...FeedbackConfigSchema,
  ...ExperimentsConfigSchema,
  ...StorefrontConfigSchema,
  ...PrivacyConfigSchema,
  ...AccessControlConfigSchema,
  RECMESH_ANONYMOUS_SCOPES: {
    ...AccessControlConfigSchema.RECMESH_ANONYMOUS_SCOPES,
    // The demo pages on PORT post clicks and read recommendations without a key; admin calls need the key printed at first start.
    default: 'storefront,intake',
  },
  PORT: { type: 'int', default: 3000, min: 1, max: 65535, description: 'HTTP port of the all-in-one process' },
  RECMESH_DEMO_SEED: { type: 'bool', default: true, description: 'publish the synthetic demo shop through ingest at start' },
  RECMESH_DEMO_USERS: { type: 'int', default: 300, min: 1, max: 100_000, description: 'shoppers in the demo shop' },
} as const satisfies ConfigSchema;
