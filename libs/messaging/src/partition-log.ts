/** One record of a topic-partition as the in-process bus stores it. */
export interface LogRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestampMs: number;
}

export interface StoredRecord extends LogRecord {
  readonly offset: number;
}

/**
 * The records of one topic-partition, numbered from 0 like Kafka offsets.
 * Appends become visible to readers (`end`) only once `sync` made them
 * durable, so a consumer never acts on a record a crash could take back.
 */
export interface PartitionLog {
  /** First offset still stored (older ones were released). */
  readonly start: number;
  /** Offset after the last durable record: what readers may see. */
  readonly end: number;
  /** Appends in order; durable (and visible) after the next `sync`. */
  append(records: readonly LogRecord[]): void;
  /** Resolves once everything appended before the call is durable. */
  sync(): Promise<void>;
  /** Up to `max` durable records from `from` (fewer at a segment boundary). */
  read(from: number, max: number): StoredRecord[];
  /** Every reader is past `before`: what lies before it may go. */
  release(before: number): void;
  close(): void;
}

/** Records kept in an array for the life of the process: for tests, where `bus.read(topic)` shows everything ever published. */
export class MemoryPartitionLog implements PartitionLog {
  private readonly records: LogRecord[] = [];
  readonly start = 0;

  get end(): number {
    return this.records.length;
  }

  append(records: readonly LogRecord[]): void {
    this.records.push(...records);
  }

  async sync(): Promise<void> {
    // nothing to make durable
  }

  read(from: number, max: number): StoredRecord[] {
    return this.records.slice(from, from + max).map((r, i) => ({ ...r, offset: from + i }));
  }

  release(): void {
    // kept: tests read every record back
  }

  close(): void {
    // nothing open
  }
}
