import { BadRequestException, INestApplication, Logger } from '@nestjs/common';
import * as fc from 'fast-check';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { resolveTopicNames, topicDeclarations } from '@recmesh/contracts';
import { InMemoryMessageBus } from '@recmesh/messaging';
import { createMetricsRegistry } from '@recmesh/observability';
import { serviceRootModule } from '@recmesh/service-runtime';
import { intakeFormat, NDJSON_MAX_EVENTS, ndjsonLines } from './raw-intake.controller';
import { configureRawIntake, RawIntakeModule } from './raw-intake.module';

const topics = resolveTopicNames();
const event = JSON.stringify({ event_id: 'e-1', user_id: 'u-1', item_id: 'sku-1', action: 'view', ts_ms: 1 });

/** The intake as runService starts it: rawBody on, the intake's body parsers, the runtime's error filter. */
async function startIntake(): Promise<{ app: INestApplication; bus: InMemoryMessageBus; post: (path: string, body: string | Buffer, contentType?: string) => Promise<{ status: number; body: unknown }> }> {
  const bus = new InMemoryMessageBus();
  await bus.ensureTopics(topicDeclarations(topics));
  const app = await NestFactory.create<NestExpressApplication>(
    serviceRootModule({ infra: { profile: 'embedded', bus, close: () => bus.close() }, registry: createMetricsRegistry('spec') }, RawIntakeModule.register({ RECMESH_TOPIC_PREFIX: '' })),
    { logger: false, rawBody: true },
  );
  configureRawIntake(app);
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  const post = async (path: string, body: string | Buffer, contentType?: string) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', body, headers: contentType ? { 'content-type': contentType } : {} });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return { app, bus, post };
}

