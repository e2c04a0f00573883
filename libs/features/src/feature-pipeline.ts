import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Logger } from '@nestjs/common';
import {
  CatalogEventSchema,
  ClickstreamEvent,
  ClickstreamEventSchema,
  ContentTypeHeader,
  ContentTypes,
  EntityType,
  FeatureUpdatedSchema,
  TopicNames,
} from '@recmesh/contracts';
import { Coalescer, BusMessage, MessageBatch, MessageBus, OutgoingMessage } from '@recmesh/messaging';
import { CatalogStore, FeatureStore, PairIncrement, PopularityChange, SequenceStep } from '@recmesh/persistence';
import { categoryLabel, itemTextForEncoder } from '@recmesh/model-runtime';
import { createHash } from 'crypto';
import { ActionWeight, appendStep, mergePairs, sessionPairs, sumDecayed } from './feature-rules';
import { FeatureMetrics } from './feature-metrics';

/** Turns item text into a vector; backed by the ONNX sentence encoder when one is configured. */
export interface ItemTextEmbedder {
  readonly name: string;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

export interface FeaturePipelineOptions {
  readonly bus: MessageBus;
  readonly features: FeatureStore;
  readonly catalog: CatalogStore;
  readonly metrics: FeatureMetrics;
  readonly topics: TopicNames;
  readonly sequenceLength: number;
  readonly popularityHalfLifeMs: number;
  readonly textEmbedder?: ItemTextEmbedder;
  readonly clock?: () => number;
}

type Changed = Map<string, { features: Set<string>; tsMs: number }>;

function touch(changed: Changed, id: string, feature: string, tsMs: number): void {
  const entry = changed.get(id) ?? { features: new Set<string>(), tsMs };
  entry.features.add(feature);
  entry.tsMs = Math.max(entry.tsMs, tsMs);
  changed.set(id, entry);
}

/** The first copy of each event id, in batch order. */
function firstOfEachEventId<E extends { eventId: string }>(events: readonly E[]): E[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    if (seen.has(e.eventId)) return false;
    seen.add(e.eventId);
    return true;
  });
}

/** The text an item is embedded from: the trainer's template, so stored vectors match what the model learned. */
export function itemText(item: { title: string; categoryPath: readonly string[]; brand: string }): string | undefined {
  return itemTextForEncoder({ title: item.title, category: categoryLabel(item.categoryPath), brand: item.brand });
}

/**
 * Applies normalized events to the feature tables. Each batch is one
 * transaction that also claims its event ids, so redelivery is a no-op; the
 * cache and the feature-updated events follow only after the commit.
 */
export class FeaturePipeline {
  private readonly logger = new Logger(FeaturePipeline.name);
  private readonly clock: () => number;

