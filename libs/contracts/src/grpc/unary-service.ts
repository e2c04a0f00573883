import * as grpc from '@grpc/grpc-js';
import type { DescMessage, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { grpcServiceDefinition, isMalformed, MethodInput, MethodOutput, UnaryMethodName } from './service-definition';

/** The status a failed call answers with. */
export interface GrpcStatus {
  readonly code: grpc.status;
  readonly details: string;
}

/**
 * Maps what a handler threw to a status; the service owns its error
 * vocabulary. `method` is the RPC's proto name ("Score"); `call` gives the
 * caller's deadline (a failure after it is the deadline's). Must not throw.
 */
export type ToStatus = (error: unknown, method: string, call: grpc.ServerUnaryCall<unknown, unknown>) => GrpcStatus;

export type UnaryHandler<Input extends DescMessage, Output extends DescMessage> = (
  request: MessageShape<Input>,
  call: grpc.ServerUnaryCall<MessageShape<Input>, MessageInitShape<Output>>,
) => Promise<MessageInitShape<Output>>;

/** One handler per unary method of S, by localName: { score: async (request) => ({ items, modelVersion }) }. */
export type UnaryHandlers<S extends DescService> = {
  readonly [K in UnaryMethodName<S>]: UnaryHandler<MethodInput<S, K>, MethodOutput<S, K>>;
};

/** The default ToStatus: the error stays on the server. */
export const internalError: ToStatus = () => ({ code: grpc.status.INTERNAL, details: 'internal error' });

/**
 * Serves the unary methods of a generated service: requests that do not decode
 * are answered INVALID_ARGUMENT before any handler runs, a handler's answer is
 * sent as the output message, and what it throws goes through toStatus.
 * Streaming methods are left to grpc-js's default (UNIMPLEMENTED); a service
 * that needs them registers grpcServiceDefinition with its own handlers.
 */
export function addUnaryService<S extends DescService>(server: grpc.Server, service: S, handlers: UnaryHandlers<S>, toStatus: ToStatus = internalError): void {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods) {
    if (method.methodKind !== 'unary') continue;
    const handler = (handlers as Record<string, UnaryHandler<DescMessage, DescMessage>>)[method.localName];
    const answer = async (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>): Promise<void> => {
      if (isMalformed(call.request)) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: call.request.message });
        return;
      }
      let response: MessageInitShape<DescMessage>;
      try {
        response = await handler(call.request as MessageShape<DescMessage>, call as grpc.ServerUnaryCall<MessageShape<DescMessage>, MessageInitShape<DescMessage>>);
      } catch (error) {
        callback(toStatus(error, method.name, call));
        return;
      }
      callback(null, response);
    };
    implementation[method.localName] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => void answer(call, callback);
  }
  server.addService(grpcServiceDefinition(service), implementation);
}
