import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { ScoreRequestSchema, ScorerService } from '../generated/recmesh/scorer/v1/scorer_pb';
import { Health, HealthCheckResponse_ServingStatus } from '../generated/grpc/health/v1/health_pb';
import { ReasonCode } from '../generated/recmesh/gateway/v1/gateway_pb';
import { mulberry32 as prng } from '@recmesh/numerics';
import { sendRawUnary } from '../testing/malformed-requests';
import { addUnaryService, createGrpcClient, GrpcClient, grpcServiceDefinition, isMalformed, MalformedMessage } from './index';

class UnknownItem extends Error {}

function decodes(bytes: Uint8Array): boolean {
  try {
    fromBinary(ScoreRequestSchema, bytes);
    return true;
  } catch {
    return false;
  }
}

const SCORE_PATH = '/recmesh.scorer.v1.ScorerService/Score';

describe('gRPC transport over generated services', () => {
  let server: grpc.Server;
  let port: number;
  let client: GrpcClient<typeof ScorerService>;
  let raw: grpc.Client;
  let handlerCalls = 0;
  let lastDeadline: grpc.Deadline | undefined;
  let lastTrace: grpc.MetadataValue[] = [];
  const thrown: Array<{ error: unknown; method: string }> = [];

  beforeAll(async () => {
    server = new grpc.Server();
    addUnaryService(
      server,
      ScorerService,
      {
        score: async (request, call) => {
          handlerCalls++;
          lastDeadline = call.getDeadline();
          lastTrace = call.metadata.get('x-trace');
          if (request.userId === 'slow') await new Promise((resolve) => setTimeout(resolve, 1000));
          if (request.userId === 'boom') throw new Error('database on fire');
          return {
            items: request.cartItemIds.map((itemId, i) => ({ itemId, score: 1 / (i + 1), reason: `for ${request.userId}`, reasonCode: ReasonCode.TRENDING })),
            modelVersion: `k=${request.k} categories=${request.filters?.categories.join(',') ?? ''}`,
          };
        },
        scoreSimilar: async (request) => {
          throw new UnknownItem(`unknown item ${request.itemId}`);
        },
      },
      (error, method) => {
        thrown.push({ error, method });
        return error instanceof UnknownItem ? { code: grpc.status.NOT_FOUND, details: error.message } : { code: grpc.status.UNAVAILABLE, details: 'try again' };
      },
    );
    addUnaryService(server, Health, { check: async () => ({ status: HealthCheckResponse_ServingStatus.SERVING }) });
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    client = createGrpcClient(ScorerService, `127.0.0.1:${port}`);
    raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(() => {
    client.close();
    raw.close();
    server.forceShutdown();
  });

  const sendRaw = (bytes: Uint8Array, path = SCORE_PATH) => sendRawUnary(raw, path, bytes);

  /** Sends each buffer and returns the distinct answers, in batches so the test stays within HTTP/2 stream limits. */
  async function answersTo(buffers: Uint8Array[]): Promise<Array<{ code: grpc.status; details: string }>> {
    const answers: Array<{ code: grpc.status; details: string }> = [];
    for (let i = 0; i < buffers.length; i += 50) answers.push(...(await Promise.all(buffers.slice(i, i + 50).map((b) => sendRaw(b)))));
    return answers;
  }

  it('round-trips a request and a response through the typed client', async () => {
    const response = await client.score({ userId: 'u-1', k: 3, cartItemIds: ['sku-1', 'sku-2'], filters: { categories: ['Electronics'], maxPrice: 100 } });
    expect(response.$typeName).toBe('recmesh.scorer.v1.ScoreResponse');
    expect(response.modelVersion).toBe('k=3 categories=Electronics');
    expect(response.items.map((i) => [i.itemId, i.score, i.reason, i.reasonCode])).toEqual([
      ['sku-1', 1, 'for u-1', ReasonCode.TRENDING],
      ['sku-2', 0.5, 'for u-1', ReasonCode.TRENDING],
    ]);
  });

  it('accepts a message made with create() as well as a plain init object', async () => {
    const response = await client.score(create(ScoreRequestSchema, { userId: 'u-2', k: 1, cartItemIds: ['sku-9'] }));
    expect(response.items.map((i) => i.itemId)).toEqual(['sku-9']);
  });

  it('maps a thrown error through the caller’s toStatus and rejects with the ServiceError unchanged', async () => {
    await expect(client.scoreSimilar({ itemId: 'sku-404', k: 5 })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: 'unknown item sku-404' });
    await expect(client.score({ userId: 'boom' })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, details: 'try again' });
    expect(thrown.map((t) => [t.method, (t.error as Error).message])).toEqual([
      ['ScoreSimilar', 'unknown item sku-404'],
      ['Score', 'database on fire'],
    ]);
  });

  it('answers INTERNAL with a generic message by default', async () => {
    const other = new grpc.Server();
    addUnaryService(other, ScorerService, {
      score: async () => {
        throw new Error('secret detail');
      },
      scoreSimilar: async () => ({}),
    });
    const otherPort = await new Promise<number>((resolve, reject) =>
      other.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const otherClient = createGrpcClient(ScorerService, `127.0.0.1:${otherPort}`);
    try {
      await expect(otherClient.score({ userId: 'u' })).rejects.toMatchObject({ code: grpc.status.INTERNAL, details: 'internal error' });
      expect(await otherClient.scoreSimilar({ itemId: 'x' })).toMatchObject({ items: [], modelVersion: '' });
    } finally {
      otherClient.close();
      other.forceShutdown();
    }
  });

  it('passes the deadline through: the handler sees it and a late answer is DEADLINE_EXCEEDED', async () => {
    const deadline = Date.now() + 2000;
    await client.score({ userId: 'u-3' }, { deadline });
    expect(Math.abs(new Date(lastDeadline as Date | number).getTime() - deadline)).toBeLessThan(100);

    const started = Date.now();
    await expect(client.score({ userId: 'slow' }, { deadline: Date.now() + 50 })).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    expect(Date.now() - started).toBeLessThan(800);
  });

  it('sends request metadata', async () => {
    const metadata = new grpc.Metadata();
    metadata.set('x-trace', 't-1');
    await client.score({ userId: 'u-4' }, { metadata });
    expect(lastTrace).toEqual(['t-1']);
  });

  it('answers INVALID_ARGUMENT, never INTERNAL or OK, to random bytes that do not decode', async () => {
    const next = prng(20240611);
    const buffers = Array.from({ length: 600 }, () => Uint8Array.from({ length: 1 + Math.floor(next() * 64) }, () => Math.floor(next() * 256)));
    const malformed = buffers.filter((b) => !decodes(b));
    // Random bytes are sometimes a valid message (unknown fields, a string read where a varint was sent): those reach the handler.
    expect(malformed.length).toBeGreaterThan(500);
    const callsBefore = handlerCalls;
    const answers = await answersTo(malformed);
    expect(answers.filter((a) => a.code !== grpc.status.INVALID_ARGUMENT)).toEqual([]);
    expect(answers.every((a) => a.details.startsWith('malformed recmesh.scorer.v1.ScoreRequest: '))).toBe(true);
    expect(handlerCalls).toBe(callsBefore);

    const wellFormed = buffers.filter(decodes);
    expect((await answersTo(wellFormed)).filter((a) => a.code !== grpc.status.OK)).toEqual([]);
  });

  it('answers INVALID_ARGUMENT to every truncation of a valid request that does not decode', async () => {
    const bytes = toBinary(
      ScoreRequestSchema,
      create(ScoreRequestSchema, { userId: 'user-42', k: 10, currentItemId: 'sku-7', cartItemIds: ['sku-1', 'sku-2'], filters: { categories: ['Books', 'Toys'], minPrice: 1.5, maxPrice: 20 } }),
    );
    const truncated = Array.from({ length: bytes.length }, (_, n) => bytes.subarray(0, n)).filter((b) => !decodes(b));
    expect(truncated.length).toBeGreaterThan(bytes.length / 2);
    const answers = await answersTo(truncated);
    expect(answers.filter((a) => a.code !== grpc.status.INVALID_ARGUMENT)).toEqual([]);
    expect(answers).toContainEqual({ code: grpc.status.INVALID_ARGUMENT, details: 'malformed recmesh.scorer.v1.ScoreRequest: premature EOF' });
  });

  it('answers INVALID_ARGUMENT to a string field holding invalid UTF-8, at the top level and in a nested message', async () => {
    /** A valid request whose "@@" (in some string field) is replaced by the bytes 0xff 0xfe. */
    const marker = (init: MessageInitShape<typeof ScoreRequestSchema>): Uint8Array => {
      const bytes = toBinary(ScoreRequestSchema, create(ScoreRequestSchema, init));
      const at = Buffer.from(bytes).indexOf('@@');
      expect(at).toBeGreaterThan(0);
      bytes.set([0xff, 0xfe], at);
      return bytes;
    };
    for (const bytes of [marker({ userId: '@@', k: 3 }), marker({ userId: 'u-1', filters: { categories: ['@@'] } })]) {
      expect(decodes(bytes)).toBe(false);
      expect(await sendRaw(bytes)).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        details: 'malformed recmesh.scorer.v1.ScoreRequest: The encoded data was not valid for encoding utf-8',
      });
    }
  });

  it('hands a custom handler a MalformedMessage instead of throwing in the deserializer', () => {
    const definition = grpcServiceDefinition(ScorerService);
    expect(definition.score.path).toBe(SCORE_PATH);
    expect(definition.score.originalName).toBe('Score');
    const request = definition.score.requestDeserialize(Buffer.from([0x0a, 0x05, 0x61]));
    expect(isMalformed(request)).toBe(true);
    expect(request).toEqual(new MalformedMessage('recmesh.scorer.v1.ScoreRequest', 'premature EOF'));
    expect(isMalformed(definition.score.requestDeserialize(Buffer.alloc(0)))).toBe(false);
  });

  it('serves a service with a streaming method: unary methods answered, streaming ones UNIMPLEMENTED', async () => {
    const health = createGrpcClient(Health, `127.0.0.1:${port}`);
    try {
      expect((await health.check({ service: '' })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      expect('watch' in health).toBe(false);
      expect((await sendRaw(new Uint8Array(), '/grpc.health.v1.Health/Watch')).code).toBe(grpc.status.UNIMPLEMENTED);
    } finally {
      health.close();
    }
  });

  it('gives access to the channel for readiness checks', () => {
    expect(client.getChannel().getTarget()).toContain(`127.0.0.1:${port}`);
  });
});
