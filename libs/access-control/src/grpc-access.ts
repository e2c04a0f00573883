import * as grpc from '@grpc/grpc-js';
import { AccessPolicy, presentedKey } from './access-policy';
import { requiredScope } from './scopes';

function header(metadata: grpc.Metadata, name: string): string | undefined {
  const value = metadata.get(name)[0];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Checks every call's API key before its handler runs: UNAUTHENTICATED for a
 * missing or unknown key, PERMISSION_DENIED for a key without the method's
 * scope, and PERMISSION_DENIED for a path with no scope decided (a service
 * added to a server but not to METHOD_SCOPES is closed, not open).
 */
export function accessInterceptor(policy: AccessPolicy): grpc.ServerInterceptor {
  return (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            const requirement = requiredScope(method.path);
            if (requirement === undefined) {
              call.sendStatus({ code: grpc.status.PERMISSION_DENIED, details: `no access rule for ${method.path}`, metadata: new grpc.Metadata() });
              return;
            }
            const decision = policy.decide(requirement, presentedKey(header(metadata, 'authorization'), header(metadata, 'x-api-key')));
            if (decision.allowed) {
              pass(metadata);
              return;
            }
            const code = decision.reason === 'unauthenticated' ? grpc.status.UNAUTHENTICATED : grpc.status.PERMISSION_DENIED;
            call.sendStatus({ code, details: decision.message, metadata: new grpc.Metadata() });
          },
        }),
    });
}
