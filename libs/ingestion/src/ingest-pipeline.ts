import { toBinary, toJsonString } from '@bufbuild/protobuf';
import { Logger } from '@nestjs/common';
import type { Pseudonymize } from '@recmesh/service-config';
import {
  CatalogEvent,
  CatalogEventSchema,
  ClickstreamEventSchema,
  ContentTypeHeader,
  ContentTypes,
  DeadLetterHeaders,
  resolveTopicNames,
  TopicNames,
} from '@recmesh/contracts';
import { Coalescer, BusMessage, MessageBatch, MessageBus, OutgoingMessage } from '@recmesh/messaging';
import { CatalogChange, CatalogEventRow, CatalogStore, ClickstreamEventRow, ClickstreamEventStore } from '@recmesh/persistence';
import { CatalogEventValidator } from './catalog-event-validator';
import { ClickstreamEventValidator, storedContext } from './clickstream-event-validator';
import { IngestMetrics, Stream } from './ingest-metrics';
import { Rejection } from './rejection';
import { ValidationLimits } from './validation-limits';

export interface IngestPipelineOptions {
  readonly bus: MessageBus;
  readonly clickstreamStore: ClickstreamEventStore;
  readonly catalogStore: CatalogStore;
  readonly metrics: IngestMetrics;
  readonly limits: ValidationLimits;
  readonly clock?: () => number;
  /** Defaults to the unprefixed names of @recmesh/contracts Topics. */
  readonly topics?: TopicNames;
  /** User and session ids as recmesh keeps them (RECMESH_PSEUDONYM_KEY); absent: as sent. */
  readonly pseudonymize?: Pseudonymize;
}

interface Accepted<T> {
  readonly source: BusMessage;
  readonly eventId: string;
  readonly event: T;
}

/**
 * Turns a batch of raw records into stored, forwarded events and dead letters.
 * Order of effects: store (idempotent, with each record's raw-topic position) →
 * publish normalized + dead letters; the caller commits offsets only after this
 * resolves, so a crash anywhere replays the batch without loss and without
 * double storage, and the replay forwards again what it finds stored from the
 * same positions (downstream consumers deduplicate by event_id).
 */
export class IngestPipeline {
  private readonly logger = new Logger(IngestPipeline.name);
  private readonly clickstreamValidator: ClickstreamEventValidator;
  private readonly catalogValidator: CatalogEventValidator;
  private readonly clock: () => number;
  private readonly topics: TopicNames;

  constructor(private readonly options: IngestPipelineOptions) {
    this.clock = options.clock ?? Date.now;
    this.topics = options.topics ?? resolveTopicNames();
    this.clickstreamValidator = new ClickstreamEventValidator(options.limits, this.clock);
    this.catalogValidator = new CatalogEventValidator(options.limits, this.clock);
  }

  /**
   * Handles one partition's batch; the batches of other partitions handed over in the same turn
   * of the event loop share its store transaction and produce request (Coalescer).
   */
  readonly handle: (batch: MessageBatch) => Promise<void> = new Coalescer<MessageBatch>((batches) => this.handleAll(batches)).handle;

  /** Handles batches of any partitions of both raw topics: one transaction and one publish per stream. */
  async handleAll(batches: readonly MessageBatch[]): Promise<void> {
    const clickstream = batches.filter((b) => b.topic !== this.topics.catalogRaw);
    const catalog = batches.filter((b) => b.topic === this.topics.catalogRaw);
    await Promise.all([
      clickstream.length > 0 ? this.handleStream('clickstream', clickstream, (ms) => this.handleClickstream(ms)) : undefined,
      catalog.length > 0 ? this.handleStream('catalog', catalog, (ms) => this.handleCatalog(ms)) : undefined,
    ]);
  }

  private async handleStream(stream: Stream, batches: readonly MessageBatch[], handle: (messages: BusMessage[]) => Promise<void>): Promise<void> {
    try {
      await handle(batches.flatMap((b) => b.messages));
    } catch (error) {
      this.options.metrics.batchFailures.inc({ stream });
      const where = batches.map((b) => `${b.topic}[${b.partition}]`).join(', ');
      this.logger.error(`batch of ${where} failed, will be redelivered: ${(error as Error).message}`);
      throw error;
    }
  }

  private async handleClickstream(messages: readonly BusMessage[]): Promise<void> {
    const { accepted, rejected } = this.sort(messages, 'clickstream', (m) => this.clickstreamValidator.parse(m.value, m.headers));
    const pseudonymize = this.options.pseudonymize;
    if (pseudonymize) {
      // Before anything is stored or forwarded: with a key, raw ids reach no table and no downstream topic.
      for (const { event } of accepted) {
        event.userId = pseudonymize(event.userId);
        event.sessionId = pseudonymize(event.sessionId);
      }
    }
    const now = this.clock();
    const rows: ClickstreamEventRow[] = accepted.map(({ source, event: e }) => ({
      eventId: e.eventId,
      userId: e.userId,
      sessionId: e.sessionId,
      itemId: e.itemId,
      action: e.action,
      quantity: e.quantity,
      price: e.price ?? null,
      currency: e.currency,
      rating: e.rating ?? null,
      tsMs: Number(e.tsMs),
      recId: e.recId,
      context: e.context ? storedContext(e.context) : null,
      ingestedAtMs: now,
      sourcePartition: source.partition,
      sourceOffset: Number(source.offset),
    }));
    const stored = await this.timedWrite('clickstream', () => this.options.clickstreamStore.storeBatch(rows));
    const forward = accepted.filter((a) => stored.toForward.has(a.eventId));
    await this.publish(
      this.topics.clickstreamNormalized,
      forward.map((a) => this.normalizedRecord(a.event.userId, toBinary(ClickstreamEventSchema, a.event))),
      rejected,
    );
    this.count('clickstream', forward.length, stored.duplicates.length);
  }

