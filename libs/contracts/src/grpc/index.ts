// gRPC on @grpc/grpc-js for the generated services (GenService), without
// proto-loader: service definitions, a unary server helper, a typed client and
// server reflection.
export type { DescMessage, DescMethod, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
export { grpcServiceDefinition, isMalformed, MalformedMessage } from './service-definition';
export type { GrpcRequest, MethodInput, MethodOutput, UnaryMethodName } from './service-definition';
export * from './unary-service';
export * from './client';
export * from './reflection';
export * from './server-lifecycle';
export * from './transport-security';
