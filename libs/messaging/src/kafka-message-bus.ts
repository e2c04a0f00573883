import { Logger } from '@nestjs/common';
import { Admin, Consumer, Kafka, KafkaConfig, logLevel, Producer, CompressionTypes, EachBatchPayload, TopicPartitionOffsetAndMetadata } from 'kafkajs';
import { BrokerHealth, BusHealth } from './broker-health';
import {
  BusMessage,
  DEFAULT_MAX_BATCH_MESSAGES,
  MessageBus,
  OutgoingMessage,
  PartitionLag,
  Subscription,
  SubscriptionOptions,
  TopicDeclaration,
} from './message-bus';
import { ConsumerSupervisor, SupervisedConsumer } from './consumer-supervisor';
import { PartitionPosition } from './stall-watchdog';
import { withTimeout } from './with-timeout';
import { Coalescer } from './coalescer';

export interface KafkaMessageBusOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logLevel?: 'error' | 'warn' | 'info';
  /** TLS/SASL towards the brokers (kafkaSecurityOptions); absent = plaintext. */
  readonly security?: Pick<KafkaConfig, 'ssl' | 'sasl'>;
  /** Longest a publish, producer connect or offset commit may take before it fails (and the batch is redelivered); 0 = no limit. Default 60 s. */
  readonly operationTimeoutMs?: number;
  /** A partition with lag whose committed offset has not moved for this long makes the consumer restart; 0 = off. Default 120 s. */
  readonly stallMs?: number;
}

/** A consumer of a subscription and the partitions the group gave it. */
interface RunningConsumer extends SupervisedConsumer {
  readonly consumer: Consumer;
  assigned: ReadonlyMap<string, readonly number[]>;
}

