import { create } from '@bufbuild/protobuf';
import { BundleRequest, Filters, RecommendRequest, RecommendRequestSchema, ScoreRequest, ScoreSimilarRequest, SimilarItemsRequest, SimilarItemsRequestSchema } from '@recmesh/contracts';
import { InvalidRequestError } from './serving-error';
import { BundleLimits, BundleQuery, ItemFilters, RecommendQuery, ServedBy, SimilarQuery } from './serving-queries';

/**
 * The one check of a request, with one limits object: each gRPC face (the
 * gateway for storefronts, the scorer and bundler for direct callers) turns a
 * valid message into a typed query and refuses anything else with
 * INVALID_ARGUMENT and a message naming the field. In process, scorer and
 * bundler take the typed query as it is.
 */
export const RequestLimits = {
  defaultK: 10,
  maxK: 200,
  maxIdLength: 128,
  maxCategoryLength: 256,
  maxPageLength: 128,
  maxListLength: 100,
  maxModelVersionLength: 128,
} as const;

/** What model versions are named with (trainer: `shop-<run>`, export: `<dataset>-<hash>`): no spaces, slashes or controls. */
const MODEL_VERSION = /^[A-Za-z0-9][A-Za-z0-9._:+-]*$/;

// C0 and C1 control characters plus DEL.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

function text(field: string, value: string | undefined, maxLength: number, required: boolean): string | undefined {
  const v = value ?? '';
  if (v === '') {
    if (required) throw new InvalidRequestError(`${field} is required`);
    return undefined;
  }
  if (v.length > maxLength) throw new InvalidRequestError(`${field} is longer than ${maxLength} characters`);
  if (CONTROL_CHARS.test(v)) throw new InvalidRequestError(`${field} contains control characters`);
  return v;
}

function list(field: string, values: readonly string[] | undefined, maxLength: number): string[] {
  const vs = values ?? [];
  if (vs.length > RequestLimits.maxListLength) throw new InvalidRequestError(`${field} has ${vs.length} entries, at most ${RequestLimits.maxListLength} are allowed`);
  return vs.map((v, i) => text(`${field}[${i}]`, v, maxLength, true) as string);
}

function k(value: number | undefined): number {
  const v = value ?? 0;
  if (v === 0) return RequestLimits.defaultK;
  if (!Number.isInteger(v) || v < 1 || v > RequestLimits.maxK) throw new InvalidRequestError(`k must be between 1 and ${RequestLimits.maxK} (0 means ${RequestLimits.defaultK}), got ${v}`);
  return v;
}

/** proto3 `optional`: undefined when the field was not sent (0 is a real bound). */
function price(field: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 0) throw new InvalidRequestError(`${field} must be a finite number >= 0, got ${value}`);
  return value;
}

function filters(f: Filters | undefined): ItemFilters {
  const minPrice = price('filters.min_price', f?.minPrice);
  const maxPrice = price('filters.max_price', f?.maxPrice);
  if (minPrice !== undefined && maxPrice !== undefined && minPrice > maxPrice) {
    throw new InvalidRequestError(`filters.min_price (${minPrice}) is above filters.max_price (${maxPrice}); min_price must not exceed max_price`);
  }
  return {
    categories: list('filters.categories', f?.categories, RequestLimits.maxCategoryLength),
    ...(minPrice !== undefined ? { minPrice } : {}),
    ...(maxPrice !== undefined ? { maxPrice } : {}),
    excludeItemIds: list('filters.exclude_item_ids', f?.excludeItemIds, RequestLimits.maxIdLength),
  };
}

/** Checks a Recommend request and turns it into a backend query (without its deadline). */
export function validateRecommendRequest(req: RecommendRequest): Omit<RecommendQuery, 'deadlineMs'> {
  const userId = text('user_id', req.userId, RequestLimits.maxIdLength, true) as string;
  const currentItemId = text('context.current_item_id', req.context?.currentItemId, RequestLimits.maxIdLength, false);
  const page = text('context.page', req.context?.page, RequestLimits.maxPageLength, false);
  text('context.session_id', req.context?.sessionId, RequestLimits.maxIdLength, false);
  return {
    userId,
    k: k(req.k),
    ...(currentItemId !== undefined ? { currentItemId } : {}),
    cartItemIds: list('context.cart_item_ids', req.context?.cartItemIds, RequestLimits.maxIdLength),
    ...(page !== undefined ? { page } : {}),
    ...filters(req.filters),
  };
}

