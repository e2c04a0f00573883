import { randomUUID } from 'crypto';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { Logger } from '@nestjs/common';
import type { Pseudonymize } from '@recmesh/service-config';
import {
  bindGrpcServer,
  BundleRequest,
  BundleResponse,
  BundleResponseSchema,
  grpcServiceDefinition,
  GrpcServerSecurity,
  grpcServerOptions,
  Health,
  HealthCheckRequest,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
  isMalformed,
  MalformedMessage,
  RecommendationService,
  RecommendRequest,
  RecommendResponse,
  RecommendResponseSchema,
  reflectionPackageDefinition,
  SimilarItemsRequest,
  SimilarItemsResponse,
  SimilarItemsResponseSchema,
  shutdownGrpcServer,
} from '@recmesh/contracts';
import { MessageBus } from '@recmesh/messaging';
import {
  BundleAnswer,
  BundleBackend,
  bundlesToWire,
  ArmAssignment,
  deadlineToMs,
  ExperimentAssigner,
  grpcFailure,
  InvalidRequestError,
  RecommendationBackend,
  Recommendations,
  RecommendedItem,
  scoredItemToWire,
  ServedBy,
  servedByOf,
  ServingError,
  ServingErrorCode,
  validateBundleRequest,
  validateRecommendRequest,
  validateSimilarItemsRequest,
} from '@recmesh/serving-core';
import { GatewayMethod, GatewayMetrics } from './gateway-metrics';
import { AdmissionLimiter, AdmissionOptions, Rejection, ReleaseOutcome } from './admission/adaptive-limiter';
import { fixedAdmission } from './admission/admission.config';

import { ServedPublisher, ServedSurface } from './served-publisher';

export const RECOMMENDATION_SERVICE = RecommendationService.typeName;
export const HEALTH_SERVICE = Health.typeName;


export type HealthStatus = 'SERVING' | 'NOT_SERVING';

/** The storefront methods with their request and answer, for calls in process (`GatewayGrpcServer.invoke`). */
export interface GatewayCalls {
  readonly Recommend: { readonly request: RecommendRequest; readonly response: RecommendResponse };
  readonly SimilarItems: { readonly request: SimilarItemsRequest; readonly response: SimilarItemsResponse };
  readonly Bundle: { readonly request: BundleRequest; readonly response: BundleResponse };
}

/** A call in process that ended with a status other than OK: the status a gRPC client would have got. */
export class GatewayCallError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`${grpc.status[code]}: ${details}`);
    this.name = 'GatewayCallError';
  }
}

/** What serving a call reads of it: grpc-js's ServerUnaryCall, or a call in process (`invoke`). */
interface UnaryCall<Request> {
  readonly request: Request | MalformedMessage;
  getDeadline(): grpc.Deadline;
  on(event: 'cancelled', listener: () => void): unknown;
}

type Reply = (error: { code?: grpc.status; details?: string; metadata?: grpc.Metadata } | null, value?: unknown) => void;

/** Failures of an arm's own version (not of the request): the serving version answers instead. */
const ARM_FALLBACK_CODES: ReadonlySet<ServingErrorCode> = new Set([ServingErrorCode.NotFound, ServingErrorCode.Unavailable, ServingErrorCode.FailedPrecondition]);

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
  /** Admission control (GATEWAY_ADMISSION*); without it, the fixed `maxInFlight` bound. */
  readonly admission?: AdmissionOptions;
  /**
   * GATEWAY_MAX_STREAMS_PER_CONNECTION (0 or unset: no cap), sent as HTTP/2's SETTINGS_MAX_CONCURRENT_STREAMS.
   * A client past it queues its calls in its own channel: under overload that costs the gateway
   * nothing, where a refused call that comes straight back costs it a call's worth of HTTP/2 and gRPC
   * work each time, CPU the calls being served no longer get (bench:overload on a loaded host:
   * 1,024 calls on one connection fell to 206 OK/s without the cap, 439-706 with it).
   */
  readonly maxStreamsPerConnection?: number;
  /** Deadline for calls without one (and the cap for later client deadlines). */
  readonly defaultDeadlineMs: number;
  /** How often health Watch streams re-check readiness. Default 1000 ms. */
  readonly healthWatchIntervalMs?: number;
  /** The running A/B experiments: each call is served (and recorded) as its user's arm. */
  readonly experiments?: ExperimentAssigner;
  /** RECMESH_PSEUDONYM_KEY: the user id of a call as the stores keep it (ingest hashed the events' ids the same way). */
  readonly pseudonymize?: Pseudonymize;
  /** Bind address, TLS and the API-key check (@recmesh/access-control); without it plaintext with no checks. */
  readonly security?: GrpcServerSecurity;
}

