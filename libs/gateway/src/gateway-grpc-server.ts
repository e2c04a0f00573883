import { randomUUID } from 'crypto';
import { scoredItemToWire } from '@recmesh/scoring';
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { Logger } from '@nestjs/common';
import { MessageBus } from '@recmesh/messaging';
import { GatewayMethod, GatewayMetrics } from './gateway-metrics';
import type { WireBundleRequest } from '@recmesh/bundle-service';
import {
  BackendAnswer,
  BackendItem,
  BackendOverloadedError,
  BundleAnswer,
  BundleBackend,
  RecommendationBackend,
  UnknownItemError,
} from './recommendation-backend';
import { InvalidRequestError, validateBundleRequest, validateRecommendRequest, validateSimilarItemsRequest, WireRecommendRequest, WireSimilarItemsRequest } from './request-validation';
import { ServedPublisher, ServedSurface } from './served-publisher';

export const RECOMMENDATION_SERVICE = 'recmesh.gateway.v1.RecommendationService';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/** `proto/` at the repository root (the API) and this lib's `proto/` (grpc.health.v1). */
export const DEFAULT_PROTO_DIRS = {
  api: path.resolve(__dirname, '../../../proto'),
  health: path.resolve(__dirname, '../proto'),
} as const;

export const PROTO_LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

/** The package definition the gateway serves (and reflects): RecommendationService and grpc.health.v1.Health. */
export function loadGatewayPackageDefinition(dirs: { api: string; health: string } = DEFAULT_PROTO_DIRS, overrides: protoLoader.Options = {}): protoLoader.PackageDefinition {
  return protoLoader.loadSync(['recmesh/gateway/v1/gateway.proto', 'grpc/health/v1/health.proto'], {
    ...PROTO_LOADER_OPTIONS,
    ...overrides,
    includeDirs: [dirs.api, dirs.health],
  });
}

export type HealthStatus = 'SERVING' | 'NOT_SERVING';

export interface GatewayGrpcServerOptions {
  readonly backend: RecommendationBackend;
  /** Without it, Bundle answers UNIMPLEMENTED (a gateway deployed without a bundler). */
  readonly bundles?: BundleBackend;
  readonly bus: MessageBus;
  /** Topic of recmesh.events.v1.RecommendationServed, i.e. resolveTopicNames(prefix).recommendationsServed. */
  readonly servedTopic: string;
  readonly metrics: GatewayMetrics;
  /** Calls served at once; more are refused with RESOURCE_EXHAUSTED. */
  readonly maxInFlight: number;
  /** Deadline for calls without one (and the cap for later client deadlines). */
  readonly defaultDeadlineMs: number;
  readonly protoDirs?: { api: string; health: string };
  /** How often health Watch streams re-check readiness. Default 1000 ms. */
  readonly healthWatchIntervalMs?: number;
}

class Outcome {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
    /** False when the call is already over on the wire (cancelled, or ended by grpc-js at its deadline). */
    readonly reply = true,
  ) {}
}

/**
 * The storefront's gRPC API on plain @grpc/grpc-js: RecommendationService,
 * server reflection and grpc.health.v1.Health. Validates requests, enforces
 * deadlines and an in-flight bound, maps backend failures to status codes,
 * stamps each answer with a rec_id and publishes what it served.
 */
export class GatewayGrpcServer {
  private readonly logger = new Logger('GatewayGrpcServer');
  private readonly server = new grpc.Server({ 'grpc.max_receive_message_length': 1024 * 1024 });
  private readonly publisher: ServedPublisher;
  private readonly watchers = new Set<grpc.ServerWritableStream<{ service: string }, { status: string }>>();
  private inFlight = 0;
  private boundPort: number | undefined;
  private shuttingDown = false;

