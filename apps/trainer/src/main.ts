import { exportShopDataset } from '@recmesh/dataset-export';
import { createMetricsRegistry } from '@recmesh/observability';
import { loadConfig } from '@recmesh/service-config';
import { openInfrastructure, runService, serviceRootModule } from '@recmesh/service-runtime';
import { TrainerConfigSchema, TrainerModule } from '@recmesh/training';

// Its own process: training takes CPU, memory and a Python subprocess for minutes, which must
// never compete with serving; one instance is enough (the store's lock keeps runs apart anyway).
void runService({
  service: 'trainer',
  bootstrap: async () => {
    const config = loadConfig(TrainerConfigSchema);
    const infra = await openInfrastructure(config, 'recmesh-trainer');
    const exporter = () => async (outDir: string, window: { fromMs: number; toMs: number }) => {
      const summary = await exportShopDataset(infra.dataSource, { outDir, fromMs: window.fromMs, toMs: window.toMs });
      return { fingerprint: summary.fingerprint, events: summary.counts.events, items: summary.counts.items };
    };
    return {
      module: serviceRootModule({ infra, registry: createMetricsRegistry('trainer') }, TrainerModule.register(config, exporter)),
      port: config.TRAINER_PORT,
      logLevel: config.LOG_LEVEL,
    };
  },
});
