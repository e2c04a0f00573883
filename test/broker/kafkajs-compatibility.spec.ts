import * as fs from 'fs';
import * as path from 'path';
import { KafkaMessageBus } from '@recmesh/messaging';
import { infraEnv, uniqueSuffix } from '../support/infra-env';
import { kafkaClient } from '../support/kafka-io';

const pinnedVersion = /^KAFKA_VERSION=([\d.]+)$/m.exec(fs.readFileSync(path.join(__dirname, '../../tools/infra/kafka.sh'), 'utf8'))?.[1];

describe(`kafkajs 2.2.4 against the pinned broker (Kafka ${pinnedVersion})`, () => {
  it('pins a 3.x broker: kafkajs does not speak the protocol versions Kafka 4 requires', () => {
    expect(pinnedVersion).toMatch(/^3\.\d+\.\d+$/);
  });

  it('speaks every API recmesh uses: admin, idempotent acks=all produce, group consume, manual commits, offsets', async () => {
    const { kafkaBrokers } = infraEnv();
    const kafka = kafkaClient(kafkaBrokers);
    const topic = `compat-${uniqueSuffix()}`;
    const bus = new KafkaMessageBus({ brokers: kafkaBrokers, clientId: 'compat' });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toHaveLength(1);
      await bus.ensureTopics([{ name: topic, partitions: 3 }]);
      expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions).toHaveLength(3);
      await bus.publish(topic, Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: `v${i}`, headers: { h: 'x' } })));
      const seen: string[] = [];
      const groupId = `compat-${uniqueSuffix()}`;
      const sub = await bus.subscribe({ groupId, topics: [topic], handler: async (b) => void seen.push(...b.messages.map((m) => m.value!.toString())) });
      const deadline = Date.now() + 30_000;
      while (seen.length < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await sub.stop();
      expect(seen.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(committed[0].partitions.reduce((s, p) => s + Number(p.offset), 0)).toBe(30);
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
      await bus.close();
    }
  });
});