/** Checks a SimilarItems request and turns it into a backend query (without its deadline). */
export function validateSimilarItemsRequest(req: SimilarItemsRequest): Omit<SimilarQuery, 'deadlineMs'> {
  const itemId = text('item_id', req.itemId, RequestLimits.maxIdLength, true) as string;
  const userId = text('user_id', req.userId, RequestLimits.maxIdLength, false);
  return {
    itemId,
    k: k(req.k),
    ...(userId !== undefined ? { userId } : {}),
    ...filters(req.filters),
  };
}

function bounded(field: string, value: number | undefined, min: number, max: number, fallback: number): number {
  const v = value ?? 0;
  if (v === 0) return fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw new InvalidRequestError(`${field} must be between ${min} and ${max} (0 means ${fallback}), got ${v}`);
  return v;
}

/** Checks a Bundle request and turns it into a bundler query (without its deadline). */
export function validateBundleRequest(req: BundleRequest): Omit<BundleQuery, 'deadlineMs'> {
  const userId = text('user_id', req.userId, RequestLimits.maxIdLength, false);
  const anchorItemIds = list('anchor_item_ids', req.anchorItemIds, RequestLimits.maxIdLength);
  if (anchorItemIds.length === 0) throw new InvalidRequestError('anchor_item_ids needs at least one item (the current item or the cart)');
  if (anchorItemIds.length > BundleLimits.maxAnchors) throw new InvalidRequestError(`anchor_item_ids has ${anchorItemIds.length} entries, at most ${BundleLimits.maxAnchors} are allowed`);
  const size = bounded('size', req.size, BundleLimits.minSize, BundleLimits.maxSize, BundleLimits.defaultSize);
  const anchors = new Set(anchorItemIds).size;
  if (size <= anchors) throw new InvalidRequestError(`size ${size} leaves no room next to ${anchors} anchor item(s)`);
  const budget = price('budget', req.budget);
  return {
    ...(userId !== undefined ? { userId } : {}),
    anchorItemIds,
    size,
    count: bounded('count', req.count, 1, BundleLimits.maxCount, BundleLimits.defaultCount),
    ...(budget !== undefined ? { budget } : {}),
    requireCategoryDiversity: req.requireCategoryDiversity,
    ...filters(req.filters),
  };
}

/** A model version a request names (an experiment arm's, say): required, at most 128 characters of [A-Za-z0-9._:+-]. */
export function validateModelVersion(field: string, value: string | undefined): string {
  const v = text(field, value, RequestLimits.maxModelVersionLength, true) as string;
  if (!MODEL_VERSION.test(v)) throw new InvalidRequestError(`${field} must be letters, digits and . _ : + - (starting with a letter or digit), got ${JSON.stringify(v)}`);
  return v;
}

/** The served_by oneof of the scorer's requests; unset is the serving model (no field on the query). */
function servedBy(value: ScoreRequest['servedBy']): { servedBy?: ServedBy } {
  switch (value.case) {
    case 'modelVersion':
      return { servedBy: { modelVersion: validateModelVersion('model_version', value.value) } };
    case 'popularity':
      return { servedBy: { strategy: 'popularity' } };
    default:
      return {};
  }
}

/** The scorer's internal Score request, checked as the Recommend request it carries. */
export function validateScoreRequest(req: ScoreRequest): Omit<RecommendQuery, 'deadlineMs'> {
  const { userId, k, currentItemId, cartItemIds, filters } = req;
  return { ...validateRecommendRequest(create(RecommendRequestSchema, { userId, k, context: { currentItemId, cartItemIds }, filters })), ...servedBy(req.servedBy) };
}

/** The scorer's internal ScoreSimilar request, checked as a SimilarItems request. */
export function validateScoreSimilarRequest(req: ScoreSimilarRequest): Omit<SimilarQuery, 'deadlineMs'> {
  const { itemId, k, filters } = req;
  return { ...validateSimilarItemsRequest(create(SimilarItemsRequestSchema, { itemId, k, filters })), ...servedBy(req.servedBy) };
}
