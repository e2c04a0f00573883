import * as grpc from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import type { GrpcClientSecurity, GrpcServerSecurity } from '@recmesh/contracts';
import { ConfigError } from '@recmesh/service-config';
import { AccessControlConfig, isLoopback } from './access-control.config';
import { AccessPolicy } from './access-policy';
import { ApiKeysFileError, ApiKeyStore } from './api-keys';
import { grpcClientCredentials, grpcServerCredentials } from './grpc-tls';
import { accessInterceptor } from './grpc-access';
import { isScope, Scope } from './scopes';

/** A process's access control: the key policy, how its gRPC servers and internal clients connect, where HTTP binds. */
export interface AccessControl {
  readonly policy: AccessPolicy;
  readonly grpcServer: GrpcServerSecurity;
  readonly grpcClient: GrpcClientSecurity;
  readonly bindHost: string;
  /** /metrics on its own port; undefined = on the service port. */
  readonly metricsPort?: number;
  /** Stops watching the keys file. */
  close(): void;
}

/** Sends `authorization: Bearer <key>` on every call of an internal client. */
export function apiKeyClientInterceptor(key: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        metadata.set('authorization', `Bearer ${key}`);
        next(metadata, listener);
      },
    });
}

/**
 * Checks the settings together and opens the keys file; every problem (a
 * non-loopback bind open to anonymous callers, a bad keys file, unreadable or
 * mismatched TLS files) is reported at once as a ConfigError.
 */
export function openAccessControl(config: AccessControlConfig, logger = new Logger('access-control')): AccessControl {
  const problems: string[] = [];
  const anonymousScopes = new Set(config.RECMESH_ANONYMOUS_SCOPES.split(',').map((s) => s.trim()).filter((s): s is Scope => isScope(s)));
  let keys: ApiKeyStore | undefined;
  if (config.RECMESH_API_KEYS_FILE) {
    try {
      keys = ApiKeyStore.open(config.RECMESH_API_KEYS_FILE);
    } catch (error) {
      if (!(error instanceof ApiKeysFileError)) throw error;
      problems.push(...error.problems.map((p) => `RECMESH_API_KEYS_FILE=${error.file}: ${p}`));
    }
  }
  // Without a keys file RECMESH_ANONYMOUS_SCOPES has nothing to narrow: every call is allowed.
  const anonymousCallers = !config.RECMESH_API_KEYS_FILE || anonymousScopes.size > 0;
  if (!isLoopback(config.BIND_HOST) && anonymousCallers && !config.RECMESH_ALLOW_ANONYMOUS) {
    problems.push(
      `BIND_HOST=${config.BIND_HOST} is not a loopback address, and ${config.RECMESH_API_KEYS_FILE ? `RECMESH_ANONYMOUS_SCOPES=${config.RECMESH_ANONYMOUS_SCOPES} lets calls without a key in` : 'RECMESH_API_KEYS_FILE is empty, so anyone who reaches the port could call every API'}: ` +
        'set RECMESH_API_KEYS_FILE (npm run keys -- create --id <id> --scopes <scopes>), bind BIND_HOST=127.0.0.1, or set RECMESH_ALLOW_ANONYMOUS=true on a trusted network',
    );
  }
  const serverCredentials = grpcServerCredentials(config, problems);
  const clientCredentials = grpcClientCredentials(config, problems);
  if (problems.length > 0) {
    keys?.unwatch();
    throw new ConfigError(problems);
  }

  keys?.watch(config.RECMESH_API_KEYS_RELOAD_SECONDS * 1000, {
    onReload: (size) => logger.log(`API keys reloaded from ${config.RECMESH_API_KEYS_FILE}: ${size} keys`),
    // The last good keys stay in force: a typo during rotation must not lock everyone out (or let everyone in).
    onReloadError: (error) => logger.error(`API keys file changed but was not loaded, the previous keys stay in force: ${error.message}`),
  });
  const policy = new AccessPolicy(keys, anonymousScopes);
  if (keys) logger.log(`API keys enforced: ${keys.size} keys from ${config.RECMESH_API_KEYS_FILE}${anonymousScopes.size > 0 ? `; calls without a key get ${[...anonymousScopes].join(', ')}` : ''}`);
  else logger.warn(`no API keys (RECMESH_API_KEYS_FILE is empty): every call is accepted; bound to ${config.BIND_HOST}`);
  return {
    policy,
    grpcServer: { host: config.BIND_HOST, credentials: serverCredentials, interceptors: [accessInterceptor(policy)] },
    grpcClient: { credentials: clientCredentials, interceptors: config.RECMESH_INTERNAL_API_KEY ? [apiKeyClientInterceptor(config.RECMESH_INTERNAL_API_KEY)] : [] },
    bindHost: config.BIND_HOST,
    metricsPort: config.METRICS_PORT > 0 ? config.METRICS_PORT : undefined,
    close: () => keys?.unwatch(),
  };
}
