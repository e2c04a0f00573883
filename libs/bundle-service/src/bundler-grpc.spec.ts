import * as grpc from '@grpc/grpc-js';
import { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import { BundlerService, ComposeBundlesRequestSchema, createGrpcClient } from '@recmesh/contracts';
import { statusesForMalformed } from '@recmesh/contracts/testing';
import { BundleQuery, InternalGrpcServer, UnknownItemError } from '@recmesh/serving-core';
import { BundleRecommender } from './bundle-recommender';
import { bundlerGrpcServer } from './bundler-grpc';

/** Only compose() is reached over gRPC; the spec steers it. */
class FakeRecommender {
  readonly queries: BundleQuery[] = [];
  async compose(query: BundleQuery) {
    this.queries.push(query);
    if (query.anchorItemIds.includes('sku-unknown')) throw new UnknownItemError('sku-unknown');
    return { modelVersion: 'b-1+m-1', bundles: [{ totalScore: 1, totalPrice: 30, reason: 'Completes your Phone with Cases', items: [{ itemId: 'sku-case', score: 1, reason: 'Fits your Phone', reasonCode: 'complements_anchor' as const, role: 'Cases', price: 30 }] }] };
  }
}

describe('bundler over gRPC', () => {
  const recommender = new FakeRecommender();
  let server: InternalGrpcServer;
  let address: string;

  beforeAll(async () => {
    server = bundlerGrpcServer(recommender as unknown as BundleRecommender);
    address = `127.0.0.1:${await server.start(0, '127.0.0.1')}`;
  });
  afterAll(() => server.stop(100));

  it('composes from a validated request and maps failures by the serving vocabulary', async () => {
    const client = createGrpcClient(BundlerService, address);
    try {
      const answer = await client.composeBundles({ bundle: { anchorItemIds: ['sku-phone'], budget: 0 } }, { deadline: Date.now() + 5000 });
      expect(answer.bundles[0].items[0].item?.itemId).toBe('sku-case');
      // Defaults filled and the optional budget kept as sent (0 is a real budget).
      expect(recommender.queries[0]).toMatchObject({ anchorItemIds: ['sku-phone'], size: 3, count: 3, budget: 0, categories: [], excludeItemIds: [] });
      await expect(client.composeBundles({ bundle: { anchorItemIds: ['sku-unknown'] } })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
      await expect(client.composeBundles({ bundle: { anchorItemIds: [] } })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('anchor_item_ids') });
    } finally {
      client.close();
    }
  });

  it('answers INVALID_ARGUMENT to every malformed ComposeBundles request', async () => {
    const before = recommender.queries.length;
    const valid = { bundle: { userId: '@@', anchorItemIds: ['sku-phone'], size: 3, filters: { categories: ['Cases'] } } };
    const { sent, codes } = await statusesForMalformed(address, '/recmesh.bundler.v1.BundlerService/ComposeBundles', ComposeBundlesRequestSchema as DescMessage, valid as MessageInitShape<DescMessage>);
    expect(sent).toBeGreaterThan(50);
    expect(codes).toEqual(['INVALID_ARGUMENT']);
    expect(recommender.queries.length).toBe(before);
  });
});
