import { ScorerService } from '@recmesh/contracts';
import { InternalGrpcServer, recommendationsToWire, ServedBy, validateScoreRequest, validateScoreSimilarRequest } from '@recmesh/serving-core';
import { ScorerGrpcBackend } from './remote-backends';

describe('ScorerGrpcBackend', () => {
  let server: InternalGrpcServer;
  let scorer: ScorerGrpcBackend;
  // A scorer that answers with what it was asked to serve, as the real one reads it.
  const echo = (servedBy: ServedBy | undefined) => recommendationsToWire({ items: [], modelVersion: JSON.stringify(servedBy ?? 'serving') });

  beforeAll(async () => {
    server = new InternalGrpcServer('fake-scorer').add(ScorerService, {
      score: async (request) => echo(validateScoreRequest(request).servedBy),
      scoreSimilar: async (request) => echo(validateScoreSimilarRequest(request).servedBy),
    });
    scorer = new ScorerGrpcBackend(`127.0.0.1:${await server.start(0, '127.0.0.1')}`);
  });
  afterAll(async () => {
    scorer.close();
    await server.stop(100);
  });

  it.each<[string, ServedBy | undefined]>([
    ['the serving model', undefined],
    ['a model version', { modelVersion: 'shop-candidate-7' }],
    ['the popularity baseline', { strategy: 'popularity' }],
  ])('sends what an arm serves to the scorer: %s', async (_name, servedBy) => {
    const want = JSON.stringify(servedBy ?? 'serving');
    const query = { k: 3, categories: [], excludeItemIds: [], ...(servedBy ? { servedBy } : {}) };
    expect((await scorer.recommend({ ...query, userId: 'u-1', cartItemIds: [] })).modelVersion).toBe(want);
    expect((await scorer.similarItems({ ...query, itemId: 'sku-1' })).modelVersion).toBe(want);
  });
});
