// Hostile serving requests for property-based fuzzing (issue 13): fast-check arbitraries for the
// storefront's Recommend, SimilarItems and Bundle requests and the scorer's Score and ScoreSimilar,
// and a check of the one request validation: it answers a valid query or throws InvalidRequestError
// naming the field, never anything else. Used by request-validation.fuzz.spec.ts, the gateway's gRPC
// fuzzing (libs/gateway-api/src/testing) and tools/bench/fuzz.
import { create, DescMessage, MessageShape } from '@bufbuild/protobuf';
import {
  BundleRequestSchema,
  FiltersSchema,
  RecommendRequestSchema,
  ScoreRequestSchema,
  ScoreSimilarRequestSchema,
  SimilarItemsRequestSchema,
} from '@recmesh/contracts';
import * as fc from 'fast-check';
import {
  RequestLimits,
  validateBundleRequest,
  validateRecommendRequest,
  validateScoreRequest,
  validateScoreSimilarRequest,
  validateSimilarItemsRequest,
} from '../request-validation';
import { InvalidRequestError } from '../serving-error';
import { BundleLimits, ItemFilters } from '../serving-queries';

/** Any UTF-16 code unit, lone surrogates included (an in-process caller can send them). */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** Strings a caller may send: mostly ids, sometimes empty, blank, overlong or with C0/C1 controls. */
export const requestText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-z0-9-]{1,20}$/), weight: 10 },
  { arbitrary: fc.constantFrom('', ' ', '\u0000', '\u0085', '\u009f', '\u00a0', '\u2028', 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(256), 'x'.repeat(257), 'é'.repeat(128), '😀'.repeat(64), '\ud800'), weight: 2 },
  { arbitrary: fc.string({ maxLength: 30 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }), weight: 1 },
  { arbitrary: fc.string({ unit: codeUnit, maxLength: 30 }), weight: 1 },
  { arbitrary: fc.string({ minLength: 120, maxLength: 300 }), weight: 1 },
);

/** A list of ids: short usually, up to past the 100-entry limit. */
const textList = fc.oneof(
  { arbitrary: fc.array(requestText, { maxLength: 4 }), weight: 8 },
  { arbitrary: fc.array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 95, maxLength: 110 }), weight: 1 },
);

/** uint32 fields: small mostly, else anything a uint32 holds. */
function uint32(typicalMax: number): fc.Arbitrary<number> {
  return fc.oneof({ arbitrary: fc.integer({ min: 0, max: typicalMax }), weight: 8 }, { arbitrary: fc.integer({ min: 0, max: 2 ** 32 - 1 }), weight: 1 });
}

/** proto3 optional double: unset, a price, or anything (negative, NaN, infinite, -0). */
const optionalDouble: fc.Arbitrary<number | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 4 },
  { arbitrary: fc.double({ min: 0, max: 5000, noNaN: true }), weight: 4 },
  { arbitrary: fc.double(), weight: 2 },
);

const filters = fc.option(
  fc.record({ categories: textList, minPrice: optionalDouble, maxPrice: optionalDouble, excludeItemIds: textList }).map((f) => create(FiltersSchema, f)),
  { freq: 2 },
);

export const recommendRequest = fc
  .record({
    userId: requestText,
    k: uint32(250),
    context: fc.option(fc.record({ currentItemId: requestText, cartItemIds: textList, page: requestText, sessionId: requestText }), { freq: 2 }),
    filters,
  })
  .map((r) => create(RecommendRequestSchema, { ...r, context: r.context ?? undefined, filters: r.filters ?? undefined }));

export const similarItemsRequest = fc
  .record({ itemId: requestText, k: uint32(250), filters, userId: requestText })
  .map((r) => create(SimilarItemsRequestSchema, { ...r, filters: r.filters ?? undefined }));

export const bundleRequest = fc
  .record({
    userId: requestText,
    anchorItemIds: fc.oneof({ arbitrary: fc.array(requestText, { maxLength: 3 }), weight: 8 }, { arbitrary: textList, weight: 1 }),
    size: uint32(7),
    count: uint32(25),
    budget: optionalDouble,
    filters,
    requireCategoryDiversity: fc.boolean(),
  })
  .map((r) => create(BundleRequestSchema, { ...r, filters: r.filters ?? undefined }));

const servedBy = fc.oneof(
  fc.constant({ case: undefined }),
  fc.constant({ case: 'popularity' as const, value: {} }),
  fc.oneof(requestText, fc.constantFrom('shop-42', 'a/b', ' v1', 'v1:2+3', '-v')).map((value) => ({ case: 'modelVersion' as const, value })),
);

export const scoreRequest = fc
  .record({ userId: requestText, k: uint32(250), currentItemId: requestText, cartItemIds: textList, filters, servedBy })
  .map((r) => create(ScoreRequestSchema, { ...r, filters: r.filters ?? undefined }));

export const scoreSimilarRequest = fc
  .record({ itemId: requestText, k: uint32(250), filters, servedBy })
  .map((r) => create(ScoreSimilarRequestSchema, { ...r, filters: r.filters ?? undefined }));

/** The gateway's methods with their request arbitraries (by proto method name). */
export const GATEWAY_REQUESTS = {
  Recommend: { schema: RecommendRequestSchema, arbitrary: recommendRequest },
  SimilarItems: { schema: SimilarItemsRequestSchema, arbitrary: similarItemsRequest },
  Bundle: { schema: BundleRequestSchema, arbitrary: bundleRequest },
} as const satisfies Record<string, { schema: DescMessage; arbitrary: fc.Arbitrary<object> }>;

