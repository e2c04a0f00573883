import * as path from 'path';
import { DynamicModule, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { GrpcOptions, Transport } from '@nestjs/microservices';
import { ObservabilityModule, ReadinessProbe } from '@recmesh/observability';
import { FeatureStore } from '@recmesh/persistence';
import { Config } from '@recmesh/service-config';
import { Infrastructure } from '@recmesh/service-runtime';
import { Registry } from 'prom-client';
import { CatalogIndex } from './catalog-index';
import { RecommendationScorer } from './recommendation-scorer';
import { RECOMMENDATION_SCORER, ScorerGrpcController } from './scorer-grpc.controller';
import { ScorerConfigSchema } from './scorer.config';
import { ServingModel } from './serving-model';

export type ScorerConfig = Config<typeof ScorerConfigSchema>;

export const PROTO_ROOT = path.resolve(__dirname, '../../../proto');

/** Nest gRPC transport options for recmesh.scorer.v1.ScorerService. */
export function scorerGrpcOptions(port: number): GrpcOptions {
  return {
    transport: Transport.GRPC,
    options: {
      package: 'recmesh.scorer.v1',
      protoPath: 'recmesh/scorer/v1/scorer.proto',
      url: `0.0.0.0:${port}`,
      loader: { includeDirs: [PROTO_ROOT], keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true },
    },
  };
}

/** Keeps the catalog and the served model fresh in the background. */
@Injectable()
class ScorerRefresh implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Scorer');
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly catalog: CatalogIndex,
    private readonly serving: ServingModel,
    private readonly config: { catalogSeconds: number; modelSeconds: number; infra: Infrastructure; owned: boolean },
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.logger.log(`serving model ${this.serving.current().modelVersion} on ${this.serving.current().executionProvider}; catalog of ${await this.catalog.reload()} items`);
    const every = (seconds: number, work: () => Promise<unknown>, what: string) =>
      setInterval(() => work().catch((e) => this.logger.error(`${what} failed: ${(e as Error).message}`)), seconds * 1000).unref();
    await this.serving.addColdItems(this.catalog);
    const syncCatalog = async () => {
      await this.catalog.reload();
      const added = await this.serving.addColdItems(this.catalog);
      if (added > 0) this.logger.log(`${added} new catalog items scored from their text and category`);
    };
    const syncModel = async () => {
      await this.serving.refresh();
      await this.serving.addColdItems(this.catalog);
    };
    this.timers = [every(this.config.catalogSeconds, syncCatalog, 'catalog reload'), every(this.config.modelSeconds, syncModel, 'model refresh')];
  }

  async onApplicationShutdown(): Promise<void> {
    this.timers.forEach(clearInterval);
    await this.serving.close();
    if (this.config.owned) await this.config.infra.close();
  }
}

export interface ScorerParts {
  readonly scorer: RecommendationScorer;
  readonly catalog: CatalogIndex;
}

/** The scorer and its catalog, for modules that call it in-process (the standalone gateway). */
export function buildScorer(config: ScorerConfig, infra: Infrastructure, serving: ServingModel): ScorerParts {
  const catalog = new CatalogIndex(infra.dataSource);
  const scorer = new RecommendationScorer({
    model: () => serving.current(),
    features: new FeatureStore(infra.dataSource),
    catalog,
    batching: { maxBatchSize: config.SCORER_MAX_BATCH, maxWaitMs: config.SCORER_MAX_WAIT_MS, maxQueue: config.SCORER_MAX_QUEUE },
    popularityHalfLifeMs: config.SCORER_POPULARITY_HALF_LIFE_HOURS * 3_600_000,
  });
  return { scorer, catalog };
}

@Module({})
export class ScorerModule {
  static register(
    config: ScorerConfig,
    infra: Infrastructure,
    serving: ServingModel,
    /** With `readiness`, another module of the process serves /health, /ready and /metrics. */
    options: { owned: boolean; registry: Registry; readiness?: ReadinessProbe; parts?: ScorerParts },
  ): DynamicModule {
    const registry = options.registry;
    const readiness = options.readiness ?? new ReadinessProbe();
    const { scorer, catalog } = options.parts ?? buildScorer(config, infra, serving);
    readiness.register({ name: 'store', check: async () => (await infra.dataSource.query('SELECT 1')).length === 1 });
    readiness.register({ name: 'model', check: () => serving.current().itemIds.length > 0 });
    return {
      module: ScorerModule,
      imports: options.readiness ? [] : [ObservabilityModule.forRoot(registry, readiness)],
      controllers: [ScorerGrpcController],
      providers: [
        { provide: RECOMMENDATION_SCORER, useValue: scorer },
        { provide: CatalogIndex, useValue: catalog },
        { provide: ServingModel, useValue: serving },
        {
          provide: ScorerRefresh,
          useFactory: () => new ScorerRefresh(catalog, serving, { catalogSeconds: config.SCORER_CATALOG_REFRESH_SECONDS, modelSeconds: config.SCORER_MODEL_POLL_SECONDS, infra, owned: options.owned }),
        },
      ],
      exports: [RECOMMENDATION_SCORER],
    };
  }
}
