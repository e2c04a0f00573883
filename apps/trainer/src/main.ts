import { AccessControlConfigSchema, AccessControlModule, accessBootstrap, openAccessControl } from '@recmesh/access-control';
import { windowExporter } from '@recmesh/dataset-export';
import { createMetricsRegistry } from '@recmesh/observability';
import { loadConfig } from '@recmesh/service-config';
import { openInfrastructure, runService, serviceRootModule } from '@recmesh/service-runtime';
import { TrainerConfigSchema, TrainerModule } from '@recmesh/training';

// Its own process: training takes CPU, memory and a Python subprocess for minutes, which must
// never compete with serving; one instance is enough (the store's lock keeps runs apart anyway).
void runService({
  service: 'trainer',
  bootstrap: async () => {
    const config = loadConfig({ ...TrainerConfigSchema, ...AccessControlConfigSchema });
    const access = openAccessControl(config);
    const registry = createMetricsRegistry('trainer');
    const infra = await openInfrastructure(config, 'recmesh-trainer');
    return {
      // Training reads and writes the store only: a broker outage does not make it unready.
      module: serviceRootModule({ infra, registry, readyWithoutBus: true }, AccessControlModule.forRoot(access), TrainerModule.register(config, (infra) => windowExporter(infra.dataSource))),
      port: config.TRAINER_PORT,
      logLevel: config.LOG_LEVEL,
      ...accessBootstrap(access, registry),
    };
  },
});
