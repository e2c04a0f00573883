import { DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { resolveTopicNames } from '@recmesh/contracts';
import { ObservabilityModule, ReadinessProbe } from '@recmesh/observability';
import { Registry } from 'prom-client';
import { Config } from '@recmesh/service-config';
import { Infrastructure } from '@recmesh/service-runtime';
import { FeatureBuilderModule, ItemTextEmbedder } from '@recmesh/features';
import { GatewayModule, InProcessBundleBackend, InProcessScorerBackend } from '@recmesh/gateway-api';
import { buildBundler, BundlerModule, ServingBundleModel } from '@recmesh/bundle-service';
import { IngestModule } from '@recmesh/ingestion';
import { buildScorer, ScorerModule, ServingModel } from '@recmesh/scoring';
import { seedDemoShop } from './demo-shop-seeder';
import { MESSAGE_BUS, RawIntakeController, TOPIC_NAMES } from './raw-intake.controller';
import { StandaloneConfigSchema } from './standalone.config';

type StandaloneConfig = Config<typeof StandaloneConfigSchema>;
const CONFIG = Symbol('CONFIG');

@Injectable()
class DemoSeeding implements OnApplicationBootstrap {
  constructor(
    @Inject(CONFIG) private readonly config: StandaloneConfig,
    private readonly infra: Infrastructure,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.RECMESH_DEMO_SEED) {
      await seedDemoShop(this.infra.bus, resolveTopicNames(this.config.RECMESH_TOPIC_PREFIX), this.config.RECMESH_DEMO_USERS);
    }
  }
}

/** Every built service in one process over one shared bus and store. */
@Module({})
export class StandaloneModule {
  static register(config: StandaloneConfig, infra: Infrastructure, serving: ServingModel, bundleModel: ServingBundleModel, registry: Registry, textEmbedder?: ItemTextEmbedder): DynamicModule {
    const readiness = new ReadinessProbe();
    const parts = buildScorer(config, infra, serving);
    const backend = new InProcessScorerBackend(parts.scorer);
    const bundler = buildBundler(config, infra, serving, bundleModel, registry, parts.catalog);
    return {
      module: StandaloneModule,
      imports: [
        ObservabilityModule.forRoot(registry, readiness),
        IngestModule.register(config, infra, { owned: true, registry, readiness }),
        FeatureBuilderModule.register(config, infra, { owned: false, registry, readiness, textEmbedder }),
        ScorerModule.register(config, infra, serving, { owned: false, registry, readiness, parts }),
        BundlerModule.register(config, infra, serving, { owned: false, registry, readiness, bundleModel, parts: bundler }),
        GatewayModule.register(config, infra, backend, { owned: false, registry, readiness, bundles: new InProcessBundleBackend(bundler.recommender) }),
      ],
      controllers: [RawIntakeController],
      providers: [
        { provide: MESSAGE_BUS, useValue: infra.bus },
        { provide: TOPIC_NAMES, useValue: resolveTopicNames(config.RECMESH_TOPIC_PREFIX) },
        { provide: CONFIG, useValue: config },
        { provide: DemoSeeding, useFactory: (c: StandaloneConfig) => new DemoSeeding(c, infra), inject: [CONFIG] },
      ],
    };
  }
}