function headersToStrings(headers: EachBatchPayload['batch']['messages'][number]['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

export class KafkaMessageBus implements MessageBus {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private producer?: Producer;
  private producerReady?: Promise<Producer>;
  private readonly consumers = new Set<Consumer>();
  private readonly lagListeners: Array<(lag: PartitionLag) => void> = [];
  private connected = false;
  /** close() was called: stall checks start no consumer any more. */
  private closed = false;
  /** A client of its own for the health probe: no retries, short timeouts, silent (an outage shows on /ready, not as log lines every probe). */
  private readonly probeClient: Kafka;
  private probeAdmin?: Promise<Admin>;
  private readonly brokerHealth = new BrokerHealth({ probe: () => this.describeCluster() });
  private readonly logger = new Logger('KafkaMessageBus');
  private readonly operationTimeoutMs: number;
  private readonly stallMs: number;

  constructor(options: KafkaMessageBusOptions) {
    this.operationTimeoutMs = options.operationTimeoutMs ?? 60_000;
    this.stallMs = options.stallMs ?? 120_000;
    const config: KafkaConfig = {
      brokers: [...options.brokers],
      clientId: options.clientId,
      logLevel: { error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO }[options.logLevel ?? 'warn'],
      // Backoff capped at 2 s: kafkajs's default cap (30 s) left ingest idle 9-31 s after a broker came back (the fault probe).
      retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 2000 },
      ...options.security,
    };
    this.kafka = new Kafka(config);
    this.probeClient = new Kafka({ ...config, clientId: `${options.clientId}-health`, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000, requestTimeout: 1500 });
  }

  async ensureTopics(topics: readonly TopicDeclaration[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.name));
      if (missing.length > 0) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: -1 })),
        });
      }
      // The broker answered: a publish-only service (the gateway) is ready from here on.
      this.connected = true;
    } finally {
      await admin.disconnect();
    }
  }

  private getProducer(): Promise<Producer> {
    if (!this.producerReady) {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      const ready = withTimeout(producer.connect(), this.operationTimeoutMs, 'producer connect').then(() => {
        this.producer = producer;
        this.connected = true;
        return producer;
      });
      this.producerReady = ready;
      ready.catch(() => this.dropProducer(producer, ready));
    }
    return this.producerReady;
  }

  /**
   * Forgets a producer whose send failed or hung, so the next publish connects a new one.
   * kafkajs rolls an idempotent producer's sequence numbers back when a send fails, also when the
   * broker did append it (a timeout, a connection closed by a restart); the next, different batch
   * then reuses those numbers and the broker may drop it as a duplicate or refuse every later one
   * (kafkajs#598). A new producer gets a new producer id and starts clean.
   */
  private dropProducer(producer: Producer, ready: Promise<Producer>): void {
    if (this.producerReady !== ready) return;
    this.producerReady = undefined;
    if (this.producer === producer) this.producer = undefined;
    void producer.disconnect().catch(() => undefined);
  }

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const ready = this.getProducer();
    const producer = await ready;
    try {
      await withTimeout(
        producer.send({
          topic,
          acks: -1,
          compression: CompressionTypes.None,
          messages: messages.map((m) => ({ key: m.key ?? null, value: m.value, headers: m.headers ? { ...m.headers } : undefined })),
        }),
        this.operationTimeoutMs,
        `publish of ${messages.length} messages to ${topic}`,
      );
    } catch (error) {
      if (this.producerReady === ready) this.logger.warn(`publish to ${topic} failed, replacing the producer: ${(error as Error).message}`);
      this.dropProducer(producer, ready);
      throw error;
    }
  }

  async subscribe(options: SubscriptionOptions): Promise<Subscription> {
    let stopped = false;
    const stopping = () => stopped || this.closed;
    const supervisor = new ConsumerSupervisor<RunningConsumer>({
      groupId: options.groupId,
      stallMs: this.stallMs,
      stopTimeoutMs: this.operationTimeoutMs || 60_000,
      start: () => this.startConsumer(options, stopping),
      retire: (running) => this.consumers.delete(running.consumer),
      readPositions: (assigned) => this.readPositions(options.groupId, assigned, options.fromBeginning ?? true),
      reportedFailure: () => this.brokerHealth.consumerFailure(options.groupId),
      markStalled: (reason) => this.brokerHealth.consumerFailed(options.groupId, reason),
      logger: this.logger,
    });
    await supervisor.start();
    let checking: Promise<void> | undefined;
    const timer =
      this.stallMs > 0
        ? setInterval(() => {
            if (stopping()) return;
            checking ??= supervisor
              .check()
              .catch((error: Error) => this.logger.error(`stall check of consumer group ${options.groupId} failed: ${error.message}`))
              .finally(() => (checking = undefined));
          }, Math.max(1000, Math.min(15_000, this.stallMs / 4))).unref()
        : undefined;
    return {
      stop: async () => {
        stopped = true;
        clearInterval(timer);
        await checking;
        // kafkajs waits for the running eachBatch to finish before leaving the group.
        await supervisor.stop();
        this.brokerHealth.consumerRecovered(options.groupId);
      },
    };
  }

  /** Connects, subscribes and runs one consumer of the subscription; `stopping` is the subscription's. */
  private async startConsumer(options: SubscriptionOptions, stopping: () => boolean): Promise<RunningConsumer> {
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 4 * 1024 * 1024,
      ...(options.fetch ? { minBytes: options.fetch.minBytes, maxWaitTimeInMs: options.fetch.maxWaitMs } : {}),
    });
    const running: RunningConsumer = {
      consumer,
      assigned: new Map(),
      stop: async () => {
        await consumer.disconnect();
        this.consumers.delete(consumer);
      },
    };
    const maxBatch = options.maxBatchMessages ?? DEFAULT_MAX_BATCH_MESSAGES;
    // A consumer replaced after a stall is retired: its events and late batches no longer count.
    const retired = () => stopping() || !this.consumers.has(consumer);
    this.watch(consumer, options.groupId, retired);
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => (running.assigned = new Map(Object.entries(payload.memberAssignment))));
    try {
      await consumer.connect();
      for (const topic of options.topics) {
        await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? true });
      }
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    this.consumers.add(consumer);
    this.connected = true;
    // The partitions' batches of one fetch end together: one commit request for all of them.
    const commit = new Coalescer<TopicPartitionOffsetAndMetadata>(async (offsets) => {
      const where = offsets.map((o) => `${o.topic}[${o.partition}]`).join(', ');
      await withTimeout(consumer.commitOffsets([...offsets]), this.operationTimeoutMs, `offset commit of ${where}`);
    }).handle;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConcurrently ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const isActive = () => !retired() && isRunning() && !isStale();
        for (let start = 0; start < batch.messages.length; start += maxBatch) {
          if (!isActive()) return;
          const chunk = batch.messages.slice(start, start + maxBatch);
          const messages: BusMessage[] = chunk.map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            headers: headersToStrings(m.headers),
            timestampMs: Number(m.timestamp),
          }));
          await options.handler({ topic: batch.topic, partition: batch.partition, messages }, { isActive, heartbeat });
          const last = chunk[chunk.length - 1].offset;
          const next = (BigInt(last) + 1n).toString();
          // Commit only after the handler made the batch durable: at-least-once. A commit that hangs fails the batch (redelivered).
          await commit({ topic: batch.topic, partition: batch.partition, offset: next });
          resolveOffset(last);
          const lag = Number(BigInt(batch.highWatermark) - BigInt(next));
          for (const listener of this.lagListeners) {
            listener({ groupId: options.groupId, topic: batch.topic, partition: batch.partition, lag: Math.max(0, lag) });
          }
          await heartbeat();
        }
      },
    });
    return running;
  }

  /**
   * The group's committed offsets against the log ends, for the partitions this consumer owns (the
   * probe client: short timeouts, no retries). With no commit yet, a group that starts at the end
   * has nothing to catch up on.
   */
  private async readPositions(groupId: string, assigned: ReadonlyMap<string, readonly number[]>, fromBeginning: boolean): Promise<PartitionPosition[]> {
    const topics = [...assigned.keys()];
    if (topics.length === 0) return [];
    const [committed, ends] = await this.withProbeAdmin((admin) => Promise.all([admin.fetchOffsets({ groupId, topics }), Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic)))]));
    const positions: PartitionPosition[] = [];
    topics.forEach((topic, i) => {
      const owned = new Set(assigned.get(topic));
      const commits = new Map((committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      for (const end of ends[i]) {
        if (!owned.has(end.partition)) continue;
        const committedOffset = commits.get(end.partition) ?? -1;
        const high = Number(end.high);
        positions.push({ topic, partition: end.partition, committed: committedOffset < 0 && !fromBeginning ? high : committedOffset, low: Number(end.low), high });
      }
    });
    return positions;
  }

  onLag(listener: (lag: PartitionLag) => void): void {
    this.lagListeners.push(listener);
  }

  isReady(): boolean {
    return this.connected;
  }

  health(): Promise<BusHealth> {
    return this.brokerHealth.check();
  }

  /** Reports a consumer's crash or unasked-for disconnect to the health check until it is back in its group. */
  private watch(consumer: Consumer, groupId: string, stopping: () => boolean): void {
    consumer.on(consumer.events.CRASH, ({ payload }) => this.brokerHealth.consumerFailed(groupId, `crashed${payload.restart ? ' (restarting)' : ''}: ${payload.error.message}`));
    consumer.on(consumer.events.DISCONNECT, () => {
      if (!stopping()) this.brokerHealth.consumerFailed(groupId, 'disconnected');
    });
    // A retired consumer that joins late (its hung batch settled) says nothing about the new one.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (!stopping()) this.brokerHealth.consumerRecovered(groupId);
    });
  }

  /** The probe: one metadata request. */
  private async describeCluster(): Promise<void> {
    await this.withProbeAdmin((admin) => admin.describeCluster());
  }

  /** Runs `use` on the probe client's admin, connected once; after a failure the admin is dropped so the next use connects afresh. */
  private async withProbeAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
    const connecting = (this.probeAdmin ??= (async () => {
      const admin = this.probeClient.admin({ retry: { retries: 0 } });
      await admin.connect();
      return admin;
    })());
    try {
      return await use(await connecting);
    } catch (error) {
      if (this.probeAdmin === connecting) this.probeAdmin = undefined;
      void connecting.then((admin) => admin.disconnect()).catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const probeAdmin = this.probeAdmin;
    this.probeAdmin = undefined;
    await probeAdmin?.then((admin) => admin.disconnect()).catch(() => undefined);
    await Promise.all([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    if (this.producer) await this.producer.disconnect();
    this.producer = undefined;
    this.producerReady = undefined;
    this.connected = false;
  }
}
