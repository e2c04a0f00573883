import { createMetricsRegistry } from '@recmesh/observability';
import { ModelRegistry } from '@recmesh/persistence';
import { ScorerConfigSchema, scorerGrpcOptions, ScorerModule, startServingModel } from '@recmesh/scoring';
import { loadConfig } from '@recmesh/service-config';
import { openInfrastructure, runService } from '@recmesh/service-runtime';

void runService({
  service: 'scorer',
  bootstrap: async () => {
    const config = loadConfig(ScorerConfigSchema);
    const infra = await openInfrastructure(config, 'recmesh-scorer');
    const registry = createMetricsRegistry('scorer');
    const serving = await startServingModel(config, new ModelRegistry(infra.dataSource), registry);
    return {
      module: ScorerModule.register(config, infra, serving, { owned: true, registry }),
      port: config.SCORER_PORT,
      logLevel: config.LOG_LEVEL,
      configure: async (app) => {
        app.connectMicroservice(scorerGrpcOptions(config.SCORER_GRPC_PORT));
        await app.startAllMicroservices();
      },
    };
  },
});
