import { ServingBundleModel } from '@recmesh/bundle-service';
import { resolveTopicNames } from '@recmesh/contracts';
import { loadTextEmbedder } from '@recmesh/features';
import { configureRawIntake } from '@recmesh/ingestion';
import { createMetricsRegistry } from '@recmesh/observability';
import { loadConfig } from '@recmesh/service-config';
import { ServingState } from '@recmesh/serving-core';
import { openInfrastructure, runService } from '@recmesh/service-runtime';
import { StandaloneConfigSchema } from './standalone.config';
import { StandaloneModule } from './standalone.module';

void runService({
  service: 'recmesh',
  bootstrap: async () => {
    const config = loadConfig(StandaloneConfigSchema);
    const textEmbedder = await loadTextEmbedder(config.FEATURE_TEXT_ENCODER_DIR);
    const infra = await openInfrastructure(config, 'recmesh-standalone');
    const registry = createMetricsRegistry('recmesh');
    const bundleModel = await ServingBundleModel.load(config.BUNDLER_MODEL_FILE, registry);
    const state = await ServingState.open(config, infra, resolveTopicNames(config.RECMESH_TOPIC_PREFIX), registry);
    return {
      module: StandaloneModule.register(config, { infra, registry, state, bundleModel, textEmbedder }),
      port: config.PORT,
      logLevel: config.LOG_LEVEL,
      configure: configureRawIntake,
    };
  },
});
