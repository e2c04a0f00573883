import { clearField, clone, toBinary } from '@bufbuild/protobuf';
import type { DescFile, DescService } from '@bufbuild/protobuf';
import { DescriptorProto, FieldDescriptorProtoSchema, FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import type { PackageDefinition, ProtobufTypeDefinition } from '@grpc/proto-loader';

/**
 * What @grpc/reflection's ReflectionService needs to serve `services`, built
 * from the generated file descriptors instead of .proto files on disk:
 *
 *   new ReflectionService(reflectionPackageDefinition([ScorerService, Health])).addToServer(server);
 *
 * ReflectionService reads only `fileDescriptorProtos` of each entry (it decodes
 * them and indexes files by name, symbols by full name), so there is one entry
 * per file: the services' files and everything they import, transitively. The
 * descriptors are the compiler's (snake_case field names such as user_id, with
 * their default json_name userId), so grpcurl -d '{"user_id": ...}' works.
 *
 * ReflectionService lists every service in every file it is given, so an
 * imported file's services that this server does not serve are dropped from its
 * descriptor (the scorer imports gateway.proto but does not serve
 * RecommendationService).
 */
export function reflectionPackageDefinition(services: readonly DescService[]): PackageDefinition {
  const served = new Set(services.map((s) => s.typeName));
  const files = new Map<string, DescFile>();
  const collect = (file: DescFile): void => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    file.dependencies.forEach(collect);
  };
  services.forEach((s) => collect(s.file));

  const definition: Record<string, ProtobufTypeDefinition> = {};
  for (const [name, file] of files) {
    const proto = clone(FileDescriptorProtoSchema, file.proto);
    proto.service = proto.service.filter((s) => served.has(proto.package ? `${proto.package}.${s.name}` : s.name));
    proto.messageType.forEach(dropJsonNames);
    const bytes = toBinary(FileDescriptorProtoSchema, proto);
    definition[name] = { format: 'FileDescriptorProto', type: {}, fileDescriptorProtos: [Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)] };
  }
  // Entries proto-loader would type as messages or enums; reflection reads only fileDescriptorProtos.
  return definition as PackageDefinition;
}

/**
 * protoc records each field's default JSON name (user_id -> userId); it is what
 * a client derives anyway, so dropping it leaves the proto's own names as the
 * only ones reflection shows (as the .proto file reads).
 */
function dropJsonNames(message: DescriptorProto): void {
  for (const field of message.field) clearField(field, FieldDescriptorProtoSchema.field.jsonName);
  message.nestedType.forEach(dropJsonNames);
}
