import { GatewayAddressesConfigSchema, GatewayConfigSchema, GatewayModule, remoteServingBackends } from '@recmesh/gateway-api';
import { createMetricsRegistry } from '@recmesh/observability';
import { loadConfig } from '@recmesh/service-config';
import { openBus, runService, serviceRootModule } from '@recmesh/service-runtime';

void runService({
  service: 'gateway',
  bootstrap: async () => {
    const config = loadConfig({ ...GatewayConfigSchema, ...GatewayAddressesConfigSchema });
    // The gateway keeps no state of its own: a bus for the served lists, no store.
    const infra = await openBus(config, 'recmesh-gateway');
    return {
      module: serviceRootModule({ infra, registry: createMetricsRegistry('gateway'), readyWithoutBus: true }, remoteServingBackends(config), GatewayModule.register(config)),
      port: config.GATEWAY_HTTP_PORT,
      logLevel: config.LOG_LEVEL,
    };
  },
});
