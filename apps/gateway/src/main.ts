import { AccessControlConfigSchema, AccessControlModule, accessBootstrap, openAccessControl } from '@recmesh/access-control';
import { GatewayAddressesConfigSchema, GatewayConfigSchema, GatewayModule, remoteServingBackends } from '@recmesh/gateway-api';
import { createMetricsRegistry } from '@recmesh/observability';
import { loadConfig } from '@recmesh/service-config';
import { openBus, runService, serviceRootModule } from '@recmesh/service-runtime';

void runService({
  service: 'gateway',
  bootstrap: async () => {
    const config = loadConfig({ ...GatewayConfigSchema, ...GatewayAddressesConfigSchema, ...AccessControlConfigSchema });
    const access = openAccessControl(config);
    const registry = createMetricsRegistry('gateway');
    // The gateway keeps no state of its own: a bus for the served lists, no store.
    const infra = await openBus(config, 'recmesh-gateway');
    return {
      module: serviceRootModule({ infra, registry, readyWithoutBus: true }, AccessControlModule.forRoot(access), remoteServingBackends(config, access.grpcClient), GatewayModule.register(config)),
      port: config.GATEWAY_HTTP_PORT,
      logLevel: config.LOG_LEVEL,
      ...accessBootstrap(access, registry),
    };
  },
});