export type GatewayMethodName = keyof typeof GATEWAY_REQUESTS;

/** Every validated request kind, as one tagged arbitrary. */
export type ServingRequest =
  | { kind: 'Recommend'; request: MessageShape<typeof RecommendRequestSchema> }
  | { kind: 'SimilarItems'; request: MessageShape<typeof SimilarItemsRequestSchema> }
  | { kind: 'Bundle'; request: MessageShape<typeof BundleRequestSchema> }
  | { kind: 'Score'; request: MessageShape<typeof ScoreRequestSchema> }
  | { kind: 'ScoreSimilar'; request: MessageShape<typeof ScoreSimilarRequestSchema> };

export const servingRequests: fc.Arbitrary<ServingRequest> = fc.oneof(
  recommendRequest.map((request) => ({ kind: 'Recommend' as const, request })),
  similarItemsRequest.map((request) => ({ kind: 'SimilarItems' as const, request })),
  bundleRequest.map((request) => ({ kind: 'Bundle' as const, request })),
  scoreRequest.map((request) => ({ kind: 'Score' as const, request })),
  scoreSimilarRequest.map((request) => ({ kind: 'ScoreSimilar' as const, request })),
);

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/** Field names an INVALID_ARGUMENT message may start with or name. */
const FIELDS = /^(user_id|item_id|k|context\.\w+|filters\.\w+|anchor_item_ids|size|count|budget|model_version)\b/;

function fail(problem: string): never {
  throw new Error(problem);
}

function checkId(field: string, value: string | undefined, required: boolean, maxLength: number = RequestLimits.maxIdLength): void {
  if (value === undefined) {
    if (required) fail(`${field} is missing from a validated query`);
    return;
  }
  if (value === '' || value.length > maxLength || CONTROL_CHARS.test(value)) fail(`${field} ${JSON.stringify(value)} passed validation`);
}

function checkFilters(f: ItemFilters): void {
  for (const [name, list, maxLength] of [['categories', f.categories, RequestLimits.maxCategoryLength], ['excludeItemIds', f.excludeItemIds, RequestLimits.maxIdLength]] as const) {
    if (!list || list.length > RequestLimits.maxListLength) fail(`filters.${name} has ${list?.length} entries`);
    list.forEach((v, i) => checkId(`filters.${name}[${i}]`, v, true, maxLength));
  }
  for (const p of [f.minPrice, f.maxPrice]) if (p !== undefined && (!Number.isFinite(p) || p < 0)) fail(`a price bound ${p} passed validation`);
  if (f.minPrice !== undefined && f.maxPrice !== undefined && f.minPrice > f.maxPrice) fail('min_price > max_price passed validation');
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > RequestLimits.maxK) fail(`k=${k} passed validation`);
}

/**
 * Runs the request through its validation. Returns 'accepted' (after checking the query keeps
 * every limit), or `invalid_argument:<field>` for an InvalidRequestError whose message names the
 * field; anything else thrown, or a query outside the limits, throws.
 */
export function checkServingRequest(input: ServingRequest): string {
  try {
    switch (input.kind) {
      case 'Recommend':
      case 'Score': {
        const q = input.kind === 'Recommend' ? validateRecommendRequest(input.request) : validateScoreRequest(input.request);
        checkId('user_id', q.userId, true);
        checkId('current_item_id', q.currentItemId, false);
        checkId('page', q.page, false, RequestLimits.maxPageLength);
        checkK(q.k);
        if (q.cartItemIds.length > RequestLimits.maxListLength) fail('cart_item_ids over the limit passed validation');
        q.cartItemIds.forEach((v, i) => checkId(`cart_item_ids[${i}]`, v, true));
        checkFilters(q);
        break;
      }
      case 'SimilarItems':
      case 'ScoreSimilar': {
        const q = input.kind === 'SimilarItems' ? validateSimilarItemsRequest(input.request) : validateScoreSimilarRequest(input.request);
        checkId('item_id', q.itemId, true);
        checkId('user_id', q.userId, false);
        checkK(q.k);
        checkFilters(q);
        break;
      }
      case 'Bundle': {
        const q = validateBundleRequest(input.request);
        checkId('user_id', q.userId, false);
        if (q.anchorItemIds.length < 1 || q.anchorItemIds.length > BundleLimits.maxAnchors) fail(`${q.anchorItemIds.length} anchors passed validation`);
        q.anchorItemIds.forEach((v, i) => checkId(`anchor_item_ids[${i}]`, v, true));
        if (!Number.isInteger(q.size) || q.size < BundleLimits.minSize || q.size > BundleLimits.maxSize || q.size <= new Set(q.anchorItemIds).size) fail(`size ${q.size} passed validation`);
        if (!Number.isInteger(q.count) || q.count < 1 || q.count > BundleLimits.maxCount) fail(`count ${q.count} passed validation`);
        if (q.budget !== undefined && (!Number.isFinite(q.budget) || q.budget < 0)) fail(`budget ${q.budget} passed validation`);
        checkFilters(q);
        break;
      }
    }
    return 'accepted';
  } catch (error) {
    if (!(error instanceof InvalidRequestError)) throw error;
    const field = FIELDS.exec(error.message)?.[1];
    if (!field) throw new Error(`INVALID_ARGUMENT message names no field: ${JSON.stringify(error.message)}`);
    return `invalid_argument:${field.replace(/\[.*$/, '')}`;
  }
}
