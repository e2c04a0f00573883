import { FeatureBuilderConfigSchema, FeatureBuilderModule, loadTextEmbedder } from '@recmesh/features';
import { createMetricsRegistry } from '@recmesh/observability';
import { loadConfig } from '@recmesh/service-config';
import { openInfrastructure, runService, serviceRootModule } from '@recmesh/service-runtime';

void runService({
  service: 'feature-builder',
  bootstrap: async () => {
    const config = loadConfig(FeatureBuilderConfigSchema);
    const textEmbedder = await loadTextEmbedder(config.FEATURE_TEXT_ENCODER_DIR);
    const infra = await openInfrastructure(config, 'recmesh-feature-builder');
    return {
      module: serviceRootModule({ infra, registry: createMetricsRegistry('feature-builder') }, FeatureBuilderModule.register(config, { textEmbedder })),
      port: config.FEATURE_BUILDER_PORT,
      logLevel: config.LOG_LEVEL,
    };
  },
});
