import { FeatureBuilderConfigSchema, FeatureBuilderModule, loadTextEmbedder } from '@recmesh/features';
import { loadConfig } from '@recmesh/service-config';
import { openInfrastructure, runService } from '@recmesh/service-runtime';

void runService({
  service: 'feature-builder',
  bootstrap: async () => {
    const config = loadConfig(FeatureBuilderConfigSchema);
    const textEmbedder = await loadTextEmbedder(config.FEATURE_TEXT_ENCODER_DIR);
    const infra = await openInfrastructure(config, 'recmesh-feature-builder');
    return {
      module: FeatureBuilderModule.register(config, infra, { owned: true, textEmbedder }),
      port: config.FEATURE_BUILDER_PORT,
      logLevel: config.LOG_LEVEL,
    };
  },
});
