import * as grpc from '@grpc/grpc-js';
import type { DescMessage, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { decoder, encoder, MethodInput, MethodOutput, methodPath, UnaryMethodName } from './service-definition';

/** grpc-js call options ({ deadline }) plus request metadata. */
export interface GrpcCallOptions extends grpc.CallOptions {
  readonly metadata?: grpc.Metadata;
}

interface ClientControl {
  close(): void;
  /** For readiness checks (getConnectivityState). */
  getChannel(): ReturnType<grpc.Client['getChannel']>;
}

/**
 * One promise-returning method per unary method, by localName: resolves with
 * the output message, rejects with grpc-js's ServiceError unchanged (a
 * response that does not decode is INTERNAL "Response message parsing error").
 */
export type GrpcClient<S extends DescService> = {
  readonly [K in UnaryMethodName<S>]: (request: MessageInitShape<MethodInput<S, K>>, options?: GrpcCallOptions) => Promise<MessageShape<MethodOutput<S, K>>>;
} & ClientControl;

/** A client of a generated service's unary methods (streaming methods are not offered). Insecure unless credentials are given. */
export function createGrpcClient<S extends DescService>(
  service: S,
  address: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  channelOptions?: grpc.ClientOptions,
): GrpcClient<S> {
  const client = new grpc.Client(address, credentials, channelOptions);
  const control: ClientControl = { close: () => client.close(), getChannel: () => client.getChannel() };
  const methods: Record<string, unknown> = {};
  for (const method of service.methods) {
    if (method.methodKind !== 'unary') continue;
    if (method.localName in control) throw new Error(`${service.typeName}.${method.name} clashes with the client's own ${method.localName}()`);
    const path = methodPath(method);
    const serialize = encoder(method.input);
    const deserialize = decoder(method.output);
    methods[method.localName] = (request: MessageInitShape<DescMessage>, { metadata = new grpc.Metadata(), ...options }: GrpcCallOptions = {}) =>
      new Promise((resolve, reject) => {
        client.makeUnaryRequest(path, serialize, deserialize, request, metadata, options, (error, response) => (error ? reject(error) : resolve(response)));
      });
  }
  return { ...methods, ...control } as GrpcClient<S>;
}
