import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { DescMessage, DescMethod, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';

/**
 * A request whose bytes did not decode (random bytes, a truncated message,
 * invalid UTF-8 in a string field). grpc-js answers INTERNAL when a request
 * deserializer throws (server-interceptors.js, decompressAndMaybePush), so
 * ours returns this instead and the handler answers INVALID_ARGUMENT.
 */
export class MalformedMessage {
  /** "malformed recmesh.scorer.v1.ScoreRequest: premature EOF": the status details to answer with. */
  readonly message: string;

  constructor(
    /** Fully-qualified name of the message that failed to decode. */
    readonly typeName: string,
    /** What the decoder said. */
    readonly reason: string,
  ) {
    this.message = `malformed ${typeName}: ${reason}`;
  }
}

export function isMalformed(request: unknown): request is MalformedMessage {
  return request instanceof MalformedMessage;
}

/** What a handler of a grpcServiceDefinition receives as call.request: check it with isMalformed first. */
export type GrpcRequest<Input extends DescMessage> = MessageShape<Input> | MalformedMessage;

/** The localNames ("score", "scoreSimilar") of a generated service's unary methods. */
export type UnaryMethodName<S extends DescService> = {
  [K in keyof S['method']]: S['method'][K]['methodKind'] extends 'unary' ? K : never;
}[keyof S['method']] &
  string;

/** The input (request) message descriptor of a generated service's method. */
export type MethodInput<S extends DescService, K extends keyof S['method']> = S['method'][K]['input'];
/** The output (response) message descriptor of a generated service's method. */
export type MethodOutput<S extends DescService, K extends keyof S['method']> = S['method'][K]['output'];

/** "/recmesh.scorer.v1.ScorerService/Score": the HTTP/2 path of a method. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/** Serializes a message of `schema` or its init shape (a plain object) to a Buffer without copying. */
export function encoder(schema: DescMessage): (value: object) => Buffer {
  return (value) => {
    const bytes = toBinary(schema, create(schema, value as MessageInitShape<DescMessage>));
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

/** Deserializes and throws on malformed bytes: for responses, where grpc-js rightly answers INTERNAL. */
export function decoder<Schema extends DescMessage>(schema: Schema): (bytes: Buffer) => MessageShape<Schema> {
  return (bytes) => fromBinary(schema, bytes);
}

/** Deserializes and never throws: malformed bytes become a MalformedMessage. */
export function requestDecoder<Schema extends DescMessage>(schema: Schema): (bytes: Buffer) => GrpcRequest<Schema> {
  return (bytes) => {
    try {
      return fromBinary(schema, bytes);
    } catch (error) {
      // Not `instanceof Error`: TextDecoder's TypeError may come from another realm (jest's sandbox).
      const reason = (error as { message?: unknown } | undefined)?.message;
      return new MalformedMessage(schema.typeName, typeof reason === 'string' ? reason : String(error));
    }
  };
}

/**
 * A protobuf-es service descriptor as a @grpc/grpc-js ServiceDefinition, keyed
 * by method localName ("score"; originalName "Score" works too), for
 * server.addService. Requests that do not decode reach the handler as a
 * MalformedMessage (see isMalformed); responses may be messages or plain init
 * objects. All four method kinds are described.
 */
export function grpcServiceDefinition(service: DescService): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methods) {
    definition[method.localName] = {
      path: methodPath(method),
      originalName: method.name,
      requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: encoder(method.input),
      requestDeserialize: requestDecoder(method.input),
      responseSerialize: encoder(method.output),
      responseDeserialize: decoder(method.output),
    };
  }
  return definition;
}
