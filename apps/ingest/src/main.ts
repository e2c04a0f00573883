import { AccessControlConfigSchema, AccessControlModule, accessBootstrap, openAccessControl } from '@recmesh/access-control';
import { IngestConfigSchema, IngestModule } from '@recmesh/ingestion';
import { createMetricsRegistry } from '@recmesh/observability';
import { loadConfig } from '@recmesh/service-config';
import { openInfrastructure, runService, serviceRootModule } from '@recmesh/service-runtime';

void runService({
  service: 'ingest',
  bootstrap: async () => {
    const config = loadConfig({ ...IngestConfigSchema, ...AccessControlConfigSchema });
    const access = openAccessControl(config);
    const registry = createMetricsRegistry('ingest');
    const infra = await openInfrastructure(config, 'recmesh-ingest');
    return {
      module: serviceRootModule({ infra, registry }, AccessControlModule.forRoot(access), IngestModule.register(config)),
      port: config.INGEST_PORT,
      logLevel: config.LOG_LEVEL,
      ...accessBootstrap(access, registry),
    };
  },
});
