import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProto, FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { ScorerService } from '../generated/recmesh/scorer/v1/scorer_pb';
import { Health } from '../generated/grpc/health/v1/health_pb';
import { addUnaryService, reflectionPackageDefinition } from './index';

interface ReflectionResponse {
  listServicesResponse?: { service: Array<{ name: string }> };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}
type ReflectionStream = grpc.ClientDuplexStream<object, ReflectionResponse>;

describe('server reflection from the generated descriptors', () => {
  let server: grpc.Server;
  let client: grpc.Client & { ServerReflectionInfo(): ReflectionStream };

  beforeAll(async () => {
    server = new grpc.Server();
    addUnaryService(server, ScorerService, { score: async () => ({}), scoreSimilar: async () => ({}) });
    new ReflectionService(reflectionPackageDefinition([ScorerService, Health])).addToServer(server);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    // The reflection client is the one place proto-loader is used: reflection's own proto, as grpcurl would speak it.
    const reflectionProtoDir = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto');
    const definition = protoLoader.loadSync('grpc/reflection/v1alpha/reflection.proto', { includeDirs: [reflectionProtoDir], keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as { grpc: { reflection: { v1alpha: { ServerReflection: grpc.ServiceClientConstructor } } } };
    client = new loaded.grpc.reflection.v1alpha.ServerReflection(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as typeof client;
  });

  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  function ask(request: object): Promise<ReflectionResponse> {
    return new Promise((resolve, reject) => {
      const stream = client.ServerReflectionInfo();
      stream.on('data', (response: ReflectionResponse) => {
        resolve(response);
        stream.end();
      });
      stream.on('error', reject);
      stream.write(request);
    });
  }

  async function filesContaining(symbol: string): Promise<FileDescriptorProto[]> {
    const response = await ask({ fileContainingSymbol: symbol });
    expect(response.errorResponse).toBeUndefined();
    return response.fileDescriptorResponse!.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
  }

  it('lists the services served, not those of imported files (gateway.proto declares RecommendationService)', async () => {
    const response = await ask({ listServices: '*' });
    expect(response.listServicesResponse!.service.map((s) => s.name).sort()).toEqual(['grpc.health.v1.Health', 'recmesh.scorer.v1.ScorerService']);
  });

  it('answers file_containing_symbol with the file and its imports, snake_case field names included', async () => {
    const files = await filesContaining('recmesh.scorer.v1.ScorerService');
    expect(files.map((f) => f.name)).toEqual(['recmesh/scorer/v1/scorer.proto', 'recmesh/gateway/v1/gateway.proto']);
    const [scorer, gateway] = files;
    expect(scorer.dependency).toEqual(['recmesh/gateway/v1/gateway.proto']);
    expect(scorer.service.map((s) => s.method.map((m) => [m.name, m.inputType, m.outputType]))).toEqual([
      [
        ['Score', '.recmesh.scorer.v1.ScoreRequest', '.recmesh.scorer.v1.ScoreResponse'],
        ['ScoreSimilar', '.recmesh.scorer.v1.ScoreSimilarRequest', '.recmesh.scorer.v1.ScoreResponse'],
      ],
    ]);
    const scoreRequest = scorer.messageType.find((m) => m.name === 'ScoreRequest')!;
    expect(scoreRequest.field.map((f) => f.name)).toEqual(['user_id', 'k', 'current_item_id', 'cart_item_ids', 'filters', 'model_version', 'popularity']);
    // proto3 `optional` survives @grpc/reflection's decode and re-encode.
    const filters = gateway.messageType.find((m) => m.name === 'Filters')!;
    expect(filters.field.find((f) => f.name === 'min_price')?.proto3Optional).toBe(true);
    expect(gateway.service).toEqual([]);
  });

  it('resolves messages and the health service too', async () => {
    expect((await filesContaining('recmesh.scorer.v1.ScoreRequest')).map((f) => f.name)[0]).toBe('recmesh/scorer/v1/scorer.proto');
    const [health] = await filesContaining('grpc.health.v1.Health');
    expect(health.name).toBe('grpc/health/v1/health.proto');
    expect(health.service[0].method.map((m) => [m.name, m.serverStreaming])).toEqual([
      ['Check', false],
      ['Watch', true],
    ]);
  });

  it('answers NOT_FOUND for a service this server does not serve', async () => {
    expect((await ask({ fileContainingSymbol: 'recmesh.gateway.v1.RecommendationService' })).errorResponse?.errorCode).toBe(grpc.status.NOT_FOUND);
  });
});
