import { create, MessageInitShape } from '@bufbuild/protobuf';
import { RecommendRequestSchema, ScoreRequestSchema, ScoreSimilarRequestSchema, SimilarItemsRequestSchema } from '@recmesh/contracts';
import { InvalidRequestError } from './serving-error';
import * as validation from './request-validation';

// Requests as the gRPC server decodes them (protobuf-es messages).
const validateRecommendRequest = (init: MessageInitShape<typeof RecommendRequestSchema>) => validation.validateRecommendRequest(create(RecommendRequestSchema, init));
const validateSimilarItemsRequest = (init: MessageInitShape<typeof SimilarItemsRequestSchema>) => validation.validateSimilarItemsRequest(create(SimilarItemsRequestSchema, init));

describe('request validation', () => {
  it('fills defaults and leaves unset optionals out of the query', () => {
    expect(validateRecommendRequest({ userId: 'u-1', k: 0 })).toEqual({
      userId: 'u-1',
      k: 10,
      cartItemIds: [],
      categories: [],
      excludeItemIds: [],
    });
    expect(validateSimilarItemsRequest({ itemId: 'sku-1', k: 200, userId: '' })).toEqual({ itemId: 'sku-1', k: 200, categories: [], excludeItemIds: [] });
  });

  it('treats a price as set only when it was sent (0 is a real bound)', () => {
    expect(validateRecommendRequest({ userId: 'u', filters: { minPrice: 0 } }).minPrice).toBe(0);
    expect(validateRecommendRequest({ userId: 'u', filters: {} })).not.toHaveProperty('minPrice');
    expect(validateRecommendRequest({ userId: 'u', filters: { minPrice: 5, maxPrice: 5 } })).toMatchObject({ minPrice: 5, maxPrice: 5 });
  });

  it.each([
    [{ userId: 'u', filters: { maxPrice: Number.NaN } }, 'filters.max_price must be a finite number'],
    [{ userId: 'u', filters: { minPrice: Number.POSITIVE_INFINITY } }, 'filters.min_price must be a finite number'],
    [{ userId: 'u', k: 2.5 }, 'k must be between 1 and 200'],
    [{ userId: 'u', context: { page: 'p'.repeat(129) } }, 'context.page is longer than 128 characters'],
    [{ userId: 'u', context: { sessionId: 's\u0085' } }, 'context.session_id contains control characters'],
    [{ userId: 'u', filters: { categories: ['Shoes', 'c'.repeat(257)] } }, 'filters.categories[1] is longer than 256 characters'],
  ] as Array<[MessageInitShape<typeof RecommendRequestSchema>, string]>)('refuses %j', (request, message) => {
    expect(() => validateRecommendRequest(request)).toThrow(InvalidRequestError);
    expect(() => validateRecommendRequest(request)).toThrow(message);
  });

  it('accepts exactly 100 list entries and 128-character ids', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => `sku-${i}`);
    const q = validateRecommendRequest({ userId: 'u'.repeat(128), context: { cartItemIds: hundred }, filters: { categories: hundred, excludeItemIds: hundred } });
    expect(q.cartItemIds).toHaveLength(100);
    expect(q.userId).toHaveLength(128);
  });

  it('reads what answers a scorer request: a model version, the popularity baseline, or (unset) the serving model', () => {
    expect(validation.validateScoreRequest(create(ScoreRequestSchema, { userId: 'u', servedBy: { case: 'modelVersion', value: 'shop-2a49b48ce278' } })).servedBy).toEqual({ modelVersion: 'shop-2a49b48ce278' });
    expect(validation.validateScoreRequest(create(ScoreRequestSchema, { userId: 'u', servedBy: { case: 'popularity', value: {} } })).servedBy).toEqual({ strategy: 'popularity' });
    expect(validation.validateScoreRequest(create(ScoreRequestSchema, { userId: 'u' }))).not.toHaveProperty('servedBy');
    expect(validation.validateScoreSimilarRequest(create(ScoreSimilarRequestSchema, { itemId: 'i', servedBy: { case: 'modelVersion', value: 'tiny-fixture-1' } })).servedBy).toEqual({ modelVersion: 'tiny-fixture-1' });
  });

  it.each([
    ['', 'model_version is required'],
    ['v'.repeat(129), 'model_version is longer than 128 characters'],
    ['../models/x', 'model_version must be letters, digits'],
    ['shop 1', 'model_version must be letters, digits'],
    ['-v1', 'model_version must be letters, digits'],
  ])('refuses the model version %j', (modelVersion, message) => {
    const request = create(ScoreRequestSchema, { userId: 'u', servedBy: { case: 'modelVersion', value: modelVersion } });
    expect(() => validation.validateScoreRequest(request)).toThrow(InvalidRequestError);
    expect(() => validation.validateScoreRequest(request)).toThrow(message);
  });
});
