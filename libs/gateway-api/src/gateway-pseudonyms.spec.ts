import { create, fromBinary } from '@bufbuild/protobuf';
import { RecommendationServedSchema, RecommendRequestSchema, resolveTopicNames, SimilarItemsRequestSchema } from '@recmesh/contracts';
import { InMemoryMessageBus } from '@recmesh/messaging';
import { pseudonymizer } from '@recmesh/service-config';
import { RecommendationBackend, RecommendQuery, SimilarQuery } from '@recmesh/serving-core';
import { Registry } from 'prom-client';
import { GatewayGrpcServer } from './gateway-grpc-server';
import { GatewayMetrics } from './gateway-metrics';

const topics = resolveTopicNames('');

describe('GatewayGrpcServer with RECMESH_PSEUDONYM_KEY', () => {
  it('looks shoppers up, and publishes their served lists, by the pseudonym ingest keeps, never the raw id', async () => {
    const pseudonymize = pseudonymizer('a-key-of-at-least-thirty-two-characters');
    const bus = new InMemoryMessageBus();
    await bus.ensureTopics([{ name: topics.recommendationsServed, partitions: 6 }]);
    const seen: Array<RecommendQuery | SimilarQuery> = [];
    const answer = { modelVersion: 'm1', items: [{ itemId: 'sku-1', score: 1, reason: 'Trending now', reasonCode: 'trending' as const }] };
    const backend: RecommendationBackend = {
      recommend: async (q) => (seen.push(q), answer),
      similarItems: async (q) => (seen.push(q), answer),
      isReady: () => true,
    };
    const server = new GatewayGrpcServer({ backend, bus, servedTopic: topics.recommendationsServed, metrics: new GatewayMetrics(new Registry()), maxInFlight: 8, defaultDeadlineMs: 2000, pseudonymize });
    try {
      await server.invoke('Recommend', create(RecommendRequestSchema, { userId: 'alice@example.com', k: 1 }));
      await server.invoke('SimilarItems', create(SimilarItemsRequestSchema, { itemId: 'sku-9', userId: 'alice@example.com', k: 1 }));
      await server.invoke('SimilarItems', create(SimilarItemsRequestSchema, { itemId: 'sku-9', k: 1 }));
      await server.flushPublishes();
    } finally {
      await bus.close();
    }
    expect(seen.map((q) => q.userId)).toEqual([pseudonymize('alice@example.com'), pseudonymize('alice@example.com'), undefined]);
    const served = bus.read(topics.recommendationsServed);
    expect(served.map((m) => fromBinary(RecommendationServedSchema, m.value!).userId).sort()).toEqual(['', pseudonymize('alice@example.com'), pseudonymize('alice@example.com')]);
    expect(served.map((m) => m.value!.toString('latin1')).join('')).not.toContain('alice');
  });
});
