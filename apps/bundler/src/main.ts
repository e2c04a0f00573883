import { AccessControlConfigSchema, AccessControlModule, accessBootstrap, openAccessControl } from '@recmesh/access-control';
import { BundlerConfigSchema, BundlerModule, ServingBundleModel } from '@recmesh/bundle-service';
import { resolveTopicNames } from '@recmesh/contracts';
import { createMetricsRegistry } from '@recmesh/observability';
import { loadConfig } from '@recmesh/service-config';
import { ServingState, ServingStateModule } from '@recmesh/serving-core';
import { openInfrastructure, runService, serviceRootModule } from '@recmesh/service-runtime';

void runService({
  service: 'bundler',
  bootstrap: async () => {
    const config = loadConfig({ ...BundlerConfigSchema, ...AccessControlConfigSchema });
    const access = openAccessControl(config);
    const registry = createMetricsRegistry('bundler');
    const bundleModel = await ServingBundleModel.load(config.BUNDLER_MODEL_FILE, registry);
    const infra = await openInfrastructure(config, 'recmesh-bundler');
    const state = await ServingState.open(config, infra, resolveTopicNames(config.RECMESH_TOPIC_PREFIX), registry);
    return {
      module: serviceRootModule({ infra, registry, readyWithoutBus: true }, AccessControlModule.forRoot(access), ServingStateModule.forRoot(state), BundlerModule.register(config, bundleModel, { grpcPort: config.BUNDLER_GRPC_PORT })),
      port: config.BUNDLER_PORT,
      logLevel: config.LOG_LEVEL,
      ...accessBootstrap(access, registry),
    };
  },
});
