import { BadRequestException, Controller, HttpCode, Inject, Post, RawBodyRequest, Req } from '@nestjs/common';
import { TopicNames } from '@recmesh/contracts';
import { MessageBus } from '@recmesh/messaging';
import type { Request } from 'express';

export const MESSAGE_BUS = Symbol('MESSAGE_BUS');
export const TOPIC_NAMES = Symbol('TOPIC_NAMES');

/**
 * On the embedded profile there is no broker to produce to, so this is how a
 * newcomer sends events: the body goes onto the raw topic unchanged and takes
 * the same path (validation, dedup, dead letters) as a Kafka record.
 */
@Controller('v1')
export class RawIntakeController {
  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(TOPIC_NAMES) private readonly topics: TopicNames,
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
    // The original bytes, not Express's parse of them: ingest validates exactly what was sent.
    const body = req.rawBody ?? (Buffer.isBuffer(req.body) ? req.body : undefined);
    if (!body || body.length === 0) throw new BadRequestException('send the event as the request body');
    const contentType = req.headers['content-type'];
    await this.bus.publish(topic, [{ key: req.header('x-record-key') ?? null, value: body, headers: contentType ? { 'content-type': contentType } : {} }]);
    return { topic };
  }
}
