import { AccessControlConfigSchema, AccessControlModule, accessBootstrap, openAccessControl } from '@recmesh/access-control';
import { FeatureBuilderConfigSchema, FeatureBuilderModule, loadTextEmbedder } from '@recmesh/features';
import { createMetricsRegistry } from '@recmesh/observability';
import { loadConfig } from '@recmesh/service-config';
import { openInfrastructure, runService, serviceRootModule } from '@recmesh/service-runtime';

void runService({
  service: 'feature-builder',
  bootstrap: async () => {
    const config = loadConfig({ ...FeatureBuilderConfigSchema, ...AccessControlConfigSchema });
    const access = openAccessControl(config);
    const registry = createMetricsRegistry('feature-builder');
    const textEmbedder = await loadTextEmbedder(config.FEATURE_TEXT_ENCODER_DIR);
    const infra = await openInfrastructure(config, 'recmesh-feature-builder');
    return {
      module: serviceRootModule({ infra, registry }, AccessControlModule.forRoot(access), FeatureBuilderModule.register(config, { textEmbedder })),
      port: config.FEATURE_BUILDER_PORT,
      logLevel: config.LOG_LEVEL,
      ...accessBootstrap(access, registry),
    };
  },
});
