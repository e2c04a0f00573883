import { create } from '@bufbuild/protobuf';
import {
  BundleItemSchema,
  ComposeBundlesResponse,
  ComposeBundlesResponseSchema,
  PopularityBaselineSchema,
  ProductBundleSchema,
  ScoredItem,
  ScoredItemSchema,
  ScoreResponse,
  ScoreRequest,
  ScoreResponseSchema,
} from '@recmesh/contracts';
import { reasonCodeFromWire, reasonCodeToWire } from './reasons';
import type { BundleAnswer, BundledItem, RecommendedItem, Recommendations, ServedBy } from './serving-queries';

/** One recommended item as recmesh.gateway.v1.ScoredItem; every gRPC face (scorer, bundler, gateway) answers with it. */
export function scoredItemToWire(item: RecommendedItem, modelVersion: string): ScoredItem {
  return create(ScoredItemSchema, {
    itemId: item.itemId,
    score: item.score,
    reason: item.reason,
    reasonCode: reasonCodeToWire(item.reasonCode),
    modelVersion,
    title: item.title ?? '',
    ...(item.price !== undefined ? { price: item.price } : {}),
  });
}

export function scoredItemFromWire(item: ScoredItem | undefined): RecommendedItem {
  return {
    itemId: item?.itemId ?? '',
    score: item?.score ?? 0,
    reason: item?.reason ?? '',
    reasonCode: reasonCodeFromWire(item?.reasonCode ?? 0),
    title: item?.title || undefined,
    price: item?.price,
  };
}

export function recommendationsToWire(answer: Recommendations): ScoreResponse {
  return create(ScoreResponseSchema, { modelVersion: answer.modelVersion, items: answer.items.map((i) => scoredItemToWire(i, answer.modelVersion)) });
}

export function recommendationsFromWire(response: ScoreResponse): Recommendations {
  return { modelVersion: response.modelVersion, items: response.items.map(scoredItemFromWire) };
}

/** What answers a query as the served_by oneof of recmesh.scorer.v1.ScoreRequest and ScoreSimilarRequest (validateScoreRequest reads it back). */
export function servedByToWire(servedBy: ServedBy | undefined): ScoreRequest['servedBy'] {
  if (servedBy === undefined) return { case: undefined };
  if ('modelVersion' in servedBy) return { case: 'modelVersion', value: servedBy.modelVersion };
  return { case: 'popularity', value: create(PopularityBaselineSchema) };
}

/** Bundles as recmesh.gateway.v1.ProductBundle messages (the bundler's and the gateway's answers share them). */
export function bundlesToWire(answer: BundleAnswer) {
  return answer.bundles.map((b) =>
    create(ProductBundleSchema, {
      totalScore: b.totalScore,
      totalPrice: b.totalPrice,
      reason: b.reason,
      items: b.items.map((i) => create(BundleItemSchema, { role: i.role, item: scoredItemToWire(i, answer.modelVersion) })),
    }),
  );
}

export function bundleAnswerToWire(answer: BundleAnswer): ComposeBundlesResponse {
  return create(ComposeBundlesResponseSchema, { modelVersion: answer.modelVersion, bundles: bundlesToWire(answer) });
}

export function bundleAnswerFromWire(response: ComposeBundlesResponse): BundleAnswer {
  return {
    modelVersion: response.modelVersion,
    bundles: response.bundles.map((b) => ({
      totalScore: b.totalScore,
      totalPrice: b.totalPrice,
      reason: b.reason,
      items: b.items.map((i): BundledItem => ({ ...scoredItemFromWire(i.item), role: i.role })),
    })),
  };
}
