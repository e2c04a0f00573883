import { BundlerGrpcBackend, ExperimentsGrpcSource, GatewayConfigSchema, GatewayModule, ScorerGrpcBackend } from '@recmesh/gateway-api';
import { createMetricsRegistry } from '@recmesh/observability';
import { loadConfig } from '@recmesh/service-config';
import { ServingBackendsModule } from '@recmesh/serving-core';
import { openBus, runService, serviceRootModule } from '@recmesh/service-runtime';

const GatewayAppConfigSchema = {
  ...GatewayConfigSchema,
  SCORER_ADDRESS: { type: 'string', default: '127.0.0.1:50052', pattern: /^[^\s:]+:\d+$/, description: 'host:port of the scorer gRPC service' },
  BUNDLER_ADDRESS: { type: 'string', default: '127.0.0.1:50053', pattern: /^([^\s:]+:\d+)?$/, description: 'host:port of the bundler gRPC service; empty = Bundle answers UNIMPLEMENTED' },
  EXPERIMENTS_ADDRESS: { type: 'string', default: '', pattern: /^([^\s:]+:\d+)?$/, description: "host:port of the feedback service's experiments API (recmesh.experiments.v1); empty = no A/B experiments" },
} as const;

void runService({
  service: 'gateway',
  bootstrap: async () => {
    const config = loadConfig(GatewayAppConfigSchema);
    // The gateway keeps no state of its own: a bus for the served lists, no store.
    const infra = await openBus(config, 'recmesh-gateway');
    const backends = ServingBackendsModule.forRoot({
      recommendation: { useValue: new ScorerGrpcBackend(config.SCORER_ADDRESS) },
      ...(config.BUNDLER_ADDRESS ? { bundles: { useValue: new BundlerGrpcBackend(config.BUNDLER_ADDRESS) } } : {}),
      ...(config.EXPERIMENTS_ADDRESS ? { experiments: { useValue: new ExperimentsGrpcSource(config.EXPERIMENTS_ADDRESS) } } : {}),
    });
    return {
      module: serviceRootModule({ infra, registry: createMetricsRegistry('gateway') }, backends, GatewayModule.register(config)),
      port: config.GATEWAY_HTTP_PORT,
      logLevel: config.LOG_LEVEL,
    };
  },
});
