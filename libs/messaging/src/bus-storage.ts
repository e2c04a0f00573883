import { MemoryPartitionLog, PartitionLog } from './partition-log';

/** Committed offsets: group id → "topic:partition" → next offset to deliver. */
export type CommittedOffsets = Map<string, Map<string, number>>;

/** Where the in-process bus keeps its records and its groups' committed offsets. */
export interface BusStorage {
  /** Partitions a topic already has in storage (0 if none): they outrank a declaration, as on Kafka. */
  existingPartitions(topic: string): number;
  partition(topic: string, partition: number): PartitionLog;
  /** Offsets committed before this process started. */
  loadOffsets(): CommittedOffsets;
  /** Records a committed offset; made durable in the background (a crash before that redelivers the batch, which consumers handle idempotently). */
  commitOffset(groupId: string, key: string, next: number): void;
  close(): Promise<void>;
}

/** Nothing survives the process: the tests' bus. */
export class MemoryBusStorage implements BusStorage {
  existingPartitions(): number {
    return 0;
  }

  partition(): PartitionLog {
    return new MemoryPartitionLog();
  }

  loadOffsets(): CommittedOffsets {
    return new Map();
  }

  commitOffset(): void {
    // kept in the bus's own map only
  }

  async close(): Promise<void> {
    // nothing open
  }
}