class Outcome {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
    /** False when the call is already over on the wire (cancelled, or ended by grpc-js at its deadline). */
    readonly reply = true,
    /** Trailers of the error, e.g. the retry pushback of an admission refusal. */
    readonly metadata?: grpc.Metadata,
  ) {}
}

/** An admission refusal on the wire: RESOURCE_EXHAUSTED with gRPC's retry pushback trailer. */
function refusal(rejection: Rejection): Outcome {
  const metadata = new grpc.Metadata();
  if (rejection.retryAfterMs > 0) metadata.set('grpc-retry-pushback-ms', String(rejection.retryAfterMs));
  return new Outcome(grpc.status.RESOURCE_EXHAUSTED, rejection.message, true, metadata);
}

/**
 * The storefront's gRPC API on plain @grpc/grpc-js: RecommendationService,
 * server reflection and grpc.health.v1.Health. Validates requests, enforces
 * deadlines and an in-flight bound, maps backend failures to status codes,
 * stamps each answer with a rec_id and publishes what it served.
 */
export class GatewayGrpcServer {
  private readonly logger = new Logger('GatewayGrpcServer');
  private readonly server: grpc.Server;
  private readonly publisher: ServedPublisher;
  private readonly watchers = new Set<grpc.ServerWritableStream<HealthCheckRequest | MalformedMessage, unknown>>();
  private inFlight = 0;
  private readonly admission: AdmissionLimiter;
  private readonly handlers: { readonly [M in keyof GatewayCalls]: (call: UnaryCall<GatewayCalls[M]['request']>, reply: Reply) => void } = {
    Recommend: (call, reply) => this.recommend(call, reply),
    SimilarItems: (call, reply) => this.similarItems(call, reply),
    Bundle: (call, reply) => this.bundle(call, reply),
  };
  private boundPort: number | undefined;
  private shuttingDown = false;

