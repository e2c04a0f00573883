import * as protoLoader from '@grpc/proto-loader';
import { PROTO_ROOT } from '../proto-root';

/** How a JavaScript storefront typically loads protos at run time: camelCase fields, enum names, defaults. */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

/**
 * The gateway's API and grpc.health.v1 as @grpc/proto-loader loads them from
 * proto/, for clients built the way a storefront would (tests, the serving bench).
 */
export function loadGatewayPackageDefinition(overrides: protoLoader.Options = {}): protoLoader.PackageDefinition {
  return protoLoader.loadSync(['recmesh/gateway/v1/gateway.proto', 'grpc/health/v1/health.proto'], { ...PROTO_LOADER_OPTIONS, ...overrides, includeDirs: [PROTO_ROOT] });
}
