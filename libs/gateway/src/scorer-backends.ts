import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { QueueFullError, reasonCodeFromWire, Recommendations, RecommendationScorer, UnknownItemError as ScorerUnknownItemError } from '@recmesh/scoring';
import { BackendAnswer, BackendItem, BackendOverloadedError, RecommendationBackend, RecommendQuery, SimilarQuery, UnknownItemError } from './recommendation-backend';
import { GrpcChannelReadiness } from './grpc-channel-readiness';

const PROTO_ROOT = path.resolve(__dirname, '../../../proto');

function filtersOf(q: RecommendQuery | SimilarQuery) {
  return { categories: q.categories, minPrice: q.minPrice, maxPrice: q.maxPrice, excludeItemIds: q.excludeItemIds };
}

/** The scorer in the same process (embedded default, standalone). */
export class InProcessScorerBackend implements RecommendationBackend {
  constructor(
    private readonly scorer: RecommendationScorer,
    private readonly ready: () => boolean = () => true,
  ) {}

  recommend(q: RecommendQuery): Promise<BackendAnswer> {
    return this.translate(() =>
      this.scorer.recommend({ userId: q.userId, k: q.k, currentItemId: q.currentItemId, cartItemIds: q.cartItemIds, deadlineMs: q.deadlineMs, ...filtersOf(q) }),
    );
  }

  similarItems(q: SimilarQuery): Promise<BackendAnswer> {
    return this.translate(() => this.scorer.similarItems({ itemId: q.itemId, k: q.k, deadlineMs: q.deadlineMs, ...filtersOf(q) }));
  }

  isReady(): boolean {
    return this.ready();
  }

  private async translate(work: () => Promise<Recommendations>): Promise<BackendAnswer> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ScorerUnknownItemError) throw new UnknownItemError(error.message);
      if (error instanceof QueueFullError) throw new BackendOverloadedError(error.message);
      throw error;
    }
  }
}

interface WireItem {
  itemId: string;
  score: number;
  reason: string;
  reasonCode: string;
  title: string;
  price?: number;
}
type WireCall = (req: object, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: { items: WireItem[]; modelVersion: string }) => void) => void;

/** The scorer service over gRPC (recmesh.scorer.v1.ScorerService), for separate deployments. */
export class ScorerGrpcBackend implements RecommendationBackend {
  private readonly client: grpc.Client & { score: WireCall; scoreSimilar: WireCall };
  private readonly readiness: GrpcChannelReadiness;

  constructor(address: string) {
    const definition = protoLoader.loadSync('recmesh/scorer/v1/scorer.proto', { includeDirs: [PROTO_ROOT], keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
    const Service = (grpc.loadPackageDefinition(definition) as unknown as { recmesh: { scorer: { v1: { ScorerService: grpc.ServiceClientConstructor } } } }).recmesh.scorer.v1.ScorerService;
    this.client = new Service(address, grpc.credentials.createInsecure()) as unknown as typeof this.client;
    this.readiness = new GrpcChannelReadiness(this.client);
  }

  recommend(q: RecommendQuery): Promise<BackendAnswer> {
    return this.call('score', { userId: q.userId, k: q.k, currentItemId: q.currentItemId ?? '', cartItemIds: q.cartItemIds, filters: filtersOf(q) }, q.deadlineMs);
  }

  similarItems(q: SimilarQuery): Promise<BackendAnswer> {
    return this.call('scoreSimilar', { itemId: q.itemId, k: q.k, filters: filtersOf(q) }, q.deadlineMs);
  }

  isReady(): boolean {
    return this.readiness.isReady();
  }

  close(): void {
    this.client.close();
  }

  private call(method: 'score' | 'scoreSimilar', request: object, deadlineMs: number): Promise<BackendAnswer> {
    return new Promise((resolve, reject) => {
      this.client[method](request, { deadline: deadlineMs }, (err, res) => {
        if (err) {
          if (err.code === grpc.status.NOT_FOUND) return reject(new UnknownItemError(err.details));
          if (err.code === grpc.status.RESOURCE_EXHAUSTED) return reject(new BackendOverloadedError(err.details));
          return reject(new Error(`scorer ${method} failed: ${grpc.status[err.code]} ${err.details}`));
        }
        resolve({
          modelVersion: res.modelVersion,
          items: res.items.map((i): BackendItem => ({
            itemId: i.itemId, score: i.score, reason: i.reason, title: i.title || undefined, price: i.price ?? undefined,
            reasonCode: reasonCodeFromWire(i.reasonCode),
          })),
        });
      });
    });
  }
}
