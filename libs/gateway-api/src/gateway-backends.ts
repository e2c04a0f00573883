import { DynamicModule } from '@nestjs/common';
import type { GrpcClientSecurity } from '@recmesh/contracts';
import { Config, ConfigSchema } from '@recmesh/service-config';
import { ServingBackendsModule } from '@recmesh/serving-core';
import { BundlerGrpcBackend, ScorerGrpcBackend } from './remote-backends';
import { ExperimentsGrpcSource } from './remote-experiments';

/** Where a gateway of its own finds the services it serves from; an empty optional address means the gateway goes without. */
export const GatewayAddressesConfigSchema = {
  SCORER_ADDRESS: { type: 'string', default: '127.0.0.1:50052', pattern: /^[^\s:]+:\d+$/, description: 'host:port of the scorer gRPC service' },
  BUNDLER_ADDRESS: {
    type: 'string', default: '127.0.0.1:50053', pattern: /^([^\s:]+:\d+)?$/,
    description: 'host:port of the bundler gRPC service; empty = no bundler: Bundle answers UNIMPLEMENTED and readiness does not wait for one',
  },
  EXPERIMENTS_ADDRESS: { type: 'string', default: '', pattern: /^([^\s:]+:\d+)?$/, description: "host:port of the feedback service's experiments API (recmesh.experiments.v1); empty = no A/B experiments" },
} as const satisfies ConfigSchema;

export type GatewayAddresses = Config<typeof GatewayAddressesConfigSchema>;

/**
 * The gRPC clients of a gateway of its own as its serving backends. Without a
 * bundler no BundleBackend is provided, so GatewayModule registers no
 * `bundler` readiness check and Bundle answers UNIMPLEMENTED. `security`: TLS
 * and the internal key (GRPC_CLIENT_TLS_*, RECMESH_INTERNAL_API_KEY).
 */
export function remoteServingBackends(addresses: GatewayAddresses, security?: GrpcClientSecurity): DynamicModule {
  return ServingBackendsModule.forRoot({
    recommendation: { useValue: new ScorerGrpcBackend(addresses.SCORER_ADDRESS, security) },
    ...(addresses.BUNDLER_ADDRESS ? { bundles: { useValue: new BundlerGrpcBackend(addresses.BUNDLER_ADDRESS, security) } } : {}),
    ...(addresses.EXPERIMENTS_ADDRESS ? { experiments: { useValue: new ExperimentsGrpcSource(addresses.EXPERIMENTS_ADDRESS, security) } } : {}),
  });
}
