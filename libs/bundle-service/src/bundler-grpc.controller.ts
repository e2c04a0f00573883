import { status } from '@grpc/grpc-js';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { Controller, Inject, Logger } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { DeadlineExceededError, deadlineOf, QueueFullError, scoredItemToWire, UnknownItemError } from '@recmesh/scoring';
import { BundleAnswer, BundleLimits, BundleQuery, BundleRecommender, InvalidBundleQueryError } from './bundle-recommender';

export const BUNDLE_RECOMMENDER = Symbol('BUNDLE_RECOMMENDER');

/** recmesh.gateway.v1.BundleRequest as @grpc/proto-loader decodes it (camelCase, defaults, synthetic oneofs). */
export interface WireBundleRequest {
  userId?: string | null;
  anchorItemIds?: string[] | null;
  size?: number | null;
  count?: number | null;
  budget?: number | null;
  _budget?: string | null;
  filters?: { categories?: string[] | null; minPrice?: number | null; _minPrice?: string | null; maxPrice?: number | null; _maxPrice?: string | null; excludeItemIds?: string[] | null } | null;
  requireCategoryDiversity?: boolean | null;
}

/** The wire request as a query; the recommender checks the meaning (sizes, counts, budget). */
export function bundleQueryFromWire(b: WireBundleRequest, deadlineMs?: number): BundleQuery {
  const f = b.filters ?? {};
  return {
    ...(b.userId ? { userId: b.userId } : {}),
    anchorItemIds: b.anchorItemIds ?? [],
    size: b.size || BundleLimits.defaultSize,
    count: b.count || BundleLimits.defaultCount,
    ...(b._budget === 'budget' ? { budget: b.budget ?? 0 } : {}),
    requireCategoryDiversity: b.requireCategoryDiversity ?? false,
    categories: f.categories ?? [],
    ...(f._minPrice === 'minPrice' ? { minPrice: f.minPrice ?? 0 } : {}),
    ...(f._maxPrice === 'maxPrice' ? { maxPrice: f.maxPrice ?? 0 } : {}),
    excludeItemIds: f.excludeItemIds ?? [],
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
  };
}

/** The answer as recmesh.bundler.v1.ComposeBundlesResponse (proto-loader shapes). */
export function bundleAnswerToWire(answer: BundleAnswer) {
  return {
    modelVersion: answer.modelVersion,
    bundles: answer.bundles.map((b) => ({
      totalScore: b.totalScore,
      totalPrice: b.totalPrice,
      reason: b.reason,
      items: b.items.map((i) => ({
        role: i.role,
        item: scoredItemToWire(i, answer.modelVersion),
      })),
    })),
  };
}

/** gRPC face of the bundler (recmesh.bundler.v1.BundlerService), used by the gateway. */
@Controller()
export class BundlerGrpcController {
  private readonly logger = new Logger(BundlerGrpcController.name);

  constructor(@Inject(BUNDLE_RECOMMENDER) private readonly bundler: BundleRecommender) {}

  @GrpcMethod('BundlerService', 'ComposeBundles')
  async composeBundles(request: { bundle?: WireBundleRequest | null }, _metadata: unknown, call: ServerUnaryCall<unknown, unknown>) {
    try {
      return bundleAnswerToWire(await this.bundler.compose(bundleQueryFromWire(request.bundle ?? {}, deadlineOf(call))));
    } catch (error) {
      if (error instanceof InvalidBundleQueryError) throw new RpcException({ code: status.INVALID_ARGUMENT, message: error.message });
      if (error instanceof UnknownItemError) throw new RpcException({ code: status.NOT_FOUND, message: error.message });
      if (error instanceof QueueFullError) throw new RpcException({ code: status.RESOURCE_EXHAUSTED, message: error.message });
      if (error instanceof DeadlineExceededError) throw new RpcException({ code: status.DEADLINE_EXCEEDED, message: error.message });
      this.logger.error(`bundling failed: ${(error as Error).stack ?? error}`);
      throw new RpcException({ code: status.INTERNAL, message: 'bundling failed' });
    }
  }
}
