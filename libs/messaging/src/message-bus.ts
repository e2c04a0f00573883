import type { BusHealth } from './broker-health';

/**
 * The transport every service talks to. Two implementations share these
 * semantics (topics with partitions, keyed partitioning, consumer groups that
 * split partitions, offsets committed only after the handler succeeded):
 * Kafka for production and an in-process bus for the embedded default.
 */
export interface BusMessage {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset as a decimal string (int64). */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestampMs: number;
}

export interface OutgoingMessage {
  readonly key?: string | Buffer | null;
  readonly value: Buffer | string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface MessageBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly BusMessage[];
}

export interface BatchControl {
  /** False once the subscription is stopping or the partition was revoked. */
  isActive(): boolean;
  heartbeat(): Promise<void>;
}

/**
 * Processes a batch of one partition. When it resolves, the batch's offsets are
 * committed; when it throws, nothing is committed and the batch is redelivered.
 */
export type BatchHandler = (batch: MessageBatch, control: BatchControl) => Promise<void>;

export interface SubscriptionOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly handler: BatchHandler;
  /** Where a group with no committed offset starts. Default: earliest. */
  readonly fromBeginning?: boolean;
  /** Upper bound of messages handed to one handler call. Default 500. */
  readonly maxBatchMessages?: number;
  /** Partitions whose batches may be handled at the same time (each partition stays in order). Default 1. */
  readonly partitionsConcurrently?: number;
  /**
   * Kafka only: a fetch waits up to `maxWaitMs` for `minBytes` to arrive, so a consumer that needs
   * no answer sooner (a once-a-second reload) makes a few requests a second instead of one per record.
   * Default: kafkajs's (a fetch returns as soon as one record is there).
   */
  readonly fetch?: FetchPacing;
}

export interface FetchPacing {
  readonly minBytes: number;
  readonly maxWaitMs: number;
}

export interface Subscription {
  /** Finishes the batch in flight, commits it, then leaves the group. */
  stop(): Promise<void>;
}

export interface TopicDeclaration {
  readonly name: string;
  readonly partitions: number;
}

export interface PartitionLag {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
}

export interface MessageBus {
  readonly kind: 'kafka' | 'in-memory';
  /** Creates missing topics; existing ones are left as they are. */
  ensureTopics(topics: readonly TopicDeclaration[]): Promise<void>;
  /** Resolves once every message is durably accepted (acks=all on Kafka). */
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscriptionOptions): Promise<Subscription>;
  /** Called after each committed batch; used for lag metrics. */
  onLag(listener: (lag: PartitionLag) => void): void;
  isReady(): boolean;
  /** Whether the bus can carry messages now (Kafka: a cached probe of the cluster and the consumers' own reports); /ready's `bus` check. */
  health(): Promise<BusHealth>;
  close(): Promise<void>;
}

export const DEFAULT_MAX_BATCH_MESSAGES = 500;
