import { Kafka, logLevel } from 'kafkajs';
import { uniqueSuffix } from './infra-env';

export interface ConsumedRecord {
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
  readonly partition: number;
}

export function kafkaClient(brokers: string[]): Kafka {
  return new Kafka({ brokers, clientId: `recmesh-test-${uniqueSuffix()}`, logLevel: logLevel.ERROR });
}

export async function produce(
  kafka: Kafka,
  topic: string,
  records: ReadonlyArray<{ key: string; value: Buffer; headers?: Record<string, string> }>,
  chunk = 2000,
): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += chunk) {
      await producer.send({ topic, acks: -1, messages: records.slice(i, i + chunk).map((r) => ({ key: r.key, value: r.value, headers: r.headers })) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Reads a topic from the beginning until `done` says so (or the timeout passes). */
export async function consumeUntil(
  kafka: Kafka,
  topic: string,
  done: (records: readonly ConsumedRecord[]) => boolean,
  timeoutMs: number,
): Promise<ConsumedRecord[]> {
  const records: ConsumedRecord[] = [];
  const consumer = kafka.consumer({ groupId: `reader-${uniqueSuffix()}`, maxBytesPerPartition: 8 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let resolveDone!: () => void;
  const finished = new Promise<void>((r) => (resolveDone = r));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = v.toString();
        records.push({ key: m.key?.toString() ?? null, value: m.value ?? Buffer.alloc(0), headers, partition: batch.partition });
      }
      if (done(records)) resolveDone();
    },
  });
  const timer = setTimeout(resolveDone, timeoutMs);
  if (done(records)) resolveDone();
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return records;
}