  private async handleCatalog(messages: readonly BusMessage[]): Promise<void> {
    const { accepted, rejected } = this.sort(messages, 'catalog', (m) => this.catalogValidator.parse(m.value, m.headers));
    const now = this.clock();
    const itemIdOf = (e: CatalogEvent) => (e.change.case === 'upsert' || e.change.case === 'delete' ? e.change.value.itemId : '');
    const rows: CatalogEventRow[] = accepted.map(({ source, event: e }) => ({
      eventId: e.eventId,
      itemId: itemIdOf(e),
      kind: e.change.case ?? 'unknown',
      tsMs: Number(e.tsMs),
      payload: toJsonString(CatalogEventSchema, e),
      ingestedAtMs: now,
      sourcePartition: source.partition,
      sourceOffset: Number(source.offset),
    }));
    const changes: CatalogChange[] = accepted.map(({ event: e }) => {
      const tsMs = Number(e.tsMs);
      if (e.change.case === 'upsert') {
        const i = e.change.value;
        return {
          kind: 'upsert',
          eventId: e.eventId,
          tsMs,
          item: {
            itemId: i.itemId, title: i.title, description: i.description, categoryPath: [...i.categoryPath], brand: i.brand,
            price: i.price ?? null, currency: i.currency, inStock: i.inStock === false ? 0 : 1, attributes: { ...i.attributes },
          },
        };
      }
      return { kind: 'delete', eventId: e.eventId, tsMs, itemId: itemIdOf(e) };
    });
    const stored = await this.timedWrite('catalog', () => this.options.catalogStore.applyBatch(rows, changes));
    const forward = accepted.filter((a) => stored.toForward.has(a.eventId));
    await this.publish(
      this.topics.catalogNormalized,
      forward.map((a) => this.normalizedRecord(itemIdOf(a.event), toBinary(CatalogEventSchema, a.event))),
      rejected,
    );
    this.count('catalog', forward.length, stored.duplicates.length);
  }

  /** Splits records into accepted events (first occurrence per event_id) and dead letters. */
  private sort<T extends { eventId: string }>(
    messages: readonly BusMessage[],
    stream: Stream,
    parse: (m: BusMessage) => T | Rejection,
  ): { accepted: Accepted<T>[]; rejected: OutgoingMessage[] } {
    const accepted: Accepted<T>[] = [];
    const rejected: OutgoingMessage[] = [];
    const seen = new Set<string>();
    let inBatchDuplicates = 0;
    for (const message of messages) {
      const result = parse(message);
      if (result instanceof Rejection) {
        this.options.metrics.rejected.inc({ stream, reason: result.code });
        rejected.push(this.deadLetter(message, result));
      } else if (seen.has(result.eventId)) {
        inBatchDuplicates++;
      } else {
        seen.add(result.eventId);
        accepted.push({ source: message, eventId: result.eventId, event: result });
      }
    }
    if (inBatchDuplicates > 0) this.options.metrics.duplicates.inc({ stream }, inBatchDuplicates);
    return { accepted, rejected };
  }

  private deadLetter(message: BusMessage, rejection: Rejection): OutgoingMessage {
    return {
      key: message.key,
      value: message.value ?? Buffer.alloc(0),
      headers: {
        ...message.headers,
        [DeadLetterHeaders.reason]: rejection.code,
        [DeadLetterHeaders.detail]: rejection.detail.slice(0, 1000),
        [DeadLetterHeaders.sourceTopic]: message.topic,
        [DeadLetterHeaders.sourcePartition]: String(message.partition),
        [DeadLetterHeaders.sourceOffset]: message.offset,
        [DeadLetterHeaders.rejectedAtMs]: String(this.clock()),
      },
    };
  }

  private normalizedRecord(key: string, value: Uint8Array): OutgoingMessage {
    return {
      key,
      value: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
      headers: { [ContentTypeHeader]: ContentTypes.protobuf },
    };
  }

  private async publish(topic: string, normalized: OutgoingMessage[], deadLetters: OutgoingMessage[]): Promise<void> {
    await Promise.all([
      this.options.bus.publish(topic, normalized),
      this.options.bus.publish(this.topics.ingestDeadLetter, deadLetters),
    ]);
  }

  private async timedWrite<R>(stream: Stream, write: () => Promise<R>): Promise<R> {
    const end = this.options.metrics.batchWriteSeconds.startTimer({ stream });
    try {
      return await write();
    } finally {
      end();
    }
  }

  /**
   * Accepted = forwarded by this call: new events, and redelivered ones found
   * stored (an earlier attempt may have died before counting them; after a
   * rebalance mid-batch the counter can run one batch ahead of the rows).
   */
  private count(stream: Stream, forwarded: number, duplicates: number): void {
    this.options.metrics.accepted.inc({ stream }, forwarded);
    if (duplicates > 0) this.options.metrics.duplicates.inc({ stream }, duplicates);
  }
}

