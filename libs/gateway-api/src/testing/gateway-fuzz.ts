// The gateway's gRPC face under property-based fuzzing (issue 13): a real GatewayGrpcServer on
// grpc-js with an in-process backend, sent (1) valid-shaped request messages, (2) arbitrary bytes as
// the request message and (3) arbitrary bytes as the whole HTTP/2 request body (the gRPC framing
// itself). Every answer must be a status: OK where the request validation accepts the request,
// INVALID_ARGUMENT with a message where it does not or the bytes do not decode, and for a broken
// frame whatever status grpc-js answers, with a message; the server must keep serving. Used by
// gateway-grpc.fuzz.spec.ts and tools/bench/fuzz.
import * as http2 from 'http2';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { RecommendationService } from '@recmesh/contracts';
import { MessageBus } from '@recmesh/messaging';
import { BundleAnswer, BundleBackend, RecommendationBackend, Recommendations } from '@recmesh/serving-core';
import { checkServingRequest, GATEWAY_REQUESTS, GatewayMethodName, ServingRequest } from '@recmesh/serving-core/testing';
import * as fc from 'fast-check';
import { Registry } from 'prom-client';
import { GatewayGrpcServer } from '../gateway-grpc-server';
import { GatewayMetrics } from '../gateway-metrics';

export type GatewayFuzzInput =
  | { readonly kind: 'message'; readonly method: GatewayMethodName; readonly request: object }
  | { readonly kind: 'message-bytes'; readonly method: GatewayMethodName; readonly bytes: Uint8Array }
  | { readonly kind: 'http2-body'; readonly method: GatewayMethodName; readonly bytes: Uint8Array };

const methods = fc.constantFrom<GatewayMethodName>('Recommend', 'SimilarItems', 'Bundle');

/** A gRPC length-prefixed frame: compressed flag, 4-byte big-endian length, the bytes. */
function frame(bytes: Uint8Array, compressed = 0, length = bytes.length): Uint8Array {
  const out = Buffer.alloc(5 + bytes.length);
  out[0] = compressed;
  out.writeUInt32BE(length >>> 0, 1);
  out.set(bytes, 5);
  return out;
}

/** Arbitrary bytes and damaged encodings of valid-shaped requests. */
function requestBytes(method: GatewayMethodName): fc.Arbitrary<Uint8Array> {
  const { schema, arbitrary } = GATEWAY_REQUESTS[method];
  const encoded = (arbitrary as fc.Arbitrary<object>).map((r) => toBinary(schema as DescMessage, create(schema as DescMessage, r as MessageInitShape<DescMessage>)));
  return fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.tuple(encoded, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, at, v]) => {
      const copy = Uint8Array.from(b);
      if (copy.length > 0) copy[at % copy.length] = v;
      return copy;
    }),
    fc.tuple(encoded, fc.nat()).map(([b, at]) => b.subarray(0, b.length === 0 ? 0 : at % b.length)),
    fc.tuple(encoded, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([b, tail]) => Uint8Array.from([...b, ...tail])),
    // Invalid UTF-8 in the first string field, deep groups.
    fc.constantFrom(Uint8Array.from([0x0a, 0x02, 0xff, 0xfe]), Uint8Array.from([0x0a, 0x01, 0xc3]), new Uint8Array(20_000).fill(0x0b)),
  );
}

/** Every kind of gateway input, valid-shaped messages first. */
export const gatewayInputs: fc.Arbitrary<GatewayFuzzInput> = methods.chain((method) =>
  fc.oneof(
    { arbitrary: (GATEWAY_REQUESTS[method].arbitrary as fc.Arbitrary<object>).map((request): GatewayFuzzInput => ({ kind: 'message', method, request })), weight: 6 },
    { arbitrary: requestBytes(method).map((bytes): GatewayFuzzInput => ({ kind: 'message-bytes', method, bytes })), weight: 3 },
    {
      arbitrary: fc
        .oneof(
          fc.uint8Array({ maxLength: 64 }),
          requestBytes(method).map((b) => frame(b)),
          fc.tuple(requestBytes(method), fc.integer({ min: 0, max: 255 })).map(([b, flag]) => frame(b, flag)),
          fc.tuple(requestBytes(method), fc.integer({ min: 0, max: 2 ** 32 - 1 })).map(([b, length]) => frame(b, 0, length)),
          fc.tuple(requestBytes(method), requestBytes(method)).map(([a, b]) => Uint8Array.from([...frame(a), ...frame(b)])),
        )
        .map((bytes): GatewayFuzzInput => ({ kind: 'http2-body', method, bytes })),
      weight: 2,
    },
  ),
);

/** Answers every query at once with one item: the fuzzing is about the edge, not the backend. */
class InProcessBackend implements RecommendationBackend, BundleBackend {
  calls = 0;
  private answer(): Recommendations {
    this.calls++;
    return { modelVersion: 'fuzz-1', items: [{ itemId: 'sku-1', score: 1, reason: 'Popular with shoppers like you', reasonCode: 'trending' }] };
  }
  async recommend(): Promise<Recommendations> {
    return this.answer();
  }
  async similarItems(): Promise<Recommendations> {
    return this.answer();
  }
  async bundles(): Promise<BundleAnswer> {
    this.calls++;
    return { modelVersion: 'fuzz-1', bundles: [] };
  }
  isReady(): boolean {
    return true;
  }
}

