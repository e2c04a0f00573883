import { Partitioners } from 'kafkajs';
import {
  BatchHandler,
  BusMessage,
  DEFAULT_MAX_BATCH_MESSAGES,
  MessageBus,
  OutgoingMessage,
  PartitionLag,
  Subscription,
  SubscriptionOptions,
  TopicDeclaration,
} from './message-bus';
import { BusHealth } from './broker-health';
import { BusStorage, MemoryBusStorage } from './bus-storage';
import { PartitionLog, StoredRecord } from './partition-log';

interface Member {
  readonly id: number;
  readonly topics: readonly string[];
  readonly handler: BatchHandler;
  readonly maxBatch: number;
  assigned: Array<{ topic: string; partition: number }>;
  stopping: boolean;
  wake: () => void;
  loop?: Promise<void>;
}

interface Group {
  readonly members: Member[];
  /** Next offset to deliver per "topic:partition". */
  readonly committed: Map<string, number>;
  readonly inFlight: Set<string>;
}

const tpKey = (topic: string, partition: number) => `${topic}:${partition}`;

const toBusMessage = (topic: string, partition: number, r: StoredRecord): BusMessage => ({
  topic,
  partition,
  offset: String(r.offset),
  key: r.key,
  value: r.value,
  headers: r.headers,
  timestampMs: r.timestampMs,
});

/**
 * Kafka semantics inside one process, for the embedded default and tests:
 * keyed partitioning with Kafka's own partitioner, consumer groups that split
 * partitions between members, and offsets committed only after the handler
 * succeeded (a failed batch is redelivered). Where records and offsets live
 * is the storage's business: in memory (tests) or on disk (FileBusStorage,
 * the embedded default), where a publish resolves only once its records are
 * durable and consumers see only durable records.
 */
export class InMemoryMessageBus implements MessageBus {
  readonly kind = 'in-memory' as const;
  private readonly topics = new Map<string, PartitionLog[]>();
  private readonly groups = new Map<string, Group>();
  private readonly lagListeners: Array<(lag: PartitionLag) => void> = [];
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private nextMemberId = 1;
  private closed = false;

  constructor(
    private readonly onHandlerError: (error: unknown, batch: { topic: string; partition: number }) => void = () => undefined,
    private readonly storage: BusStorage = new MemoryBusStorage(),
  ) {
    // Groups that committed before a restart hold back the deletion of what they have not read, subscribed yet or not.
    for (const [groupId, committed] of storage.loadOffsets()) this.groups.set(groupId, { members: [], committed, inFlight: new Set() });
  }

