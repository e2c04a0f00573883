import * as path from 'path';
import { AccessControlModule, accessBootstrap, ensureGeneratedAdminKey, isLoopback, openAccessControl } from '@recmesh/access-control';
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
    // npm start: without a keys file, an admin key is minted into the data dir at first start and printed once.
    const localKeys = !config.RECMESH_API_KEYS_FILE && config.RECMESH_DATA_DIR !== ':memory:' && isLoopback(config.BIND_HOST) ? path.resolve(config.RECMESH_DATA_DIR, 'api-keys.jsonl') : '';
    const adminKey = localKeys ? ensureGeneratedAdminKey(localKeys) : undefined;
    // Printed before anything else can fail: the file keeps only its hash.
    if (adminKey) process.stdout.write(`\n  recmesh admin API key (shown once; its hash is in ${localKeys}):\n    authorization: Bearer ${adminKey}\n\n`);
    const access = openAccessControl({ ...config, RECMESH_API_KEYS_FILE: config.RECMESH_API_KEYS_FILE || localKeys });
    const textEmbedder = await loadTextEmbedder(config.FEATURE_TEXT_ENCODER_DIR);
    const infra = await openInfrastructure(config, 'recmesh-standalone');
    const registry = createMetricsRegistry('recmesh');
    const bundleModel = await ServingBundleModel.load(config.BUNDLER_MODEL_FILE, registry);
    const state = await ServingState.open(config, infra, resolveTopicNames(config.RECMESH_TOPIC_PREFIX), registry);
    return {
      module: StandaloneModule.register(config, { infra, registry, state, bundleModel, textEmbedder }, AccessControlModule.forRoot(access)),
      port: config.PORT,
      logLevel: config.LOG_LEVEL,
      ...accessBootstrap(access, registry, configureRawIntake),
    };
  },
});