describe('the HTTP intake', () => {
  let intake: Awaited<ReturnType<typeof startIntake>>;
  let warn: jest.SpyInstance;
  let error: jest.SpyInstance;
  beforeEach(async () => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    intake = await startIntake();
  });
  afterEach(async () => {
    await intake.app.close();
    jest.restoreAllMocks();
  });

  it('puts a JSON body onto the raw topic unchanged', async () => {
    expect(await intake.post('/v1/clickstream', event, 'application/json; charset=utf-8')).toEqual({ status: 202, body: { topic: topics.clickstreamRaw } });
    const [record] = intake.bus.read(topics.clickstreamRaw);
    expect(record.value!.toString()).toBe(event);
    expect(record.headers).toEqual({ 'content-type': 'application/json' });
  });

  it('reads text/plain as JSON (the default of curl --data-binary and fetch), and answers 400 naming the problem when it is not JSON', async () => {
    expect(await intake.post('/v1/catalog', event, 'text/plain;charset=UTF-8')).toEqual({ status: 202, body: { topic: topics.catalogRaw } });
    expect(intake.bus.read(topics.catalogRaw)[0].headers).toEqual({ 'content-type': 'application/json' });
    const bad = await intake.post('/v1/clickstream', 'event_id=e-1', 'text/plain');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ statusCode: 400, message: expect.stringMatching(/JSON/) });
    expect(intake.bus.read(topics.clickstreamRaw)).toHaveLength(0);
  });

  it('passes protobuf on as protobuf', async () => {
    expect((await intake.post('/v1/clickstream', Buffer.from([0x0a, 0x03, 0x65, 0x2d, 0x31]), 'application/x-protobuf')).status).toBe(202);
    expect(intake.bus.read(topics.clickstreamRaw)[0].headers).toEqual({ 'content-type': 'application/x-protobuf' });
  });

  it('takes an NDJSON batch as one JSON record per line, each as sent, in one append', async () => {
    const events = Array.from({ length: 3 }, (_, i) => JSON.stringify({ event_id: `e-${i}`, user_id: `u-${i}`, item_id: 'sku-1', action: 'view', ts_ms: i }));
    const publish = jest.spyOn(intake.bus, 'publish');
    const body = `${events[0]}\r\n\n${events[1]}\n  \n${events[2]}\n`;
    expect(await intake.post('/v1/clickstream', body, 'application/x-ndjson')).toEqual({ status: 202, body: { topic: topics.clickstreamRaw, events: 3 } });
    expect(publish).toHaveBeenCalledTimes(1);
    const records = intake.bus.read(topics.clickstreamRaw);
    // Keyless records go round-robin from a random partition: the order across partitions is not the lines' order.
    expect(records.map((r) => r.value!.toString()).sort()).toEqual([...events].sort());
    expect(records.every((r) => r.headers?.['content-type'] === 'application/json')).toBe(true);
  });

  it('refuses a whole NDJSON batch, naming the line, when a line is not JSON, is empty, or holds too many events', async () => {
    const bad = await intake.post('/v1/clickstream', `${event}\n{"event_id":\n${event}`, 'application/x-ndjson');
    expect(bad).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^NDJSON line 2 is not JSON .*nothing in this batch was taken$/) } });
    expect((await intake.post('/v1/clickstream', '\n \n', 'application/x-ndjson')).body).toMatchObject({ statusCode: 400, message: 'the NDJSON body holds no event' });
    const tooMany = Array.from({ length: NDJSON_MAX_EVENTS + 1 }, () => '{}').join('\n');
    expect((await intake.post('/v1/clickstream', tooMany, 'application/x-ndjson')).body).toMatchObject({ statusCode: 400, message: expect.stringMatching(/at most 1000 events/) });
    expect(intake.bus.read(topics.clickstreamRaw)).toHaveLength(0);
  });

  it('answers 415 naming the content types it takes for any other, or none', async () => {
    expect(await intake.post('/v1/clickstream', '<event/>', 'application/xml')).toEqual({
      status: 415,
      body: { statusCode: 415, error: 'Unsupported Media Type', message: 'content-type "application/xml": send application/json (text/plain is read as JSON), application/x-ndjson (one JSON event per line) or application/x-protobuf' },
    });
    expect((await intake.post('/v1/clickstream', event, 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await intake.post('/v1/clickstream', Buffer.from(event))).body).toMatchObject({ statusCode: 415, message: expect.stringMatching(/^content-type missing: send application\/json/) });
    expect(intake.bus.read(topics.clickstreamRaw)).toHaveLength(0);
  });

  it('answers 413 with the limit for a body that is too large', async () => {
    const big = JSON.stringify({ event_id: 'e-1', padding: 'x'.repeat(200_000) });
    expect(await intake.post('/v1/clickstream', big, 'application/json')).toEqual({
      status: 413,
      body: { statusCode: 413, error: 'Payload Too Large', message: `request body of ${Buffer.byteLength(big)} bytes is over the limit of 102400 bytes` },
    });
  });

  it('logs a flood of bad requests as at most 10 warning lines, without stack traces, and no errors', async () => {
    const big = 'x'.repeat(200_000);
    for (let i = 0; i < 30; i++) {
      expect((await intake.post('/v1/clickstream', big, i % 2 ? 'application/json' : 'application/xml')).status).toBe(i % 2 ? 413 : 415);
    }
    expect(error).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledTimes(10);
    expect(String(warn.mock.calls[1][0])).toBe('POST /v1/clickstream 413: request body of 200000 bytes is over the limit of 102400 bytes');
    expect(warn.mock.calls.every(([line]) => !String(line).includes('\n'))).toBe(true);
  });
});

describe('ndjsonLines', () => {
  it('on any bytes either returns JSON lines that rebuild the body, or refuses the batch with a BadRequestException', () => {
    const line = fc.oneof(fc.json(), fc.string(), fc.constantFrom('', ' ', '\t', '{', '\r', '\u00a0'));
    const body = fc.oneof(fc.array(line, { maxLength: 20 }).map((lines) => Buffer.from(lines.join('\n'))), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)));
    fc.assert(
      fc.property(body, (bytes) => {
        let lines: Buffer[];
        try {
          lines = ndjsonLines(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(BadRequestException);
          return;
        }
        expect(lines.length).toBeGreaterThan(0);
        for (const l of lines) expect(() => JSON.parse(l.toString('utf8'))).not.toThrow();
        const kept = bytes.toString('utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => !/^[ \t\r]*$/.test(l));
        expect(lines.map((l) => l.toString('utf8'))).toEqual(kept);
      }),
      { numRuns: 2_000, seed: 1303 },
    );
  });
});

describe('intakeFormat', () => {
  it.each([
    ['application/json', 'json'], ['Application/JSON; charset=utf-8', 'json'], ['text/plain', 'json'], ['application/vnd.shop+json', 'json'],
    ['application/x-protobuf', 'protobuf'], ['application/x-ndjson; charset=utf-8', 'ndjson'], ['application/xml', undefined], ['multipart/form-data; boundary=x', undefined], [undefined, undefined],
  ])('%s is %s', (contentType, format) => {
    expect(intakeFormat(contentType)).toBe(format);
  });
});