  constructor(private readonly options: GatewayGrpcServerOptions) {
    this.publisher = new ServedPublisher(options.bus, options.servedTopic, options.metrics);
    const definition = loadGatewayPackageDefinition(options.protoDirs);
    this.server.addService(definition[RECOMMENDATION_SERVICE] as grpc.ServiceDefinition, {
      Recommend: (call: grpc.ServerUnaryCall<WireRecommendRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => this.recommend(call, callback),
      SimilarItems: (call: grpc.ServerUnaryCall<WireSimilarItemsRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => this.similarItems(call, callback),
      Bundle: (call: grpc.ServerUnaryCall<WireBundleRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => this.bundle(call, callback),
    });
    this.server.addService(definition[HEALTH_SERVICE] as grpc.ServiceDefinition, {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, { status: string }>, callback: grpc.sendUnaryData<{ status: string }>) => {
        if (!this.knowsService(call.request.service)) callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${call.request.service}` });
        else callback(null, { status: this.healthStatus() });
      },
      Watch: (call: grpc.ServerWritableStream<{ service: string }, { status: string }>) => this.watch(call),
    });
    // Reflection serves the file descriptors proto-loader built; with keepCase false they would carry
    // lowerCamelCase field names (user_id -> userId) and grpcurl -d '{"user_id": ...}' would fail.
    new ReflectionService(loadGatewayPackageDefinition(options.protoDirs, { keepCase: true })).addToServer(this.server);
  }

  /** Listens on host:port (port 0 = any free port) and resolves with the bound port. */
  async start(port: number, host = '0.0.0.0'): Promise<number> {
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    this.logger.log(`gRPC ${RECOMMENDATION_SERVICE}, ${HEALTH_SERVICE} and reflection listening on :${this.boundPort}`);
    return this.boundPort;
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  get callsInFlight(): number {
    return this.inFlight;
  }

  /** Listening, not shutting down. */
  isListening(): boolean {
    return this.boundPort !== undefined && !this.shuttingDown;
  }

  healthStatus(): HealthStatus {
    return this.isListening() && this.options.backend.isReady() && (this.options.bundles?.isReady() ?? true) ? 'SERVING' : 'NOT_SERVING';
  }

  /**
   * Turns NOT_SERVING, ends health watches, lets calls in flight finish (they
   * are bounded by their deadlines) for up to graceMs, then flushes the
   * served-list publishes still pending.
   */
  async stop(graceMs = 5000): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const w of this.watchers) {
      w.write({ status: 'NOT_SERVING' });
      w.end();
    }
    this.watchers.clear();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.logger.warn(`calls still running after ${graceMs} ms, closing them`);
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await Promise.race([this.publisher.flush(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
  }

  /** Waits until every served list published so far has been accepted or failed (tests, shutdown). */
  flushPublishes(): Promise<void> {
    return this.publisher.flush();
  }

  private recommend(call: grpc.ServerUnaryCall<WireRecommendRequest, unknown>, callback: grpc.sendUnaryData<unknown>): void {
    this.serve<BackendAnswer>('Recommend', call, callback, async (deadlineMs) => {
      const query = validateRecommendRequest(call.request);
      return {
        query: () => this.options.backend.recommend({ ...query, deadlineMs }),
        userId: query.userId,
        surface: 'recommend',
        respond: (recId, answer) => {
          const items = answer.items.slice(0, query.k);
          return { served: items, modelVersion: answer.modelVersion, response: { recId, items: items.map((i) => scoredItemToWire(i, answer.modelVersion)), modelVersion: answer.modelVersion } };
        },
      };
    });
  }

  private similarItems(call: grpc.ServerUnaryCall<WireSimilarItemsRequest, unknown>, callback: grpc.sendUnaryData<unknown>): void {
    this.serve<BackendAnswer>('SimilarItems', call, callback, async (deadlineMs) => {
      const query = validateSimilarItemsRequest(call.request);
      return {
        query: () => this.options.backend.similarItems({ ...query, deadlineMs }),
        userId: query.userId ?? '',
        surface: 'similar_items',
        respond: (recId, answer) => {
          const items = answer.items.slice(0, query.k);
          return { served: items, modelVersion: answer.modelVersion, response: { recId, itemId: query.itemId, items: items.map((i) => scoredItemToWire(i, answer.modelVersion)), modelVersion: answer.modelVersion } };
        },
      };
    });
  }

  private bundle(call: grpc.ServerUnaryCall<WireBundleRequest, unknown>, callback: grpc.sendUnaryData<unknown>): void {
    const bundles = this.options.bundles;
    if (!bundles) {
      const started = process.hrtime.bigint();
      callback({ code: grpc.status.UNIMPLEMENTED, details: 'this gateway has no bundler configured (BUNDLER_ADDRESS)' });
      this.record('Bundle', grpc.status.UNIMPLEMENTED, started);
      return;
    }
    this.serve<BundleAnswer>('Bundle', call, callback, async (deadlineMs) => {
      const query = validateBundleRequest(call.request);
      return {
        query: () => bundles.bundles({ ...query, deadlineMs }),
        userId: query.userId ?? '',
        surface: 'bundle',
        respond: (recId, answer: BundleAnswer) => ({
          // The feedback loop joins on what was offered: every added item, bundle by bundle.
          served: answer.bundles.flatMap((b) => b.items.filter((i) => i.role !== 'anchor')),
          modelVersion: answer.modelVersion,
          response: {
            recId,
            modelVersion: answer.modelVersion,
            bundles: answer.bundles.map((b) => ({ totalScore: b.totalScore, totalPrice: b.totalPrice, reason: b.reason, items: b.items.map((i) => ({ role: i.role, item: scoredItemToWire(i, answer.modelVersion) })) })),
          },
        }),
      };
    });
  }

  /**
   * One unary call: in-flight bound, validation, deadline, backend, status
   * mapping, metrics and the served-list record. Answers exactly once.
   */
  private serve<Answer>(
    method: GatewayMethod,
    call: grpc.ServerUnaryCall<unknown, unknown>,
    callback: grpc.sendUnaryData<unknown>,
    prepare: (deadlineMs: number) => Promise<{
      query: () => Promise<Answer>;
      userId: string;
      surface: ServedSurface;
      /** The wire response plus what is published as served. */
      respond: (recId: string, answer: Answer) => { response: unknown; served: readonly BackendItem[]; modelVersion: string };
    }>,
  ): void {
    const started = process.hrtime.bigint();
    if (this.shuttingDown) {
      callback({ code: grpc.status.UNAVAILABLE, details: 'gateway is shutting down' });
      this.record(method, grpc.status.UNAVAILABLE, started);
      return;
    }
    if (this.inFlight >= this.options.maxInFlight) {
      callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: `gateway is serving its limit of ${this.options.maxInFlight} calls; retry with backoff` });
      this.record(method, grpc.status.RESOURCE_EXHAUSTED, started);
      return;
    }
    this.inFlight += 1;
    this.options.metrics.inFlight.set(this.inFlight);

    let done = false;
    const deadlineTimer: { handle?: NodeJS.Timeout } = {};
    const finish = (outcome: Outcome | { value: unknown }): boolean => {
      if (done) return false;
      done = true;
      clearTimeout(deadlineTimer.handle);
      this.inFlight -= 1;
      this.options.metrics.inFlight.set(this.inFlight);
      if (outcome instanceof Outcome) {
        if (outcome.reply) callback({ code: outcome.code, details: outcome.details });
        this.record(method, outcome.code, started);
      } else {
        callback(null, outcome.value);
        this.record(method, grpc.status.OK, started);
      }
      return true;
    };
    const now = Date.now();
    const deadlineMs = Math.min(deadlineToMs(call.getDeadline()), now + this.options.defaultDeadlineMs);
    const remaining = deadlineMs - now;
    // grpc-js itself ends a call whose client deadline passed, and tells us with 'cancelled'.
    call.on('cancelled', () =>
      finish(Date.now() >= deadlineMs - 25 ? new Outcome(grpc.status.DEADLINE_EXCEEDED, 'deadline exceeded', false) : new Outcome(grpc.status.CANCELLED, 'cancelled by the client', false)),
    );
    if (remaining <= 0) {
      finish(new Outcome(grpc.status.DEADLINE_EXCEEDED, 'deadline exceeded before the call started'));
      return;
    }
    deadlineTimer.handle = setTimeout(() => finish(new Outcome(grpc.status.DEADLINE_EXCEEDED, `no answer within the deadline (${remaining} ms)`)), remaining);

    void (async () => {
      let prepared: Awaited<ReturnType<typeof prepare>>;
      try {
        prepared = await prepare(deadlineMs);
      } catch (error) {
        finish(error instanceof InvalidRequestError ? new Outcome(grpc.status.INVALID_ARGUMENT, error.message) : this.internal(method, error));
        return;
      }
      let answer: Answer;
      try {
        answer = await prepared.query();
      } catch (error) {
        if (done) {
          this.logger.debug(`${method} backend failed after the call ended: ${describe(error)}`);
          return;
        }
        if (error instanceof InvalidRequestError) finish(new Outcome(grpc.status.INVALID_ARGUMENT, error.message));
        else if (error instanceof UnknownItemError) finish(new Outcome(grpc.status.NOT_FOUND, error.message || 'unknown item'));
        else if (error instanceof BackendOverloadedError) finish(new Outcome(grpc.status.RESOURCE_EXHAUSTED, 'recommendation backend is overloaded; retry with backoff'));
        else finish(this.internal(method, error));
        return;
      }
      if (done) return; // answered already (deadline or cancel); the late answer is dropped
      const recId = randomUUID();
      let reply: ReturnType<typeof prepared.respond>;
      try {
        reply = prepared.respond(recId, answer);
      } catch (error) {
        finish(this.internal(method, error));
        return;
      }
      if (!finish({ value: reply.response })) return;
      this.publisher.publish({ recId, userId: prepared.userId, surface: prepared.surface, items: reply.served, modelVersion: reply.modelVersion, tsMs: Date.now() });
    })();
  }

  private internal(method: GatewayMethod, error: unknown): Outcome {
    this.logger.error(`${method} failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    return new Outcome(grpc.status.INTERNAL, 'internal error while computing recommendations');
  }

  private record(method: GatewayMethod, code: grpc.status, started: bigint): void {
    this.options.metrics.requests.inc({ method, code: grpc.status[code] });
    this.options.metrics.requestSeconds.observe({ method }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  private knowsService(service: string): boolean {
    return service === '' || service === RECOMMENDATION_SERVICE;
  }

  private watch(call: grpc.ServerWritableStream<{ service: string }, { status: string }>): void {
    if (!this.knowsService(call.request.service)) {
      // Per the health protocol, Watch answers SERVICE_UNKNOWN instead of failing.
      call.write({ status: 'SERVICE_UNKNOWN' });
      return;
    }
    if (this.shuttingDown) {
      call.write({ status: 'NOT_SERVING' });
      call.end();
      return;
    }
    let last = this.healthStatus();
    call.write({ status: last });
    const interval = setInterval(() => {
      const now = this.healthStatus();
      if (now !== last) {
        last = now;
        call.write({ status: now });
      }
    }, this.options.healthWatchIntervalMs ?? 1000);
    this.watchers.add(call);
    const stop = (): void => {
      clearInterval(interval);
      this.watchers.delete(call);
    };
    call.on('cancelled', stop);
    call.on('finish', stop);
  }
}

function deadlineToMs(deadline: grpc.Deadline): number {
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : Number.POSITIVE_INFINITY;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
