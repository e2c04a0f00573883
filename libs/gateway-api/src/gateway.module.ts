import { BeforeApplicationShutdown, DynamicModule, Inject, Injectable, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { GRPC_SERVER_SECURITY, GrpcServerSecurity, resolveTopicNames, Topics } from '@recmesh/contracts';
import { METRICS_REGISTRY, ReadinessProbe } from '@recmesh/observability';
import { Config, pseudonymizer } from '@recmesh/service-config';
import { BUNDLE_BACKEND, BundleBackend, EXPERIMENT_SOURCE, ExperimentAssigner, ExperimentSource, RECOMMENDATION_BACKEND, RecommendationBackend, ServedBy } from '@recmesh/serving-core';
import { BusInfrastructure, INFRASTRUCTURE } from '@recmesh/service-runtime';
import { Registry } from 'prom-client';
import { ExperimentRefresher } from './experiment-refresher';
import { admissionOptions } from './admission/admission.config';
import { GatewayConfigSchema } from './gateway.config';
import { GatewayGrpcServer } from './gateway-grpc-server';
import { GatewayMetrics } from './gateway-metrics';

export type GatewayConfig = Config<typeof GatewayConfigSchema>;

export interface GatewayModuleOptions {
  /** Host the gRPC server binds to. Default: the process's GrpcServerSecurity host (BIND_HOST), else 0.0.0.0. */
  readonly grpcHost?: string;
  /** How long shutdown waits for calls in flight. Default 5000 ms. */
  readonly shutdownGraceMs?: number;
}

const GATEWAY_RUNTIME = Symbol('GATEWAY_RUNTIME');

interface GatewayRuntime {
  readonly server: GatewayGrpcServer;
  readonly infra: BusInfrastructure;
  readonly servedTopic: string;
  readonly port: number;
  readonly options: GatewayModuleOptions;
  readonly readiness: ReadinessProbe;
  readonly experiments?: { readonly refresher: ExperimentRefresher; readonly intervalMs: number };
}

/** Ensures the served topic and starts gRPC after boot; on SIGTERM turns not-ready, then drains calls and publishes. */
@Injectable()
export class GatewayLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('GatewayLifecycle');

  constructor(@Inject(GATEWAY_RUNTIME) private readonly runtime: GatewayRuntime) {}

  get server(): GatewayGrpcServer {
    return this.runtime.server;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.infra.bus.ensureTopics([{ name: this.runtime.servedTopic, partitions: Topics.recommendationsServed.partitions }]);
    await this.runtime.experiments?.refresher.start(this.runtime.experiments.intervalMs);
    await this.runtime.server.start(this.runtime.port, this.runtime.options.grpcHost);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.runtime.readiness.markShuttingDown();
    this.runtime.experiments?.refresher.stop();
    await this.runtime.server.stop(this.runtime.options.shutdownGraceMs);
    this.logger.log('gRPC server stopped');
  }
}

/**
 * The gateway service: gRPC RecommendationService (+ reflection, grpc.health.v1)
 * on GATEWAY_GRPC_PORT over the process's backends (ServingBackendsModule).
 * Readiness: gRPC listening, backends ready; not the bus: the gateway answers
 * through a broker outage (its served lists then fail to publish and are counted).
 */
@Module({})
export class GatewayModule {
  static register(config: GatewayConfig, options: GatewayModuleOptions = {}): DynamicModule {
    const build = (
      infra: BusInfrastructure,
      registry: Registry,
      readiness: ReadinessProbe,
      backend: RecommendationBackend,
      bundles: BundleBackend | undefined,
      source: ExperimentSource | undefined,
      security: GrpcServerSecurity | undefined,
    ): GatewayRuntime => {
      const servedTopic = resolveTopicNames(config.RECMESH_TOPIC_PREFIX).recommendationsServed;
      // A one-item answer for a user with no history loads the arm's version in the scorer before users reach it.
      const warmUp = (servedBy: ServedBy) => backend.recommend({ userId: 'recmesh-warm-up', k: 1, cartItemIds: [], servedBy, deadlineMs: Date.now() + 15_000 }).then(() => undefined);
      const refresher = source && new ExperimentRefresher(source, new ExperimentAssigner(), registry, warmUp);
      const server = new GatewayGrpcServer({
        experiments: refresher?.assigner,
        backend,
        bundles,
        bus: infra.bus,
        servedTopic,
        metrics: new GatewayMetrics(registry),
        maxInFlight: config.GATEWAY_MAX_IN_FLIGHT,
        admission: admissionOptions(config),
        maxStreamsPerConnection: config.GATEWAY_MAX_STREAMS_PER_CONNECTION,
        defaultDeadlineMs: config.GATEWAY_DEFAULT_DEADLINE_MS,
        pseudonymize: config.RECMESH_PSEUDONYM_KEY ? pseudonymizer(config.RECMESH_PSEUDONYM_KEY) : undefined,
        security,
      });
      readiness.register({ name: 'grpc', check: () => server.isListening() });
      readiness.register({ name: 'backend', check: () => backend.isReady() });
      if (bundles) readiness.register({ name: 'bundler', check: () => bundles.isReady() });
      const experiments = refresher && { refresher, intervalMs: config.GATEWAY_EXPERIMENTS_REFRESH_SECONDS * 1000 };
      return { server, infra, servedTopic, port: config.GATEWAY_GRPC_PORT, options, readiness, experiments };
    };
    return {
      module: GatewayModule,
      providers: [
        {
          provide: GATEWAY_RUNTIME,
          useFactory: build,
          inject: [INFRASTRUCTURE, METRICS_REGISTRY, ReadinessProbe, RECOMMENDATION_BACKEND, { token: BUNDLE_BACKEND, optional: true }, { token: EXPERIMENT_SOURCE, optional: true }, { token: GRPC_SERVER_SECURITY, optional: true }],
        },
        GatewayLifecycle,
      ],
      exports: [GatewayLifecycle],
    };
  }
}
