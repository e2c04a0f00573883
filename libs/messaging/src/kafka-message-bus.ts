import { Admin, Consumer, Kafka, KafkaConfig, logLevel, Producer, CompressionTypes, EachBatchPayload } from 'kafkajs';
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

export interface KafkaMessageBusOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logLevel?: 'error' | 'warn' | 'info';
  /** TLS/SASL towards the brokers (kafkaSecurityOptions); absent = plaintext. */
  readonly security?: Pick<KafkaConfig, 'ssl' | 'sasl'>;
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
  /** A client of its own for the health probe: no retries, short timeouts, silent (an outage shows on /ready, not as log lines every probe). */
  private readonly probeClient: Kafka;
  private probeAdmin?: Promise<Admin>;
  private readonly brokerHealth = new BrokerHealth({ probe: () => this.describeCluster() });

  constructor(options: KafkaMessageBusOptions) {
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
      this.producerReady = producer.connect().then(() => {
        this.producer = producer;
        this.connected = true;
        return producer;
      });
      this.producerReady.catch(() => (this.producerReady = undefined));
    }
    return this.producerReady;
  }

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.getProducer();
    await producer.send({
      topic,
      acks: -1,
      compression: CompressionTypes.None,
      messages: messages.map((m) => ({ key: m.key ?? null, value: m.value, headers: m.headers ? { ...m.headers } : undefined })),
    });
  }

  async subscribe(options: SubscriptionOptions): Promise<Subscription> {
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    const maxBatch = options.maxBatchMessages ?? DEFAULT_MAX_BATCH_MESSAGES;
    let stopping = false;
    this.watch(consumer, options.groupId, () => stopping);
    await consumer.connect();
    for (const topic of options.topics) {
      await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? true });
    }
    this.consumers.add(consumer);
    this.connected = true;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConcurrently ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const isActive = () => !stopping && isRunning() && !isStale();
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
          // Commit only after the handler made the batch durable: at-least-once.
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
          resolveOffset(last);
          const lag = Number(BigInt(batch.highWatermark) - BigInt(next));
          for (const listener of this.lagListeners) {
            listener({ groupId: options.groupId, topic: batch.topic, partition: batch.partition, lag: Math.max(0, lag) });
          }
          await heartbeat();
        }
      },
    });
    return {
      stop: async () => {
        stopping = true;
        // kafkajs waits for the running eachBatch to finish before leaving the group.
        await consumer.disconnect();
        this.consumers.delete(consumer);
        this.brokerHealth.consumerRecovered(options.groupId);
      },
    };
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
    consumer.on(consumer.events.GROUP_JOIN, () => this.brokerHealth.consumerRecovered(groupId));
  }

  /** The probe: one metadata request; a failed admin is dropped so the next probe connects afresh. */
  private async describeCluster(): Promise<void> {
    const connecting = (this.probeAdmin ??= (async () => {
      const admin = this.probeClient.admin({ retry: { retries: 0 } });
      await admin.connect();
      return admin;
    })());
    try {
      await (await connecting).describeCluster();
    } catch (error) {
      if (this.probeAdmin === connecting) this.probeAdmin = undefined;
      void connecting.then((admin) => admin.disconnect()).catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
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
