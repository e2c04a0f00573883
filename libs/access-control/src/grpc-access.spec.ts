import * as grpc from '@grpc/grpc-js';
import { addUnaryService, bindGrpcServer, createGrpcClient, ExperimentService, grpcServerOptions, RecommendationService } from '@recmesh/contracts';
import { AccessPolicy } from './access-policy';
import { apiKeyClientInterceptor } from './access-control';
import { ApiKeyStore, mintApiKey } from './api-keys';
import { accessInterceptor } from './grpc-access';

describe('accessInterceptor on a grpc-js server', () => {
  const shop = mintApiKey('shop', ['storefront']);
  const ops = mintApiKey('ops', ['admin']);
  const keys = ApiKeyStore.of([shop.entry, ops.entry]);
  let server: grpc.Server;
  let address: string;
  let handled = 0;

  beforeAll(async () => {
    server = new grpc.Server(grpcServerOptions({ host: '127.0.0.1', credentials: grpc.ServerCredentials.createInsecure(), interceptors: [accessInterceptor(new AccessPolicy(keys))] }));
    addUnaryService(server, RecommendationService, {
      recommend: async () => (handled++, { recId: 'r-1', modelVersion: 'v1', items: [] }),
      similarItems: async () => ({}),
      bundle: async () => ({}),
    });
    addUnaryService(server, ExperimentService, {
      createExperiment: async () => ({}),
      stopExperiment: async () => ({}),
      listExperiments: async () => (handled++, { experiments: [] }),
      getExperimentResults: async () => ({}),
    });
    address = `127.0.0.1:${await bindGrpcServer(server, 0, '127.0.0.1')}`;
  });
  afterAll(() => server.forceShutdown());

  const bearer = (key: string) => {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${key}`);
    return { metadata };
  };

  it('answers UNAUTHENTICATED without a key or with an unknown one, before the handler runs', async () => {
    const client = createGrpcClient(RecommendationService, address);
    const before = handled;
    await expect(client.recommend({ userId: 'u', k: 1 })).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: expect.stringContaining('scope storefront is required') });
    await expect(client.recommend({ userId: 'u', k: 1 }, bearer('rmk_nope'))).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'unknown API key' });
    expect(handled).toBe(before);
    client.close();
  });

  it('answers PERMISSION_DENIED for a key without the scope, OK for the right one (Bearer or x-api-key)', async () => {
    const gateway = createGrpcClient(RecommendationService, address);
    const admin = createGrpcClient(ExperimentService, address);
    await expect(admin.getExperimentResults({ name: 'x' }, bearer(shop.key))).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: 'API key shop lacks scope admin' });
    expect(await gateway.recommend({ userId: 'u', k: 1 }, bearer(shop.key))).toMatchObject({ recId: 'r-1' });
    const metadata = new grpc.Metadata();
    metadata.set('x-api-key', ops.key);
    expect((await admin.listExperiments({}, { metadata })).experiments).toEqual([]);
    gateway.close();
    admin.close();
  });

  it('a client with apiKeyClientInterceptor sends its key on every call', async () => {
    const client = createGrpcClient(RecommendationService, address, undefined, { interceptors: [apiKeyClientInterceptor(shop.key)] });
    expect(await client.recommend({ userId: 'u', k: 1 })).toMatchObject({ recId: 'r-1', modelVersion: 'v1' });
    client.close();
  });
});
