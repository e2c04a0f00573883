import { IngestConfigSchema, IngestModule } from '@recmesh/ingestion';
import { loadConfig } from '@recmesh/service-config';
import { openInfrastructure, runService } from '@recmesh/service-runtime';

void runService({
  service: 'ingest',
  bootstrap: async () => {
    const config = loadConfig(IngestConfigSchema);
    const infra = await openInfrastructure(config, 'recmesh-ingest');
    return { module: IngestModule.register(config, infra, { owned: true }), port: config.INGEST_PORT, logLevel: config.LOG_LEVEL };
  },
});
