import * as path from 'path';
import { promises as fs } from 'fs';
import { DynamicModule, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { GrpcOptions, Transport } from '@nestjs/microservices';
import { BundleModel, BundleOptimizer } from '@recmesh/bundling';
import { ObservabilityModule, ReadinessProbe } from '@recmesh/observability';
import { FeatureStore } from '@recmesh/persistence';
import { CatalogIndex, ServingModel } from '@recmesh/scoring';
import { Config } from '@recmesh/service-config';
import { Infrastructure } from '@recmesh/service-runtime';
import { Counter, Gauge, Registry } from 'prom-client';
import { BundleRecommender } from './bundle-recommender';
import { BUNDLE_RECOMMENDER, BundlerGrpcController } from './bundler-grpc.controller';
import { BundlerConfigSchema } from './bundler.config';
import { CategoryCoPurchaseSnapshot } from './store-complementarity-sources';

export type BundlerConfig = Config<typeof BundlerConfigSchema>;

const PROTO_ROOT = path.resolve(__dirname, '../../../proto');

/** Nest gRPC transport options for recmesh.bundler.v1.BundlerService. */
export function bundlerGrpcOptions(port: number): GrpcOptions {
  return {
    transport: Transport.GRPC,
    options: {
      package: 'recmesh.bundler.v1',
      protoPath: 'recmesh/bundler/v1/bundler.proto',
      url: `0.0.0.0:${port}`,
      loader: { includeDirs: [PROTO_ROOT], keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true },
    },
  };
}

/**
 * The fitted bundle model, reloaded when its file changes; a file that does
 * not load is logged and counted while the previous weights keep serving.
 */
export class ServingBundleModel {
  private readonly logger = new Logger('ServingBundleModel');
  private modifiedMs = 0;
  private readonly info: Gauge<'bundle_model_version'>;
  private readonly failures: Counter;

  private constructor(
    private readonly file: string,
    private model: BundleModel,
    metrics: Registry,
  ) {
    this.info = new Gauge({ name: 'recmesh_bundler_model_info', help: 'The served bundle model (value 1).', labelNames: ['bundle_model_version'], registers: [metrics] });
    this.failures = new Counter({ name: 'recmesh_bundler_model_load_failures_total', help: 'Bundle model files that failed to load.', registers: [metrics] });
    this.publish();
  }

  /** Fails start-up with the loader's message when the configured file is missing or invalid. */
  static async load(file: string, metrics: Registry): Promise<ServingBundleModel> {
    const model = await BundleModel.load(file).catch((error: Error) => {
      throw new Error(`cannot load the bundle model ${file}: ${error.message}`);
    });
    const served = new ServingBundleModel(file, model, metrics);
    served.modifiedMs = (await fs.stat(file)).mtimeMs;
    return served;
  }

  current(): BundleModel {
    return this.model;
  }

  async refresh(): Promise<void> {
    const modifiedMs = await fs.stat(this.file).then((s) => s.mtimeMs, () => this.modifiedMs);
    if (modifiedMs === this.modifiedMs) return;
    this.modifiedMs = modifiedMs;
    try {
      const next = await BundleModel.load(this.file);
      this.logger.log(`now serving bundle model ${next.version} (was ${this.model.version})`);
      this.model = next;
      this.publish();
    } catch (error) {
      this.failures.inc();
      this.logger.error(`bundle model ${this.file} failed to load, still serving ${this.model.version}: ${(error as Error).message}`);
    }
  }

  private publish(): void {
    this.info.reset();
    this.info.set({ bundle_model_version: this.model.version }, 1);
  }
}

export interface BundlerParts {
  readonly recommender: BundleRecommender;
  readonly categories: CategoryCoPurchaseSnapshot;
  readonly bundleModel: ServingBundleModel;
  readonly catalog: CatalogIndex;
}

/** The bundler's parts; in the all-in-one process it shares the scorer's catalog (which the scorer refreshes). */
export function buildBundler(config: BundlerConfig, infra: Infrastructure, serving: ServingModel, bundleModel: ServingBundleModel, metrics: Registry, catalog?: CatalogIndex): BundlerParts {
  const features = new FeatureStore(infra.dataSource);
  const categories = new CategoryCoPurchaseSnapshot(features);
  const index = catalog ?? new CatalogIndex(infra.dataSource);
  const recommender = new BundleRecommender({
    model: () => serving.current(),
    bundleModel: () => bundleModel.current(),
    features,
    catalog: index,
    categories,
    optimizer: new BundleOptimizer({ beamWidth: config.BUNDLER_BEAM_WIDTH }),
    candidates: config.BUNDLER_CANDIDATES,
    maxConcurrent: config.BUNDLER_MAX_CONCURRENT,
    popularityHalfLifeMs: config.SCORER_POPULARITY_HALF_LIFE_HOURS * 3_600_000,
    metrics,
  });
  return { recommender, categories, bundleModel, catalog: index };
}

/** Keeps statistics, bundle model and (when the bundler owns them) catalog and served model fresh. */
@Injectable()
class BundlerRefresh implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Bundler');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly parts: BundlerParts,
    private readonly serving: ServingModel,
    private readonly options: { seconds: number; ownsCatalogAndModel: boolean; infra: Infrastructure; owned: boolean },
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    this.logger.log(`bundle model ${this.parts.bundleModel.current().version} over model ${this.serving.current().modelVersion}; catalog of ${this.parts.catalog.size} items`);
    this.timer = setInterval(() => this.refresh().catch((e) => this.logger.error(`refresh failed: ${(e as Error).message}`)), this.options.seconds * 1000).unref();
  }

  private async refresh(): Promise<void> {
    if (this.options.ownsCatalogAndModel) {
      await this.parts.catalog.reload();
      await this.serving.refresh();
      await this.serving.addColdItems(this.parts.catalog);
    }
    await this.parts.categories.reload();
    await this.parts.bundleModel.refresh();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    if (this.options.ownsCatalogAndModel) await this.serving.close();
    if (this.options.owned) await this.options.infra.close();
  }
}

@Module({})
export class BundlerModule {
  static register(
    config: BundlerConfig,
    infra: Infrastructure,
    serving: ServingModel,
    /** With `readiness`, another module of the process serves /health, /ready and /metrics; with `parts`, the catalog and model belong to the scorer. */
    options: { owned: boolean; registry: Registry; bundleModel: ServingBundleModel; readiness?: ReadinessProbe; parts?: BundlerParts },
  ): DynamicModule {
    const readiness = options.readiness ?? new ReadinessProbe();
    const parts = options.parts ?? buildBundler(config, infra, serving, options.bundleModel, options.registry);
    readiness.register({ name: 'bundler-store', check: async () => (await infra.dataSource.query('SELECT 1')).length === 1 });
    readiness.register({ name: 'bundler-model', check: () => serving.current().itemIds.length > 0 });
    return {
      module: BundlerModule,
      imports: options.readiness ? [] : [ObservabilityModule.forRoot(options.registry, readiness)],
      controllers: [BundlerGrpcController],
      providers: [
        { provide: BUNDLE_RECOMMENDER, useValue: parts.recommender },
        {
          provide: BundlerRefresh,
          useFactory: () => new BundlerRefresh(parts, serving, { seconds: config.BUNDLER_REFRESH_SECONDS, ownsCatalogAndModel: !options.parts, infra, owned: options.owned }),
        },
      ],
      exports: [BUNDLE_RECOMMENDER],
    };
  }
}
