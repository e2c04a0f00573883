import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { BundleAnswer, BundleRecommender, BundledItem, InvalidBundleQueryError } from '@recmesh/bundle-service';
import { QueueFullError, reasonCodeFromWire, UnknownItemError as ScorerUnknownItemError } from '@recmesh/scoring';
import { BackendOverloadedError, BundleBackend, BundleBackendQuery, UnknownItemError } from './recommendation-backend';
import { GrpcChannelReadiness } from './grpc-channel-readiness';
import { InvalidRequestError } from './request-validation';

const PROTO_ROOT = path.resolve(__dirname, '../../../proto');

/** The bundler in the same process (embedded default, standalone). */
export class InProcessBundleBackend implements BundleBackend {
  constructor(
    private readonly bundler: BundleRecommender,
    private readonly ready: () => boolean = () => true,
  ) {}

  async bundles(q: BundleBackendQuery): Promise<BundleAnswer> {
    try {
      return await this.bundler.compose(q);
    } catch (error) {
      if (error instanceof InvalidBundleQueryError) throw new InvalidRequestError(error.message);
      if (error instanceof ScorerUnknownItemError) throw new UnknownItemError(error.message);
      if (error instanceof QueueFullError) throw new BackendOverloadedError(error.message);
      throw error;
    }
  }

  isReady(): boolean {
    return this.ready();
  }
}

interface WireBundle {
  items: Array<{ role: string; item: { itemId: string; score: number; reason: string; reasonCode: string; title: string; price?: number } }>;
  totalScore: number;
  totalPrice: number;
  reason: string;
}
type ComposeCall = (req: object, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: { bundles: WireBundle[]; modelVersion: string }) => void) => void;

/** The bundler service over gRPC (recmesh.bundler.v1.BundlerService), for separate deployments. */
export class BundlerGrpcBackend implements BundleBackend {
  private readonly client: grpc.Client & { composeBundles: ComposeCall };
  private readonly readiness: GrpcChannelReadiness;

  constructor(address: string) {
    const definition = protoLoader.loadSync('recmesh/bundler/v1/bundler.proto', { includeDirs: [PROTO_ROOT], keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
    const Service = (grpc.loadPackageDefinition(definition) as unknown as { recmesh: { bundler: { v1: { BundlerService: grpc.ServiceClientConstructor } } } }).recmesh.bundler.v1.BundlerService;
    this.client = new Service(address, grpc.credentials.createInsecure()) as unknown as typeof this.client;
    this.readiness = new GrpcChannelReadiness(this.client);
  }

  bundles(q: BundleBackendQuery): Promise<BundleAnswer> {
    const bundle = {
      userId: q.userId ?? '', anchorItemIds: q.anchorItemIds, size: q.size, count: q.count, requireCategoryDiversity: q.requireCategoryDiversity,
      ...(q.budget !== undefined ? { budget: q.budget } : {}),
      filters: { categories: q.categories, excludeItemIds: q.excludeItemIds, ...(q.minPrice !== undefined ? { minPrice: q.minPrice } : {}), ...(q.maxPrice !== undefined ? { maxPrice: q.maxPrice } : {}) },
    };
    return new Promise((resolve, reject) => {
      this.client.composeBundles({ bundle }, { deadline: q.deadlineMs }, (err, res) => {
        if (err) {
          if (err.code === grpc.status.INVALID_ARGUMENT) return reject(new InvalidRequestError(err.details));
          if (err.code === grpc.status.NOT_FOUND) return reject(new UnknownItemError(err.details));
          if (err.code === grpc.status.RESOURCE_EXHAUSTED) return reject(new BackendOverloadedError(err.details));
          return reject(new Error(`bundler ComposeBundles failed: ${grpc.status[err.code]} ${err.details}`));
        }
        resolve({
          modelVersion: res.modelVersion,
          bundles: res.bundles.map((b) => ({
            totalScore: b.totalScore, totalPrice: b.totalPrice, reason: b.reason,
            items: b.items.map((i): BundledItem => ({
              itemId: i.item.itemId, score: i.item.score, reason: i.item.reason, role: i.role, title: i.item.title || undefined, price: i.item.price ?? undefined,
              reasonCode: reasonCodeFromWire(i.item.reasonCode),
            })),
          })),
        });
      });
    });
  }

  isReady(): boolean {
    return this.readiness.isReady();
  }

  close(): void {
    this.client.close();
  }
}
