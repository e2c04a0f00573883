import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { BundleRequestSchema, BundlerService, createGrpcClient, DescService, FiltersSchema, GrpcClient, GrpcClientSecurity, ScorerService } from '@recmesh/contracts';
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
  servedByToWire,
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

/**
 * Reconnect at most 2 s apart: grpc-js's default backoff grows to 120 s, and
 * while a channel waits to reconnect every call fails fast, so a scorer or
 * bundler back after a longer outage could go unused for minutes.
 */
export const INTERNAL_CHANNEL_OPTIONS: grpc.ChannelOptions = { 'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 2000 };

/** An internal client's channel: TLS credentials and the key-sending interceptor of the process's security, when it has one. */
export function internalClientArgs(security: GrpcClientSecurity | undefined): [grpc.ChannelCredentials | undefined, grpc.ClientOptions] {
  return [security?.credentials, { ...INTERNAL_CHANNEL_OPTIONS, interceptors: [...(security?.interceptors ?? [])] }];
}

/** A generated client with the channel-based readiness the gateway reports. */
abstract class RemoteBackend<S extends DescService> {
  protected readonly client: GrpcClient<S>;
  private readonly readiness: GrpcChannelReadiness;

  constructor(service: S, address: string, security?: GrpcClientSecurity) {
    this.client = createGrpcClient(service, address, ...internalClientArgs(security));
    this.readiness = new GrpcChannelReadiness(this.client);
  }

  isReady(): boolean {
    return this.readiness.isReady();
  }

  close(): void {
    this.client.close();
  }
}

/** The scorer service over gRPC (recmesh.scorer.v1.ScorerService), for separate deployments. */
export class ScorerGrpcBackend extends RemoteBackend<typeof ScorerService> implements RecommendationBackend {
  constructor(address: string, security?: GrpcClientSecurity) {
    super(ScorerService, address, security);
  }

  recommend(q: RecommendQuery): Promise<Recommendations> {
    const request = { userId: q.userId, k: q.k, currentItemId: q.currentItemId ?? '', cartItemIds: [...q.cartItemIds], filters: create(FiltersSchema, filtersOf(q)), servedBy: servedByToWire(q.servedBy) };
    return calling('scorer', async () => recommendationsFromWire(await this.client.score(request, callOptions(q.deadlineMs))));
  }

  similarItems(q: SimilarQuery): Promise<Recommendations> {
    const request = { itemId: q.itemId, k: q.k, filters: create(FiltersSchema, filtersOf(q)), servedBy: servedByToWire(q.servedBy) };
    return calling('scorer', async () => recommendationsFromWire(await this.client.scoreSimilar(request, callOptions(q.deadlineMs))));
  }
}

/** The bundler service over gRPC (recmesh.bundler.v1.BundlerService), for separate deployments. */
export class BundlerGrpcBackend extends RemoteBackend<typeof BundlerService> implements BundleBackend {
  constructor(address: string, security?: GrpcClientSecurity) {
    super(BundlerService, address, security);
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
}
