import { BeforeApplicationShutdown, DynamicModule, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { resolveTopicNames, Topics } from '@recmesh/contracts';
import { createMetricsRegistry, ObservabilityModule, ReadinessProbe } from '@recmesh/observability';
import { Config } from '@recmesh/service-config';
import { Infrastructure } from '@recmesh/service-runtime';
import { Registry } from 'prom-client';
import { GatewayConfigSchema } from './gateway.config';
import { GatewayGrpcServer } from './gateway-grpc-server';
import { GatewayMetrics } from './gateway-metrics';
import { BundleBackend, RecommendationBackend } from './recommendation-backend';

export type GatewayConfig = Config<typeof GatewayConfigSchema>;

export interface GatewayModuleOptions {
  /** Whether this module closes the infrastructure on shutdown (false when services share one process). */
  readonly owned: boolean;
  /** Shared registry/readiness (standalone); when given, the caller serves /health /ready /metrics. */
  readonly registry?: Registry;
  readonly readiness?: ReadinessProbe;
  /** Host the gRPC server binds to. Default 0.0.0.0. */
  readonly grpcHost?: string;
  /** How long shutdown waits for calls in flight. Default 5000 ms. */
  readonly shutdownGraceMs?: number;
  /** Serves Bundle; without it Bundle answers UNIMPLEMENTED. */
  readonly bundles?: BundleBackend;
}

const GATEWAY_RUNTIME = Symbol('GATEWAY_RUNTIME');

interface GatewayRuntime {
  readonly server: GatewayGrpcServer;
  readonly infra: Pick<Infrastructure, 'bus' | 'close'>;
  readonly servedTopic: string;
  readonly port: number;
  readonly options: GatewayModuleOptions;
  readonly readiness: ReadinessProbe;
}

/** Ensures the served topic and starts gRPC after boot; on SIGTERM turns not-ready, drains calls and publishes, then closes the infrastructure. */
@Injectable()
export class GatewayLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('GatewayLifecycle');

  constructor(@Inject(GATEWAY_RUNTIME) private readonly runtime: GatewayRuntime) {}

  get server(): GatewayGrpcServer {
    return this.runtime.server;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.infra.bus.ensureTopics([{ name: this.runtime.servedTopic, partitions: Topics.recommendationsServed.partitions }]);
    await this.runtime.server.start(this.runtime.port, this.runtime.options.grpcHost);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.runtime.readiness.markShuttingDown();
    await this.runtime.server.stop(this.runtime.options.shutdownGraceMs);
    this.logger.log('gRPC server stopped');
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.runtime.options.owned) await this.runtime.infra.close();
  }
}

/**
 * The gateway service: gRPC RecommendationService (+ reflection, grpc.health.v1)
 * on GATEWAY_GRPC_PORT over the given backend, and /health /ready /metrics on
 * the HTTP app. Readiness: gRPC listening, backend ready, bus ready.
 */
@Module({})
export class GatewayModule {
  static register(
    config: GatewayConfig,
    infra: Pick<Infrastructure, 'bus' | 'close'>,
    backend: RecommendationBackend,
    options: GatewayModuleOptions,
  ): DynamicModule {
    const registry = options.registry ?? createMetricsRegistry('gateway');
    const readiness = options.readiness ?? new ReadinessProbe();
    const metrics = new GatewayMetrics(registry);
    const servedTopic = resolveTopicNames(config.RECMESH_TOPIC_PREFIX).recommendationsServed;
    const server = new GatewayGrpcServer({
      backend,
      bundles: options.bundles,
      bus: infra.bus,
      servedTopic,
      metrics,
      maxInFlight: config.GATEWAY_MAX_IN_FLIGHT,
      defaultDeadlineMs: config.GATEWAY_DEFAULT_DEADLINE_MS,
    });
    readiness.register({ name: 'grpc', check: () => server.isListening() });
    readiness.register({ name: 'backend', check: () => backend.isReady() });
    const bundles = options.bundles;
    if (bundles) readiness.register({ name: 'bundler', check: () => bundles.isReady() });
    readiness.register({ name: 'bus', check: () => infra.bus.isReady() });
    const runtime: GatewayRuntime = { server, infra, servedTopic, port: config.GATEWAY_GRPC_PORT, options, readiness };
    return {
      module: GatewayModule,
      imports: options.registry ? [] : [ObservabilityModule.forRoot(registry, readiness)],
      providers: [{ provide: GATEWAY_RUNTIME, useValue: runtime }, { provide: ReadinessProbe, useValue: readiness }, GatewayLifecycle],
      exports: [GatewayLifecycle],
    };
  }
}
