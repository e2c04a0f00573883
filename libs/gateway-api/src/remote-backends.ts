import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { BundleRequestSchema, BundlerService, createGrpcClient, FiltersSchema, GrpcClient, ScorerService } from '@recmesh/contracts';
import {
  BundleAnswer,
  bundleAnswerFromWire,
  BundleBackend,
  BundleQuery,
  filtersOf,
  GrpcChannelReadiness,
  RecommendationBackend,
  Recommendations,
  recommendationsFromWire,
  RecommendQuery,
  servingErrorFromGrpc,
  SimilarQuery,
} from '@recmesh/serving-core';

/** A failed call as the serving vocabulary (the server's code comes back; a dead peer is UNAVAILABLE). */
async function calling<T>(callee: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const e = error as Partial<grpc.ServiceError>;
    throw typeof e.code === 'number' ? servingErrorFromGrpc({ code: e.code, details: e.details ?? e.message ?? '' }, callee) : error;
  }
}

const callOptions = (deadlineMs: number | undefined): grpc.CallOptions => (deadlineMs !== undefined ? { deadline: deadlineMs } : {});

/** The scorer service over gRPC (recmesh.scorer.v1.ScorerService), for separate deployments. */
export class ScorerGrpcBackend implements RecommendationBackend {
  private readonly client: GrpcClient<typeof ScorerService>;
  private readonly readiness: GrpcChannelReadiness;

  constructor(address: string) {
    this.client = createGrpcClient(ScorerService, address);
    this.readiness = new GrpcChannelReadiness(this.client);
  }

  recommend(q: RecommendQuery): Promise<Recommendations> {
    const request = { userId: q.userId, k: q.k, currentItemId: q.currentItemId ?? '', cartItemIds: [...q.cartItemIds], filters: create(FiltersSchema, filtersOf(q)) };
    return calling('scorer', async () => recommendationsFromWire(await this.client.score(request, callOptions(q.deadlineMs))));
  }

  similarItems(q: SimilarQuery): Promise<Recommendations> {
    const request = { itemId: q.itemId, k: q.k, filters: create(FiltersSchema, filtersOf(q)) };
    return calling('scorer', async () => recommendationsFromWire(await this.client.scoreSimilar(request, callOptions(q.deadlineMs))));
  }

  isReady(): boolean {
    return this.readiness.isReady();
  }

  close(): void {
    this.client.close();
  }
}

/** The bundler service over gRPC (recmesh.bundler.v1.BundlerService), for separate deployments. */
export class BundlerGrpcBackend implements BundleBackend {
  private readonly client: GrpcClient<typeof BundlerService>;
  private readonly readiness: GrpcChannelReadiness;

  constructor(address: string) {
    this.client = createGrpcClient(BundlerService, address);
    this.readiness = new GrpcChannelReadiness(this.client);
  }

  bundles(q: BundleQuery): Promise<BundleAnswer> {
    const bundle = create(BundleRequestSchema, {
      userId: q.userId ?? '',
      anchorItemIds: [...q.anchorItemIds],
      size: q.size,
      count: q.count,
      budget: q.budget,
      requireCategoryDiversity: q.requireCategoryDiversity,
      filters: create(FiltersSchema, filtersOf(q)),
    });
    return calling('bundler', async () => bundleAnswerFromWire(await this.client.composeBundles({ bundle }, callOptions(q.deadlineMs))));
  }

  isReady(): boolean {
    return this.readiness.isReady();
  }

  close(): void {
    this.client.close();
  }
}
