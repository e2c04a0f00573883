import { Logger } from '@nestjs/common';
import { create, toBinary } from '@bufbuild/protobuf';
import { RecommendationServedSchema, ServedItemSchema, ServedSurface } from '@recmesh/contracts';
import { MessageBus } from '@recmesh/messaging';
import { GatewayMetrics } from './gateway-metrics';
import type { RecommendedItem } from '@recmesh/serving-core';

export type { ServedSurface } from '@recmesh/contracts';

export interface ServedList {
  readonly recId: string;
  /** Empty when the caller did not say (SimilarItems without user_id); the record then has no key. */
  readonly userId: string;
  readonly surface: ServedSurface;
  readonly items: readonly RecommendedItem[];
  readonly modelVersion: string;
  /** The experiment and arm the request was assigned to, if any. */
  readonly experiment?: { readonly name: string; readonly arm: string };
  readonly tsMs: number;
  /** How long the call took to answer. */
  readonly latencyMs?: number;
}

/** Encodes a served list as recmesh.events.v1.RecommendationServed (positions are 1-based). */
export function encodeServedList(list: ServedList): Buffer {
  const message = create(RecommendationServedSchema, {
    recId: list.recId,
    userId: list.userId,
    surface: list.surface,
    items: list.items.map((item, i) => create(ServedItemSchema, { itemId: item.itemId, position: i + 1, score: item.score, reasonCode: item.reasonCode })),
    modelVersion: list.modelVersion,
    arm: list.experiment?.arm ?? '',
    experiment: list.experiment?.name ?? '',
    tsMs: BigInt(list.tsMs),
    latencyMs: Math.max(0, Math.round(list.latencyMs ?? 0)),
  });
  return Buffer.from(toBinary(RecommendationServedSchema, message));
}

/**
 * Publishes every served list to the recommendations-served topic, keyed by
 * user_id, off the call's path: a broker problem is logged and counted, it
 * never fails or slows down the shopper's call. `flush` waits for what is pending.
 */
export class ServedPublisher {
  private readonly pending = new Set<Promise<void>>();
  private readonly logger = new Logger('ServedPublisher');

  constructor(
    private readonly bus: MessageBus,
    private readonly topic: string,
    private readonly metrics: GatewayMetrics,
  ) {}

  publish(list: ServedList): void {
    let value: Buffer;
    try {
      value = encodeServedList(list);
    } catch (error) {
      this.failed(list, error);
      return;
    }
    const p = this.bus
      .publish(this.topic, [{ key: list.userId === '' ? null : list.userId, value }])
      .catch((error: unknown) => this.failed(list, error))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private failed(list: ServedList, error: unknown): void {
    this.metrics.servedPublishFailures.inc();
    this.logger.warn(`could not publish served list ${list.recId} to ${this.topic}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
