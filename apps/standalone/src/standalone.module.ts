import { DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { BundleRecommender, BundlerModule, ServingBundleModel } from '@recmesh/bundle-service';
import { resolveTopicNames } from '@recmesh/contracts';
import { FeatureBuilderModule, ItemTextEmbedder } from '@recmesh/features';
import { FeedbackModule } from '@recmesh/attribution';
import { ExperimentAdmin, ExperimentsModule } from '@recmesh/experiments';
import { PrivacyModule } from '@recmesh/privacy';
import { GatewayModule } from '@recmesh/gateway-api';
import { IngestModule, RawIntakeModule } from '@recmesh/ingestion';
import { InMemoryMessageBus } from '@recmesh/messaging';
import { ReadinessProbe } from '@recmesh/observability';
import { RecommendationScorer, ScorerModule } from '@recmesh/scoring';
import { Config } from '@recmesh/service-config';
import { ServingBackendsModule, ServingState, ServingStateModule } from '@recmesh/serving-core';
import { Infrastructure, INFRASTRUCTURE, ServiceRuntimeModule } from '@recmesh/service-runtime';
import { Registry } from 'prom-client';
import { StorefrontModule } from '@recmesh/storefront';
import { OperationsPageModule } from '@recmesh/operations-page';
import { TrainerModule } from '@recmesh/training';
import { windowExporter } from '@recmesh/dataset-export';
import { seedDemoShop } from './demo-shop-seeder';
import { StandaloneConfigSchema } from './standalone.config';

type StandaloneConfig = Config<typeof StandaloneConfigSchema>;
const CONFIG = Symbol('CONFIG');

/**
 * Publishes the demo shop at start, and holds readiness until ingest,
 * feature-builder and serving have taken all of it in: before that,
 * Recommend would answer from half a shop.
 */
@Injectable()
class DemoSeeding implements OnApplicationBootstrap {
  private published = false;
  private seeded = false;

  constructor(
    @Inject(CONFIG) private readonly config: StandaloneConfig,
    @Inject(INFRASTRUCTURE) private readonly infra: Infrastructure,
    readiness: ReadinessProbe,
  ) {
    if (!config.RECMESH_DEMO_SEED) return;
    readiness.register({ name: 'demo-shop', check: () => (this.seeded ||= this.taken()) });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.RECMESH_DEMO_SEED) {
      await seedDemoShop(this.infra.bus, resolveTopicNames(this.config.RECMESH_TOPIC_PREFIX), this.config.RECMESH_DEMO_USERS);
      this.published = true;
    }
  }

  /** On the embedded bus, every consumer has handled everything; a Kafka cluster's lag is not visible from here. */
  private taken(): boolean {
    return this.published && (!(this.infra.bus instanceof InMemoryMessageBus) || this.infra.bus.isDrained());
  }
}

export interface StandaloneParts {
  readonly infra: Infrastructure;
  readonly registry: Registry;
  readonly state: ServingState;
  readonly bundleModel: ServingBundleModel;
  readonly textEmbedder?: ItemTextEmbedder;
}

/** Every built service in one process over one shared bus, store and serving state; the gateway calls scorer and bundler in process. */
@Module({})
export class StandaloneModule {
  /** `access`: AccessControlModule.forRoot (the gRPC servers' bind address, TLS and key check). */
  static register(config: StandaloneConfig, parts: StandaloneParts, access?: DynamicModule): DynamicModule {
    // One gateway: the storefront page (/shop) is served by it in process, as gRPC clients are.
    const gateway = GatewayModule.register(config);
    return {
      module: StandaloneModule,
      imports: [
        ServiceRuntimeModule.forRoot({ infra: parts.infra, registry: parts.registry }),
        ...(access ? [access] : []),
        IngestModule.register(config),
        RawIntakeModule.register(config),
        FeatureBuilderModule.register(config, { textEmbedder: parts.textEmbedder }),
        ServingStateModule.forRoot(parts.state),
        ServingBackendsModule.forRoot({
          imports: [ScorerModule.register(config), BundlerModule.register(config, parts.bundleModel), ExperimentsModule.register(config)],
          recommendation: { useExisting: RecommendationScorer },
          bundles: { useExisting: BundleRecommender },
          experiments: { useExisting: ExperimentAdmin },
        }),
        gateway,
        StorefrontModule.register(config, gateway),
        // The operator's view of the same process (/ops): online metrics, experiments, model registry, ingest health.
        OperationsPageModule.register(config),
        FeedbackModule.register(config),
        PrivacyModule.register(config),
        // The embedded store lives in this process: so does the retraining job (admin calls on PORT).
        TrainerModule.register(config, (infra) => windowExporter(infra.dataSource)),
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        DemoSeeding,
      ],
    };
  }
}
