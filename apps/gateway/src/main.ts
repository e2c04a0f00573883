import { BundlerGrpcBackend, GatewayConfigSchema, GatewayModule, ScorerGrpcBackend } from '@recmesh/gateway-api';
import { loadConfig } from '@recmesh/service-config';
import { openInfrastructure, runService } from '@recmesh/service-runtime';

const GatewayAppConfigSchema = {
  ...GatewayConfigSchema,
  SCORER_ADDRESS: { type: 'string', default: '127.0.0.1:50052', pattern: /^[^\s:]+:\d+$/, description: 'host:port of the scorer gRPC service' },
  BUNDLER_ADDRESS: { type: 'string', default: '127.0.0.1:50053', pattern: /^([^\s:]+:\d+)?$/, description: 'host:port of the bundler gRPC service; empty = Bundle answers UNIMPLEMENTED' },
} as const;

void runService({
  service: 'gateway',
  bootstrap: async () => {
    const config = loadConfig(GatewayAppConfigSchema);
    const infra = await openInfrastructure(config, 'recmesh-gateway');
    const backend = new ScorerGrpcBackend(config.SCORER_ADDRESS);
    const bundles = config.BUNDLER_ADDRESS ? new BundlerGrpcBackend(config.BUNDLER_ADDRESS) : undefined;
    return { module: GatewayModule.register(config, infra, backend, { owned: true, bundles }), port: config.GATEWAY_HTTP_PORT, logLevel: config.LOG_LEVEL };
  },
});