  async ensureTopics(topics: readonly TopicDeclaration[]): Promise<void> {
    for (const t of topics) {
      if (!this.topics.has(t.name)) {
        const count = this.storage.existingPartitions(t.name) || t.partitions;
        this.topics.set(t.name, Array.from({ length: count }, (_, p) => this.storage.partition(t.name, p)));
      }
    }
    for (const group of this.groups.values()) this.rebalance(group);
  }

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    const partitions = this.topics.get(topic);
    if (!partitions) throw new Error(`topic ${topic} does not exist (topics are not auto-created)`);
    if (this.closed) throw new Error(`bus closed: cannot publish to ${topic}`);
    const partitionMetadata = partitions.map((_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    const byPartition = new Map<number, Array<{ key: Buffer | null; value: Buffer; headers: Record<string, string>; timestampMs: number }>>();
    for (const m of messages) {
      const key = m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
      const partition = this.partitioner({ topic, partitionMetadata, message: { key, value: null } });
      if (!byPartition.has(partition)) byPartition.set(partition, []);
      byPartition.get(partition)!.push({ key, value: Buffer.isBuffer(m.value) ? m.value : Buffer.from(m.value), headers: { ...(m.headers ?? {}) }, timestampMs: Date.now() });
    }
    for (const [partition, records] of byPartition) partitions[partition].append(records);
    // One durable write per touched partition for the whole batch: batching is what keeps durability cheap.
    await Promise.all([...byPartition.keys()].map((p) => partitions[p].sync()));
    for (const p of byPartition.keys()) this.release(topic, p);
    for (const group of this.groups.values()) for (const member of group.members) member.wake();
  }

  async subscribe(options: SubscriptionOptions): Promise<Subscription> {
    for (const topic of options.topics) {
      if (!this.topics.has(topic)) throw new Error(`topic ${topic} does not exist (topics are not auto-created)`);
    }
    let group = this.groups.get(options.groupId);
    if (!group) {
      group = { members: [], committed: new Map(), inFlight: new Set() };
      this.groups.set(options.groupId, group);
    }
    if (options.fromBeginning === false) {
      for (const topic of options.topics) {
        this.topics.get(topic)!.forEach((log, p) => {
          if (!group!.committed.has(tpKey(topic, p))) group!.committed.set(tpKey(topic, p), log.end);
        });
      }
    }
    const member: Member = {
      id: this.nextMemberId++,
      topics: [...options.topics],
      handler: options.handler,
      maxBatch: options.maxBatchMessages ?? DEFAULT_MAX_BATCH_MESSAGES,
      assigned: [],
      stopping: false,
      wake: () => undefined,
    };
    group.members.push(member);
    this.rebalance(group);
    member.loop = this.runMember(options.groupId, group, member);
    const ownGroup = group;
    return {
      stop: async () => {
        member.stopping = true;
        member.wake();
        await member.loop;
        ownGroup.members.splice(ownGroup.members.indexOf(member), 1);
        this.rebalance(ownGroup);
      },
    };
  }

  /** Round-robin assignment of every partition of every subscribed topic. */
  private rebalance(group: Group): void {
    for (const m of group.members) m.assigned = [];
    const topics = new Set(group.members.flatMap((m) => m.topics));
    for (const topic of topics) {
      const members = group.members.filter((m) => m.topics.includes(topic) && !m.stopping);
      const partitions = this.topics.get(topic)?.length ?? 0;
      for (let p = 0; p < partitions && members.length > 0; p++) {
        members[p % members.length].assigned.push({ topic, partition: p });
      }
    }
    for (const m of group.members) m.wake();
  }

  private async runMember(groupId: string, group: Group, member: Member): Promise<void> {
    while (!member.stopping && !this.closed) {
      let delivered = false;
      for (const { topic, partition } of member.assigned) {
        if (member.stopping) break;
        const key = tpKey(topic, partition);
        if (group.inFlight.has(key)) continue;
        const log = this.topics.get(topic)![partition];
        // Offsets before the log's start were released: like Kafka's auto.offset.reset=earliest.
        const from = Math.max(group.committed.get(key) ?? 0, log.start);
        if (from >= log.end) continue;
        group.inFlight.add(key);
        try {
          const messages = log.read(from, member.maxBatch).map((r) => toBusMessage(topic, partition, r));
          const stillAssigned = () => member.assigned.some((a) => a.topic === topic && a.partition === partition);
          await member.handler(
            { topic, partition, messages },
            { isActive: () => !member.stopping && !this.closed && stillAssigned(), heartbeat: async () => undefined },
          );
          const next = from + messages.length;
          group.committed.set(key, next);
          this.storage.commitOffset(groupId, key, next);
          this.release(topic, partition);
          for (const l of this.lagListeners) l({ groupId, topic, partition, lag: log.end - next });
          delivered = true;
        } catch (error) {
          this.onHandlerError(error, { topic, partition });
          await new Promise((r) => setTimeout(r, 200));
        } finally {
          group.inFlight.delete(key);
        }
      }
      if (!delivered && !member.stopping) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 250);
          member.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        member.wake = () => undefined;
      }
    }
  }

  /** Lets the storage drop what every group that reads the partition has committed past (a topic nobody reads keeps only its retention). */
  private release(topic: string, partition: number): void {
    const key = tpKey(topic, partition);
    const log = this.topics.get(topic)![partition];
    let before = log.end;
    for (const group of this.groups.values()) {
      const reads = group.members.some((m) => m.topics.includes(topic)) || [...group.committed.keys()].some((k) => k.startsWith(`${topic}:`));
      if (reads) before = Math.min(before, group.committed.get(key) ?? 0);
    }
    log.release(before);
  }

  /** Messages of a topic in partition order (for tests and diagnostics). */
  read(topic: string): BusMessage[] {
    return (this.topics.get(topic) ?? []).flatMap((log, p) => {
      const out: BusMessage[] = [];
      for (let from = log.start; from < log.end; from = out.length ? Number(out[out.length - 1].offset) + 1 : log.end) {
        const batch = log.read(from, log.end - from);
        if (batch.length === 0) break;
        out.push(...batch.map((r) => toBusMessage(topic, p, r)));
      }
      return out;
    });
  }

  /** Every consumer group with members has handled every message of the topics it reads (nothing waiting or in flight). */
  isDrained(): boolean {
    for (const group of this.groups.values()) {
      if (group.inFlight.size > 0) return false;
      for (const topic of new Set(group.members.flatMap((m) => m.topics))) {
        const partitions = this.topics.get(topic) ?? [];
        if (partitions.some((log, p) => (group.committed.get(tpKey(topic, p)) ?? 0) < log.end)) return false;
      }
    }
    return true;
  }

  onLag(listener: (lag: PartitionLag) => void): void {
    this.lagListeners.push(listener);
  }

  isReady(): boolean {
    return !this.closed;
  }

  async health(): Promise<BusHealth> {
    return this.closed ? { ok: false, reason: 'bus closed' } : { ok: true };
  }

  async close(): Promise<void> {
    this.closed = true;
    const loops: Array<Promise<void> | undefined> = [];
    for (const group of this.groups.values()) {
      for (const m of group.members) {
        m.stopping = true;
        m.wake();
        loops.push(m.loop);
      }
    }
    await Promise.all(loops);
    await this.storage.close();
  }
}
