import { status } from '@grpc/grpc-js';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { Controller, Inject, Logger } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { DeadlineExceededError, QueueFullError } from './micro-batcher';
import { scoredItemToWire } from './scored-item-wire';
import { Recommendations, RecommendationScorer, UnknownItemError } from './recommendation-scorer';

export const RECOMMENDATION_SCORER = Symbol('RECOMMENDATION_SCORER');

/** Wire shapes as @grpc/proto-loader decodes them (camelCase, defaults on). */
interface WireFilters {
  categories?: string[];
  minPrice?: number;
  maxPrice?: number;
  excludeItemIds?: string[];
}
interface WireScoreRequest {
  userId?: string;
  k?: number;
  currentItemId?: string;
  cartItemIds?: string[];
  filters?: WireFilters | null;
}
interface WireSimilarRequest {
  itemId?: string;
  k?: number;
  filters?: WireFilters | null;
}


const MAX_K = 200;
const MAX_LIST = 100;

function invalid(message: string): RpcException {
  return new RpcException({ code: status.INVALID_ARGUMENT, message });
}

function requireId(name: string, value: string | undefined): string {
  if (!value || value.trim() === '') throw invalid(`${name} is required`);
  // eslint-disable-next-line no-control-regex
  if (value.length > 128 || /[\u0000-\u001f]/.test(value)) throw invalid(`${name} must be at most 128 printable characters`);
  return value;
}

function checkK(k: number | undefined): number {
  const value = k || 10;
  if (!Number.isInteger(value) || value < 1 || value > MAX_K) throw invalid(`k must be between 1 and ${MAX_K}`);
  return value;
}

function checkFilters(f: WireFilters | null | undefined) {
  const filters = { categories: f?.categories ?? [], excludeItemIds: f?.excludeItemIds ?? [], minPrice: f?.minPrice ?? undefined, maxPrice: f?.maxPrice ?? undefined };
  if (filters.categories.length > MAX_LIST || filters.excludeItemIds.length > MAX_LIST) throw invalid(`at most ${MAX_LIST} categories and excluded ids`);
  if ((filters.minPrice ?? 0) < 0 || (filters.maxPrice ?? 0) < 0) throw invalid('prices must not be negative');
  if (filters.minPrice !== undefined && filters.maxPrice !== undefined && filters.minPrice > filters.maxPrice) throw invalid('min_price must not exceed max_price');
  return filters;
}

/** gRPC face of the scorer (recmesh.scorer.v1.ScorerService), used by the gateway. */
@Controller()
export class ScorerGrpcController {
  private readonly logger = new Logger(ScorerGrpcController.name);

  constructor(@Inject(RECOMMENDATION_SCORER) private readonly scorer: RecommendationScorer) {}

  @GrpcMethod('ScorerService', 'Score')
  async score(request: WireScoreRequest, _metadata: unknown, call: ServerUnaryCall<unknown, unknown>) {
    const query = {
      userId: requireId('user_id', request.userId),
      k: checkK(request.k),
      currentItemId: request.currentItemId || undefined,
      cartItemIds: request.cartItemIds ?? [],
      deadlineMs: deadlineOf(call),
      ...checkFilters(request.filters),
    };
    if (query.cartItemIds.length > MAX_LIST) throw invalid(`at most ${MAX_LIST} cart items`);
    return this.answer(() => this.scorer.recommend(query));
  }

  @GrpcMethod('ScorerService', 'ScoreSimilar')
  async scoreSimilar(request: WireSimilarRequest, _metadata: unknown, call: ServerUnaryCall<unknown, unknown>) {
    const query = { itemId: requireId('item_id', request.itemId), k: checkK(request.k), deadlineMs: deadlineOf(call), ...checkFilters(request.filters) };
    return this.answer(() => this.scorer.similarItems(query));
  }

  private async answer(work: () => Promise<Recommendations>) {
    try {
      const { items, modelVersion } = await work();
      return {
        modelVersion,
        items: items.map((i) => scoredItemToWire(i, modelVersion)),
      };
    } catch (error) {
      if (error instanceof UnknownItemError) throw new RpcException({ code: status.NOT_FOUND, message: error.message });
      if (error instanceof QueueFullError) throw new RpcException({ code: status.RESOURCE_EXHAUSTED, message: error.message });
      if (error instanceof DeadlineExceededError) throw new RpcException({ code: status.DEADLINE_EXCEEDED, message: error.message });
      this.logger.error(`scoring failed: ${(error as Error).stack ?? error}`);
      throw new RpcException({ code: status.INTERNAL, message: 'scoring failed' });
    }
  }
}

/** The client's deadline of a unary call in epoch ms, if it set one. */
export function deadlineOf(call: ServerUnaryCall<unknown, unknown> | undefined): number | undefined {
  const deadline = call?.getDeadline?.();
  if (deadline === undefined || deadline === Infinity) return undefined;
  return deadline instanceof Date ? deadline.getTime() : Number(deadline);
}