  constructor(private readonly options: GatewayGrpcServerOptions) {
    // The security's interceptors check every call's key before any handler (Recommend, Health, reflection) runs.
    const streams = options.maxStreamsPerConnection ? { 'grpc.max_concurrent_streams': options.maxStreamsPerConnection } : {};
    this.server = new grpc.Server(grpcServerOptions(options.security, { 'grpc.max_receive_message_length': 1024 * 1024, ...streams }));
    this.publisher = new ServedPublisher(options.bus, options.servedTopic, options.metrics);
    this.admission = new AdmissionLimiter(options.admission ?? fixedAdmission(options.maxInFlight), options.metrics.admission);
    this.server.addService(grpcServiceDefinition(RecommendationService), {
      Recommend: (call: grpc.ServerUnaryCall<RecommendRequest | MalformedMessage, unknown>, callback: grpc.sendUnaryData<unknown>) => this.recommend(call, callback),
      SimilarItems: (call: grpc.ServerUnaryCall<SimilarItemsRequest | MalformedMessage, unknown>, callback: grpc.sendUnaryData<unknown>) => this.similarItems(call, callback),
      Bundle: (call: grpc.ServerUnaryCall<BundleRequest | MalformedMessage, unknown>, callback: grpc.sendUnaryData<unknown>) => this.bundle(call, callback),
    });
    this.server.addService(grpcServiceDefinition(Health), {
      Check: (call: grpc.ServerUnaryCall<HealthCheckRequest | MalformedMessage, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        if (isMalformed(call.request)) callback({ code: grpc.status.INVALID_ARGUMENT, details: call.request.message });
        else if (!this.knowsService(call.request.service)) callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${call.request.service}` });
        else callback(null, healthResponse(this.healthStatus()));
      },
      Watch: (call: grpc.ServerWritableStream<HealthCheckRequest | MalformedMessage, unknown>) => this.watch(call),
    });
    new ReflectionService(reflectionPackageDefinition([RecommendationService, Health])).addToServer(this.server);
  }

  /** Listens on host:port (port 0 = any free port; host defaults to the security's, else 0.0.0.0) and resolves with the bound port. */
  async start(port: number, host = this.options.security?.host ?? '0.0.0.0'): Promise<number> {
    this.boundPort = await bindGrpcServer(this.server, port, host, this.options.security?.credentials);
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
      w.write(healthResponse('NOT_SERVING'));
      w.end();
    }
    this.watchers.clear();
    if (!(await shutdownGrpcServer(this.server, graceMs))) this.logger.warn(`calls still running after ${graceMs} ms were closed`);
    await Promise.race([this.publisher.flush(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
  }

  /**
   * Calls a storefront method in process, as a gRPC client on this server
   * would (the storefront's JSON API in the all-in-one process): the same
   * validation, in-flight bound, deadline, experiment arm, rec_id, metrics and
   * served-list record. Rejects with a GatewayCallError carrying the status.
   */
  invoke<M extends keyof GatewayCalls>(method: M, request: GatewayCalls[M]['request'], timeoutMs = this.options.defaultDeadlineMs): Promise<GatewayCalls[M]['response']> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const reply: Reply = (error, value) => (error ? reject(new GatewayCallError(error.code ?? grpc.status.UNKNOWN, error.details ?? '')) : resolve(value as GatewayCalls[M]['response']));
      // Nobody cancels a call in process: it ends by its answer or its deadline.
      this.handlers[method]({ request, getDeadline: () => deadline, on: () => undefined }, reply);
    });
  }

  /** Waits until every served list published so far has been accepted or failed (tests, shutdown). */
  flushPublishes(): Promise<void> {
    return this.publisher.flush();
  }

  /** A validated query with its user id as the stores keep it: everything after (backends, arms, served lists) sees only that. */
  private pseudonymous<Q extends { readonly userId?: string }>(query: Q): Q {
    const { pseudonymize } = this.options;
    return pseudonymize && query.userId !== undefined ? { ...query, userId: pseudonymize(query.userId) } : query;
  }

  private recommend(call: UnaryCall<RecommendRequest>, callback: Reply): void {
    this.serve<Recommendations>('Recommend', call, callback, async (deadlineMs) => {
      const query = this.pseudonymous(validateRecommendRequest(wellFormed(call.request)));
      return {
        query: (servedBy) => this.options.backend.recommend({ ...query, deadlineMs, servedBy }),
        userId: query.userId,
        surface: 'recommend',
        respond: (recId, answer) => {
          const items = answer.items.slice(0, query.k);
          return { served: items, modelVersion: answer.modelVersion, response: create(RecommendResponseSchema, { recId, items: items.map((i) => scoredItemToWire(i, answer.modelVersion)), modelVersion: answer.modelVersion }) };
        },
      };
    });
  }

  private similarItems(call: UnaryCall<SimilarItemsRequest>, callback: Reply): void {
    this.serve<Recommendations>('SimilarItems', call, callback, async (deadlineMs) => {
      const query = this.pseudonymous(validateSimilarItemsRequest(wellFormed(call.request)));
      return {
        query: (servedBy) => this.options.backend.similarItems({ ...query, deadlineMs, servedBy }),
        userId: query.userId ?? '',
        surface: 'similar_items',
        respond: (recId, answer) => {
          const items = answer.items.slice(0, query.k);
          return { served: items, modelVersion: answer.modelVersion, response: create(SimilarItemsResponseSchema, { recId, itemId: query.itemId, items: items.map((i) => scoredItemToWire(i, answer.modelVersion)), modelVersion: answer.modelVersion }) };
        },
      };
    });
  }

  private bundle(call: UnaryCall<BundleRequest>, callback: Reply): void {
    const bundles = this.options.bundles;
    this.serve<BundleAnswer>('Bundle', call, callback, async (deadlineMs) => {
      const query = this.pseudonymous(validateBundleRequest(wellFormed(call.request)));
      if (!bundles) throw new ServingError(ServingErrorCode.Unimplemented, 'this gateway has no bundler configured (BUNDLER_ADDRESS)');
      return {
        query: () => bundles.bundles({ ...query, deadlineMs }),
        userId: query.userId ?? '',
        surface: 'bundle',
        respond: (recId, answer: BundleAnswer) => ({
          // The feedback loop joins on what was offered: every added item, bundle by bundle.
          served: answer.bundles.flatMap((b) => b.items.filter((i) => i.role !== 'anchor')),
          modelVersion: answer.modelVersion,
          response: create(BundleResponseSchema, { recId, modelVersion: answer.modelVersion, bundles: bundlesToWire(answer) }),
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
    call: UnaryCall<unknown>,
    callback: Reply,
    prepare: (deadlineMs: number) => Promise<{
      /** The backend call; `servedBy` is what the user's experiment arm serves (undefined: the serving version). */
      query: (servedBy?: ServedBy) => Promise<Answer>;
      userId: string;
      surface: ServedSurface;
      /** The wire response plus what is published as served. */
      respond: (recId: string, answer: Answer) => { response: unknown; served: readonly RecommendedItem[]; modelVersion: string };
    }>,
  ): void {
    const started = process.hrtime.bigint();
    if (this.shuttingDown) {
      callback({ code: grpc.status.UNAVAILABLE, details: 'gateway is shutting down' });
      this.record(method, grpc.status.UNAVAILABLE, started);
      return;
    }
    // Admission control (admission/adaptive-limiter.ts): runs now, waits for a slot, or is refused at once.
    const ticket = this.admission.admit(Math.min(deadlineToMs(call.getDeadline()), Date.now() + this.options.defaultDeadlineMs));
    if (ticket instanceof Rejection) {
      const { code, details, metadata } = refusal(ticket);
      callback({ code, details, metadata });
      this.options.metrics.admission.rejectionSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      this.record(method, grpc.status.RESOURCE_EXHAUSTED, started);
      return;
    }
    this.inFlight += 1;
    this.options.metrics.inFlight.set(this.inFlight);

    let done = false;
    const backendWork: { running: boolean; endedAs?: ReleaseOutcome } = { running: false };
    const deadlineTimer: { handle?: NodeJS.Timeout } = {};
    const finish = (outcome: Outcome | { value: unknown }): boolean => {
      if (done) return false;
      done = true;
      clearTimeout(deadlineTimer.handle);
      this.inFlight -= 1;
      const releaseAs = outcome instanceof Outcome ? admissionOutcome(outcome.code) : 'ok';
      // Ended (deadline, cancel) while the backend still computes: the slot stands for backend capacity, so it is freed when that work ends.
      if (backendWork.running) backendWork.endedAs = releaseAs;
      else ticket.release(releaseAs);
      this.options.metrics.inFlight.set(this.inFlight);
      if (outcome instanceof Outcome) {
        if (outcome.reply) callback({ code: outcome.code, details: outcome.details, metadata: outcome.metadata });
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
      const refused = await ticket.ready;
      if (refused) finish(refusal(refused));
      if (done) return; // refused after waiting, or ended (deadline, cancel) while waiting
      let prepared: Awaited<ReturnType<typeof prepare>>;
      try {
        prepared = await prepare(deadlineMs);
      } catch (error) {
        finish(this.failed(method, error, deadlineMs));
        return;
      }
      const assignment = this.options.experiments?.assign(prepared.surface, prepared.userId);
      let answer: Answer;
      try {
        backendWork.running = true;
        answer = await this.queryArm(prepared.query, assignment).finally(() => {
          backendWork.running = false;
          if (backendWork.endedAs) ticket.release(backendWork.endedAs);
        });
      } catch (error) {
        if (done) {
          this.logger.debug(`${method} backend failed after the call ended: ${describe(error)}`);
          return;
        }
        finish(this.failed(method, error, deadlineMs));
        return;
      }
      if (done) return; // answered already (deadline or cancel); the late answer is dropped
      const recId = randomUUID();
      let reply: ReturnType<typeof prepared.respond>;
      try {
        reply = prepared.respond(recId, answer);
      } catch (error) {
        finish(this.failed(method, error, deadlineMs));
        return;
      }
      if (!finish({ value: reply.response })) return;
      this.publisher.publish({
        recId, userId: prepared.userId, surface: prepared.surface, items: reply.served, modelVersion: reply.modelVersion, tsMs: Date.now(),
        experiment: assignment && { name: assignment.experiment, arm: assignment.arm.name },
        latencyMs: Number(process.hrtime.bigint() - started) / 1e6,
      });
    })();
  }

  /**
   * Serves the call as the user's arm. An arm whose version cannot serve (not
   * loadable, unknown, retired) must not fail the shopper: the call falls back
   * to the serving version, is counted, and its served list says which version
   * answered, which is how a canary's guardrail sees a broken candidate.
   */
  private async queryArm<Answer>(query: (servedBy?: ServedBy) => Promise<Answer>, assignment: ArmAssignment | undefined): Promise<Answer> {
    const servedBy = assignment && servedByOf(assignment.arm);
    if (!servedBy) return query();
    try {
      return await query(servedBy);
    } catch (error) {
      if (!(error instanceof ServingError) || !ARM_FALLBACK_CODES.has(error.code)) throw error;
      this.options.metrics.armFallbacks.inc({ experiment: assignment.experiment, arm: assignment.arm.name });
      this.logger.warn(`arm ${assignment.experiment}/${assignment.arm.name} could not serve (${error.message}); answered by the serving version`);
      return query();
    }
  }

  /** The status of a failure, by the serving vocabulary's one mapping (after the call's deadline, a failure is the deadline's). */
  private failed(method: GatewayMethod, error: unknown, deadlineMs: number): Outcome {
    const { code, details } = grpcFailure(error, this.logger, { method, internalMessage: 'internal error while computing recommendations', deadlineMs });
    if (code === grpc.status.RESOURCE_EXHAUSTED) return new Outcome(code, `recommendation backend is overloaded; retry with backoff (${details})`);
    if (code === grpc.status.UNAVAILABLE) return new Outcome(code, `recommendation backend is unavailable; retry with backoff (${details})`);
    return new Outcome(code, details);
  }

  private record(method: GatewayMethod, code: grpc.status, started: bigint): void {
    this.options.metrics.requests.inc({ method, code: grpc.status[code] });
    this.options.metrics.requestSeconds.observe({ method }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  private knowsService(service: string): boolean {
    return service === '' || service === RECOMMENDATION_SERVICE;
  }

  private watch(call: grpc.ServerWritableStream<HealthCheckRequest | MalformedMessage, unknown>): void {
    if (isMalformed(call.request)) {
      call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: call.request.message });
      return;
    }
    if (!this.knowsService(call.request.service)) {
      // Per the health protocol, Watch answers SERVICE_UNKNOWN instead of failing.
      call.write(healthResponse('SERVICE_UNKNOWN'));
      return;
    }
    if (this.shuttingDown) {
      call.write(healthResponse('NOT_SERVING'));
      call.end();
      return;
    }
    let last = this.healthStatus();
    call.write(healthResponse(last));
    const interval = setInterval(() => {
      const now = this.healthStatus();
      if (now !== last) {
        last = now;
        call.write(healthResponse(now));
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

function healthResponse(status: HealthStatus | 'SERVICE_UNKNOWN') {
  return create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus[status] });
}

/** A request that did not decode is the caller's mistake: INVALID_ARGUMENT, never INTERNAL. */
function wellFormed<T extends object>(request: T | MalformedMessage): T {
  if (isMalformed(request)) throw new InvalidRequestError(request.message);
  return request;
}

/** What a call's end tells admission control about capacity: timeouts and backend overload say "too many at once". */
function admissionOutcome(code: grpc.status): ReleaseOutcome {
  if (code === grpc.status.OK) return 'ok';
  return code === grpc.status.DEADLINE_EXCEEDED || code === grpc.status.RESOURCE_EXHAUSTED ? 'dropped' : 'ignored';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
