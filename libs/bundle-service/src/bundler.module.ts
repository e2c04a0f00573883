import { DynamicModule, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { resolveTopicNames } from '@recmesh/contracts';
import { BundleOptimizer } from '@recmesh/bundling';
import { METRICS_REGISTRY } from '@recmesh/observability';
import { FeatureStore } from '@recmesh/persistence';
import { Config } from '@recmesh/service-config';
import { internalGrpcProviders, ServingState } from '@recmesh/serving-core';
import { Infrastructure, INFRASTRUCTURE } from '@recmesh/service-runtime';
import { retrievalSettings, sharedModelRetrieval } from '@recmesh/vector-retrieval';
import { Registry } from 'prom-client';
import { BundleRecommender } from './bundle-recommender';
import { bundlerGrpcServer } from './bundler-grpc';
import { BundlerConfigSchema } from './bundler.config';
import { CategorySnapshotFollower } from './category-snapshot-follower';
import { ServingBundleModel } from './serving-bundle-model';
import { CategoryCoPurchaseSnapshot } from './store-complementarity-sources';

export type BundlerConfig = Config<typeof BundlerConfigSchema>;

const BUNDLER_PARTS = Symbol('BUNDLER_PARTS');

interface BundlerParts {
  readonly recommender: BundleRecommender;
  readonly follower: CategorySnapshotFollower;
  readonly bundleModel: ServingBundleModel;
  /** The served model version's folder (its bundle weights win over the configured file). */
  readonly modelDir: () => string;
}

/** Follows co-purchase changes and the bundle weights of the served model version, for the life of the app. */
@Injectable()
class BundlerLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Bundler');
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(BUNDLER_PARTS) private readonly parts: BundlerParts,
    @Inject('BUNDLER_REFRESH_SECONDS') private readonly refreshSeconds: number,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.parts.follower.start();
    const check = () => this.parts.bundleModel.refresh(this.parts.modelDir()).catch((e) => this.logger.error(`bundle model check failed: ${(e as Error).message}`));
    await check();
    this.logger.log(`bundle model ${this.parts.bundleModel.current().version} (${this.parts.bundleModel.source})`);
    this.timer = setInterval(check, this.refreshSeconds * 1000).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.parts.follower.stop();
  }
}

/**
 * The bundler: BundleRecommender over the process's ServingState and runtime,
 * with the fitted bundle model. With `grpcPort` it also serves
 * recmesh.bundler.v1.BundlerService for a separate gateway.
 */
@Module({})
export class BundlerModule {
  static register(config: BundlerConfig, bundleModel: ServingBundleModel, options: { grpcPort?: number } = {}): DynamicModule {
    const build = (state: ServingState, infra: Infrastructure, metrics: Registry): BundlerParts => {
      const features = new FeatureStore(infra.dataSource);
      const categories = new CategoryCoPurchaseSnapshot(features);
      const recommender = new BundleRecommender({
        model: () => state.model.current(),
        bundleModel: () => bundleModel.current(),
        features,
        catalog: state.catalog,
        categories,
        optimizer: new BundleOptimizer({ beamWidth: config.BUNDLER_BEAM_WIDTH }),
        candidates: config.BUNDLER_CANDIDATES,
        maxConcurrent: config.BUNDLER_MAX_CONCURRENT,
        popularityHalfLifeMs: config.POPULARITY_HALF_LIFE_HOURS * 3_600_000,
        metrics,
        ready: () => state.isReady(),
        retrieval: sharedModelRetrieval(retrievalSettings(config), new Logger('Retrieval')),
      });
      return { recommender, bundleModel, modelDir: () => state.model.currentLocation(), follower: new CategorySnapshotFollower(categories, infra.bus, resolveTopicNames(config.RECMESH_TOPIC_PREFIX)) };
    };
    return {
      module: BundlerModule,
      providers: [
        { provide: BUNDLER_PARTS, useFactory: build, inject: [ServingState, INFRASTRUCTURE, METRICS_REGISTRY] },
        { provide: BundleRecommender, useFactory: (parts: BundlerParts) => parts.recommender, inject: [BUNDLER_PARTS] },
        { provide: 'BUNDLER_REFRESH_SECONDS', useValue: config.BUNDLER_REFRESH_SECONDS },
        BundlerLifecycle,
        ...(options.grpcPort !== undefined ? internalGrpcProviders(options.grpcPort, BundleRecommender, bundlerGrpcServer) : []),
      ],
      exports: [BundleRecommender],
    };
  }
}
