import { Module } from '@nestjs/common';
import { createMetricsRegistry, ObservabilityModule, ReadinessProbe } from '@recmesh/observability';
import { CommonConfigSchema, loadConfig } from '@recmesh/service-config';
import { runService } from './run-service';

@Module({})
class SkeletonModule {}

/**
 * A service whose capability is not built yet: it starts, answers /health,
 * /ready and /metrics, and does nothing else (no pretend endpoints).
 */
export function runSkeletonService(service: string, portVariable: string, defaultPort: number): void {
  void runService({
    service,
    bootstrap: () => {
      const config = loadConfig({
        ...CommonConfigSchema,
        [portVariable]: { type: 'int', default: defaultPort, min: 1, max: 65535, description: `HTTP port of ${service}` },
      });
      const registry = createMetricsRegistry(service);
      return {
        module: { module: SkeletonModule, imports: [ObservabilityModule.forRoot(registry, new ReadinessProbe())] },
        port: (config as Record<string, unknown>)[portVariable] as number,
        logLevel: config.LOG_LEVEL,
      };
    },
  });
}
