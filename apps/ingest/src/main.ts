import { loadConfig } from '@recmesh/service-config';
import { openInfrastructure, runService } from '@recmesh/service-runtime';
import { IngestConfigSchema } from './ingest.config';
import { IngestModule } from './ingest.module';

void runService({
  service: 'ingest',
  bootstrap: async () => {
    const config = loadConfig(IngestConfigSchema);
    const infra = await openInfrastructure(config, 'recmesh-ingest');
    return { module: IngestModule.register(config, infra, { owned: true }), port: config.INGEST_PORT, logLevel: config.LOG_LEVEL };
  },
});
