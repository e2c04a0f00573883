import { AccessControlConfigSchema, AccessControlModule, accessBootstrap, openAccessControl } from '@recmesh/access-control';
import { resolveTopicNames } from '@recmesh/contracts';
import { createMetricsRegistry } from '@recmesh/observability';
import { ScorerConfigSchema, ScorerModule } from '@recmesh/scoring';
import { loadConfig } from '@recmesh/service-config';
import { ServingState, ServingStateModule } from '@recmesh/serving-core';
import { openInfrastructure, runService, serviceRootModule } from '@recmesh/service-runtime';

void runService({
  service: 'scorer',
  bootstrap: async () => {
    const config = loadConfig({ ...ScorerConfigSchema, ...AccessControlConfigSchema });
    const access = openAccessControl(config);
    const infra = await openInfrastructure(config, 'recmesh-scorer');
    const registry = createMetricsRegistry('scorer');
    const state = await ServingState.open(config, infra, resolveTopicNames(config.RECMESH_TOPIC_PREFIX), registry);
    return {
      module: serviceRootModule({ infra, registry, readyWithoutBus: true }, AccessControlModule.forRoot(access), ServingStateModule.forRoot(state), ScorerModule.register(config, { grpcPort: config.SCORER_GRPC_PORT })),
      port: config.SCORER_PORT,
      logLevel: config.LOG_LEVEL,
      ...accessBootstrap(access, registry),
    };
  },
});