const PATHS: Record<GatewayMethodName, string> = Object.fromEntries(
  RecommendationService.methods.map((m) => [m.name, `/${RecommendationService.typeName}/${m.name}`]),
) as Record<GatewayMethodName, string>;

/** What a check returns: the status name (OK, INVALID_ARGUMENT, ...) prefixed by the input kind. */
export type GatewayVerdict = string;

export class GatewayFuzzTarget {
  readonly backend = new InProcessBackend();
  private constructor(
    private readonly server: GatewayGrpcServer,
    private readonly client: grpc.Client,
    private readonly session: http2.ClientHttp2Session,
    private readonly deadlineMs: number,
  ) {}

  /** A gateway on a free local port with an in-process backend and bundler. */
  static async start(options: { deadlineMs?: number } = {}): Promise<GatewayFuzzTarget> {
    const backend = new InProcessBackend();
    const bus = { publish: async () => undefined } as unknown as MessageBus; // served lists go nowhere
    const server = new GatewayGrpcServer({ backend, bundles: backend, bus, servedTopic: 'fuzz.served', metrics: new GatewayMetrics(new Registry()), maxInFlight: 1000, defaultDeadlineMs: 2000 });
    const port = await server.start(0, '127.0.0.1');
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined); // a broken session is replaced in http2Body
    const target = new GatewayFuzzTarget(server, client, session, options.deadlineMs ?? 2000);
    (target as { backend: InProcessBackend }).backend = backend;
    return target;
  }

  /** Checks one input; returns `<kind>:<status>`; throws when the answer breaks the contract. */
  async check(input: GatewayFuzzInput): Promise<GatewayVerdict> {
    switch (input.kind) {
      case 'message': {
        const { schema } = GATEWAY_REQUESTS[input.method];
        const bytes = toBinary(schema as DescMessage, create(schema as DescMessage, input.request as MessageInitShape<DescMessage>));
        return `message:${await this.messageBytes(input.method, bytes, true)}`;
      }
      case 'message-bytes':
        return `message-bytes:${await this.messageBytes(input.method, input.bytes, false)}`;
      case 'http2-body':
        return `http2-body:${await this.http2Body(input.method, input.bytes)}`;
    }
  }

  /** The request as bytes: the status must be what the validation of the decoded request says. */
  private async messageBytes(method: GatewayMethodName, bytes: Uint8Array, mustDecode: boolean): Promise<string> {
    const { schema } = GATEWAY_REQUESTS[method];
    let expected: string;
    try {
      const request = fromBinary(schema as DescMessage, bytes);
      expected = checkServingRequest({ kind: method, request } as ServingRequest) === 'accepted' ? 'OK' : 'INVALID_ARGUMENT';
    } catch (error) {
      if (mustDecode) throw new Error(`a request encoded by protobuf-es does not decode: ${(error as Error).message}`);
      expected = 'INVALID_ARGUMENT';
    }
    const answer = await this.unary(method, bytes);
    const got = grpc.status[answer.code];
    if (got !== expected) throw new Error(`${method} answered ${got} (${answer.details}), the validation says ${expected}`);
    if (answer.code !== grpc.status.OK && answer.details.trim() === '') throw new Error(`${method} answered ${got} without a message`);
    return got;
  }

  private unary(method: GatewayMethodName, bytes: Uint8Array): Promise<{ code: grpc.status; details: string }> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        PATHS[method],
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from(bytes),
        new grpc.Metadata(),
        { deadline: Date.now() + this.deadlineMs },
        (error) => resolve(error ? { code: error.code, details: error.details } : { code: grpc.status.OK, details: '' }),
      );
    });
  }

  /** Raw bytes as the HTTP/2 request body: some grpc-status must come back, with a message unless OK. */
  private http2Body(method: GatewayMethodName, bytes: Uint8Array): Promise<string> {
    if (this.session.closed || this.session.destroyed) throw new Error('the HTTP/2 session to the gateway was closed by the server');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        reject(new Error(`no status within ${this.deadlineMs} ms`));
      }, this.deadlineMs);
      const stream = this.session.request({ ':method': 'POST', ':path': PATHS[method], 'content-type': 'application/grpc', te: 'trailers' });
      let status: string | undefined;
      let message = '';
      const take = (headers: http2.IncomingHttpHeaders) => {
        if (headers['grpc-status'] !== undefined) status = String(headers['grpc-status']);
        if (headers['grpc-message'] !== undefined) message = decodeURIComponent(String(headers['grpc-message']));
      };
      stream.on('response', take);
      stream.on('trailers', take);
      stream.on('data', () => undefined);
      stream.on('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`the gateway reset the stream: ${error.message}`));
      });
      stream.on('close', () => {
        clearTimeout(timer);
        if (status === undefined) return reject(new Error(`no grpc-status for ${bytes.length} body bytes`));
        const code = Number(status);
        if (code !== grpc.status.OK && message.trim() === '') return reject(new Error(`status ${grpc.status[code]} without a message`));
        resolve(grpc.status[code] ?? `status ${status}`);
      });
      stream.end(Buffer.from(bytes));
    });
  }

  /** The server still answers a valid request (after a run). */
  async stillServing(): Promise<boolean> {
    const ok = create(GATEWAY_REQUESTS.Recommend.schema, { userId: 'u-1', k: 1 });
    return (await this.unary('Recommend', toBinary(GATEWAY_REQUESTS.Recommend.schema, ok))).code === grpc.status.OK;
  }

  async stop(): Promise<void> {
    this.client.close();
    this.session.close();
    await this.server.stop(200);
  }
}
