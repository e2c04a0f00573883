import { BadRequestException, Controller, HttpCode, Inject, Post, RawBodyRequest, Req, UnsupportedMediaTypeException } from '@nestjs/common';
import { ContentTypeHeader, ContentTypes, TopicNames } from '@recmesh/contracts';
import { BusInfrastructure, INFRASTRUCTURE } from '@recmesh/service-runtime';
import type { Request } from 'express';

export const RAW_INTAKE_TOPICS = Symbol('RAW_INTAKE_TOPICS');

/** What the intake takes, as it names it in a 415. */
export const INTAKE_CONTENT_TYPES = 'application/json (text/plain is read as JSON), application/x-ndjson (one JSON event per line) or application/x-protobuf';

/** Content type of a batch: one JSON event per line (https://github.com/ndjson/ndjson-spec). */
export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

/** Most events in one NDJSON body: a batch is one append to the raw topic and one 202. */
export const NDJSON_MAX_EVENTS = 1_000;

/**
 * The format of a body by its content type: JSON for application/json (and
 * +json) and for text/plain, which clients send by default (curl --data-binary
 * without -H, fetch with a string body), protobuf for application/x-protobuf.
 */
export function intakeFormat(contentType: string | undefined): keyof typeof ContentTypes | 'ndjson' | undefined {
  const type = contentType?.split(';')[0].trim().toLowerCase();
  if (type === NDJSON_CONTENT_TYPE) return 'ndjson';
  if (type === ContentTypes.json || type === 'text/plain' || (type?.startsWith('application/') && type.endsWith('+json'))) return 'json';
  if (type === ContentTypes.protobuf) return 'protobuf';
  return undefined;
}

/**
 * On the embedded profile there is no broker to produce to, so this is how a
 * newcomer sends events: the body goes onto the raw topic unchanged and takes
 * the same path (validation, dedup, dead letters) as a Kafka record.
 */
@Controller('v1')
export class RawIntakeController {
  constructor(
    @Inject(INFRASTRUCTURE) private readonly infra: BusInfrastructure,
    @Inject(RAW_INTAKE_TOPICS) private readonly topics: TopicNames,
  ) {}

  @Post('clickstream')
  @HttpCode(202)
  async clickstream(@Req() req: RawBodyRequest<Request>): Promise<{ topic: string }> {
    return this.publish(this.topics.clickstreamRaw, req);
  }

  @Post('catalog')
  @HttpCode(202)
  async catalog(@Req() req: RawBodyRequest<Request>): Promise<{ topic: string }> {
    return this.publish(this.topics.catalogRaw, req);
  }

  private async publish(topic: string, req: RawBodyRequest<Request>): Promise<{ topic: string; events?: number }> {
    const contentType = req.headers['content-type'];
    const format = intakeFormat(contentType);
    if (!format) throw new UnsupportedMediaTypeException(`content-type ${contentType ? `"${contentType}"` : 'missing'}: send ${INTAKE_CONTENT_TYPES}`);
    // The original bytes, not Express's parse of them: ingest validates exactly what was sent.
    const body = req.rawBody ?? (Buffer.isBuffer(req.body) ? req.body : undefined);
    if (!body || body.length === 0) throw new BadRequestException('send the event as the request body');
    const key = req.header('x-record-key') ?? null;
    if (format === 'ndjson') {
      const lines = ndjsonLines(body);
      await this.infra.bus.publish(topic, lines.map((value) => ({ key, value, headers: { [ContentTypeHeader]: ContentTypes.json } })));
      return { topic, events: lines.length };
    }
    await this.infra.bus.publish(topic, [{ key, value: body, headers: { [ContentTypeHeader]: ContentTypes[format] } }]);
    return { topic };
  }
}

/**
 * The events of an NDJSON body, each line's bytes as sent (lines of JSON whitespace
 * only, and a trailing newline, skipped). The whole batch is refused, naming the line, when
 * one line is not JSON: a client then resends the batch rather than guessing
 * which part went through. Whether each event is valid stays ingest's call.
 */
export function ndjsonLines(body: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  let lineNo = 0;
  while (start <= body.length) {
    let end = body.indexOf(0x0a, start);
    if (end < 0) end = body.length;
    lineNo++;
    const line = body.subarray(start, end > start && body[end - 1] === 0x0d ? end - 1 : end);
    start = end + 1;
    if (/^[ \t\r]*$/.test(line.toString('latin1'))) continue;
    if (lines.length === NDJSON_MAX_EVENTS) throw new BadRequestException(`an NDJSON body holds at most ${NDJSON_MAX_EVENTS} events: split the batch`);
    try {
      JSON.parse(line.toString('utf8'));
    } catch (err) {
      throw new BadRequestException(`NDJSON line ${lineNo} is not JSON (${(err as Error).message}): nothing in this batch was taken`);
    }
    lines.push(line);
  }
  if (lines.length === 0) throw new BadRequestException('the NDJSON body holds no event');
  return lines;
}