  constructor(private readonly options: FeaturePipelineOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Handles one partition's batch; the batches of other partitions handed over in the same turn
   * of the event loop share its transaction and produce request (Coalescer).
   */
  readonly handle: (batch: MessageBatch) => Promise<void> = new Coalescer<MessageBatch>((batches) => this.handleAll(batches)).handle;

  /** Handles batches of any partitions of both normalized topics: one transaction per topic. */
  async handleAll(batches: readonly MessageBatch[]): Promise<void> {
    const catalogTopic = this.options.topics.catalogNormalized;
    const messagesOf = (catalog: boolean) => batches.filter((b) => (b.topic === catalogTopic) === catalog).flatMap((b) => b.messages);
    await Promise.all([this.timed('clickstream', messagesOf(false), (ms) => this.handleClickstream(ms)), this.timed('catalog', messagesOf(true), (ms) => this.handleCatalog(ms))]);
  }

  private async timed(topic: 'clickstream' | 'catalog', messages: readonly BusMessage[], handle: (messages: readonly BusMessage[]) => Promise<void>): Promise<void> {
    if (messages.length === 0) return;
    const end = this.options.metrics.batchSeconds.startTimer({ topic });
    try {
      await handle(messages);
    } finally {
      end();
    }
  }

  private decode(messages: readonly BusMessage[]): ClickstreamEvent[] {
    const events: ClickstreamEvent[] = [];
    for (const m of messages) {
      try {
        events.push(fromBinary(ClickstreamEventSchema, m.value ?? new Uint8Array()));
      } catch (error) {
        // Ingest wrote this topic; an undecodable record is a bug upstream, not a reason to stall.
        this.options.metrics.skipped.inc();
        this.logger.error(`skipping undecodable record ${m.topic}[${m.partition}]@${m.offset}: ${(error as Error).message}`);
      }
    }
    return events;
  }

  private async handleClickstream(messages: readonly BusMessage[]): Promise<void> {
    const decoded = this.decode(messages);
    if (decoded.length === 0) return;
    // Ingest forwards at least once, so one batch may carry an event twice: the claim alone would let both copies through.
    const events = firstOfEachEventId(decoded);
    const { features, catalog, sequenceLength, popularityHalfLifeMs } = this.options;
    const changedUsers: Changed = new Map();
    const changedItems: Changed = new Map();
    const sequences = new Map<string, SequenceStep[]>();

    // Read before the transaction: it holds row locks from its first write to its commit.
    const categories = await catalog.leafCategories([...new Set(events.map((e) => e.itemId))]);
    const applied = await features.transaction(async (manager) => {
      const fresh = await features.claimEvents(manager, events.map((e) => e.eventId), this.clock());
      const todo = events.filter((e) => fresh.has(e.eventId));
      if (todo.length === 0) return 0;
      const stored = await features.loadSequences(manager, [...new Set(todo.map((e) => e.userId))]);
      const pairs: PairIncrement[] = [];
      const weights = new Map<string, Array<{ weight: number; tsMs: number }>>();
      for (const e of todo) {
        const tsMs = Number(e.tsMs);
        const before = sequences.get(e.userId) ?? stored.get(e.userId) ?? [];
        const step: SequenceStep = { i: e.itemId, a: e.action, t: tsMs, s: e.sessionId };
        pairs.push(...sessionPairs(before, step));
        sequences.set(e.userId, appendStep(before, step, sequenceLength));
        const adds = weights.get(e.itemId) ?? [];
        adds.push({ weight: ActionWeight[e.action] * Math.max(1, e.quantity), tsMs });
        weights.set(e.itemId, adds);
        touch(changedUsers, e.userId, 'sequence', tsMs);
        touch(changedItems, e.itemId, 'popularity', tsMs);
      }
      const merged = mergePairs(pairs);
      for (const p of merged) touch(changedItems, p.itemA, 'co_occurrence', changedItems.get(p.itemA)?.tsMs ?? 0);
      const popularity: PopularityChange[] = [...weights].map(([itemId, adds]) => ({
        itemId, ...sumDecayed(adds, popularityHalfLifeMs), interactions: adds.length, leafCategory: categories.get(itemId) ?? '',
      }));
      // Sequences are this partition's own rows; pair counts and popularity are shared by every
      // partition, so they go last, where their row locks are held for the shortest time.
      await features.saveSequences(manager, [...sequences].map(([userId, steps]) => ({ userId, steps, updatedTsMs: steps[steps.length - 1]?.t ?? 0 })));
      await features.incrementPairs(manager, merged);
      await features.addPopularity(manager, popularity, popularityHalfLifeMs);
      return todo.length;
    });

    if (applied === 0) {
      this.options.metrics.redelivered.inc(decoded.length);
      return;
    }
    this.options.metrics.applied.inc(applied);
    this.options.metrics.redelivered.inc(decoded.length - applied);
    const newest = Math.max(...events.map((e) => Number(e.tsMs)));
    this.options.metrics.freshnessSeconds.set(Math.max(0, (this.clock() - newest) / 1000));
    // One produce request for both kinds.
    await this.options.bus.publish(this.options.topics.featuresUpdated, [...this.updates(changedUsers, EntityType.USER), ...this.updates(changedItems, EntityType.ITEM)]);
  }

  private async handleCatalog(messages: readonly BusMessage[]): Promise<void> {
    const embedder = this.options.textEmbedder;
    if (!embedder) return;
    const texts = new Map<string, { text: string; tsMs: number }>();
    for (const m of messages) {
      try {
        const event = fromBinary(CatalogEventSchema, m.value ?? new Uint8Array());
        const text = event.change.case === 'upsert' ? itemText(event.change.value) : undefined;
        if (event.change.case === 'upsert' && text) texts.set(event.change.value.itemId, { text, tsMs: Number(event.tsMs) });
      } catch (error) {
        this.options.metrics.skipped.inc();
        this.logger.error(`skipping undecodable catalog record @${m.offset}: ${(error as Error).message}`);
      }
    }
    const hashes = await this.options.features.textEmbeddingHashes([...texts.keys()]);
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    // Unchanged text (e.g. a price update) is not embedded again.
    const todo = [...texts].filter(([itemId, { text }]) => hashes.get(itemId) !== sha(text));
    if (todo.length === 0) return;
    const vectors = await embedder.embed(todo.map(([, { text }]) => text));
    await this.options.features.saveTextEmbeddings(
      todo.map(([itemId, { text, tsMs }], i) => ({
        itemId, textSha256: sha(text), encoder: embedder.name, updatedTsMs: tsMs,
        vector: Buffer.from(vectors[i].buffer, vectors[i].byteOffset, vectors[i].byteLength).toString('base64'),
      })),
    );
    this.options.metrics.textEmbeddings.inc(todo.length);
    const changed: Changed = new Map();
    for (const [itemId, { tsMs }] of todo) touch(changed, itemId, 'text_embedding', tsMs);
    await this.options.bus.publish(this.options.topics.featuresUpdated, this.updates(changed, EntityType.ITEM));
  }

  private updates(changed: Changed, entityType: EntityType): OutgoingMessage[] {
    return [...changed].map(([id, { features, tsMs }]) => ({
      key: id,
      value: Buffer.from(toBinary(FeatureUpdatedSchema, create(FeatureUpdatedSchema, { entityType, entityId: id, features: [...features].sort(), tsMs: BigInt(tsMs) }))),
      headers: { [ContentTypeHeader]: ContentTypes.protobuf },
    }));
  }
}
