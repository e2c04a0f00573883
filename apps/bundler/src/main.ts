import { BundlerConfigSchema, bundlerGrpcOptions, BundlerModule, ServingBundleModel } from '@recmesh/bundle-service';
import { createMetricsRegistry } from '@recmesh/observability';
import { ModelRegistry } from '@recmesh/persistence';
import { startServingModel } from '@recmesh/scoring';
import { loadConfig } from '@recmesh/service-config';
import { openInfrastructure, runService } from '@recmesh/service-runtime';

void runService({
  service: 'bundler',
  bootstrap: async () => {
    const config = loadConfig(BundlerConfigSchema);
    const registry = createMetricsRegistry('bundler');
    const bundleModel = await ServingBundleModel.load(config.BUNDLER_MODEL_FILE, registry);
    const infra = await openInfrastructure(config, 'recmesh-bundler');
    const serving = await startServingModel(config, new ModelRegistry(infra.dataSource), registry);
    return {
      module: BundlerModule.register(config, infra, serving, { owned: true, registry, bundleModel }),
      port: config.BUNDLER_PORT,
      logLevel: config.LOG_LEVEL,
      configure: async (app) => {
        app.connectMicroservice(bundlerGrpcOptions(config.BUNDLER_GRPC_PORT));
        await app.startAllMicroservices();
      },
    };
  },
});
