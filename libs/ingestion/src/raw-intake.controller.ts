import { BadRequestException, Controller, HttpCode, Inject, Post, RawBodyRequest, Req, UnsupportedMediaTypeException } from '@nestjs/common';
import { ContentTypeHeader, ContentTypes, TopicNames } from '@recmesh/contracts';
import { BusInfrastructure, INFRASTRUCTURE } from '@recmesh/service-runtime';
import type { Request } from 'express';

export const RAW_INTAKE_TOPICS = Symbol('RAW_INTAKE_TOPICS');

/** What the intake takes, as it names it in a 415. */
export const INTAKE_CONTENT_TYPES = 'application/json (text/plain is read as JSON) or application/x-protobuf';

/**
 * The format of a body by its content type: JSON for application/json (and
 * +json) and for text/plain, which clients send by default (curl --data-binary
 * without -H, fetch with a string body), protobuf for application/x-protobuf.
 */
export function intakeFormat(contentType: string | undefined): keyof typeof ContentTypes | undefined {
  const type = contentType?.split(';')[0].trim().toLowerCase();
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

  private async publish(topic: string, req: RawBodyRequest<Request>): Promise<{ topic: string }> {
    const contentType = req.headers['content-type'];
    const format = intakeFormat(contentType);
    if (!format) throw new UnsupportedMediaTypeException(`content-type ${contentType ? `"${contentType}"` : 'missing'}: send ${INTAKE_CONTENT_TYPES}`);
    // The original bytes, not Express's parse of them: ingest validates exactly what was sent.
    const body = req.rawBody ?? (Buffer.isBuffer(req.body) ? req.body : undefined);
    if (!body || body.length === 0) throw new BadRequestException('send the event as the request body');
    await this.infra.bus.publish(topic, [{ key: req.header('x-record-key') ?? null, value: body, headers: { [ContentTypeHeader]: ContentTypes[format] } }]);
    return { topic };
  }
}
