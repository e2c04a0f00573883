import { Logger } from '@nestjs/common';
import { BusHealth, KafkaMessageBus } from '@recmesh/messaging';
import { Kafka, logLevel } from 'kafkajs';
import { infraEnv, uniqueSuffix } from '../support/infra-env';
import { until } from '../support/until';

/**
 * A batch handler that never settles on the real broker (the shape of the stall seen once in
 * `bench:faults`' broker restart): kafkajs keeps saying the consumer runs, no heartbeat goes out,
 * nothing is committed. The stall watchdog must notice the lag that does not move, say so in one
 * WARN line and on the bus health, replace the consumer, and the new one must consume everything.
 */
describe('a consumer whose batch never finishes', () => {
  let bus: KafkaMessageBus | undefined;
  afterEach(async () => {
    jest.restoreAllMocks();
    await bus?.close();
  });

  it('is noticed, reported and replaced, and the replacement consumes every message', async () => {
    const warnings: string[] = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
    bus = new KafkaMessageBus({ brokers: infraEnv().kafkaBrokers, clientId: 'consumer-stall', operationTimeoutMs: 2000, stallMs: 4000 });
    const topic = `stall-${uniqueSuffix()}`;
    const groupId = `stall-${uniqueSuffix()}`;
    await bus.ensureTopics([{ name: topic, partitions: 2 }]);
    const values = Array.from({ length: 40 }, (_, i) => `m-${i}`);
    await bus.publish(topic, values.map((value, i) => ({ key: `k-${i % 7}`, value })));

    const handled = new Set<string>();
    let calls = 0;
    let release = () => undefined as void;
    const subscription = await bus.subscribe({
      groupId,
      topics: [topic],
      partitionsConcurrently: 2,
      handler: async (batch) => {
        // The first batch hangs (as a produce or query that never answers would) until the test ends.
        if (calls++ === 0) await new Promise<void>((resolve) => (release = resolve));
        for (const m of batch.messages) handled.add(m.value!.toString());
      },
    });
    try {
      const reported = await until('the stall on the bus health', async () => {
        const health: BusHealth = await bus!.health();
        return !health.ok && health.reason.includes('stalled (restarting)') ? health.reason : undefined;
      }, 60_000, 250);
      expect(reported).toMatch(new RegExp(`^consumer group ${groupId} stalled \\(restarting\\): ${topic}\\[[01]\\] lag \\d+`));
      const line = warnings.find((w) => w.startsWith(`consumer group ${groupId} stalled: `));
      expect(line).toMatch(new RegExp(`${topic}\\[[01]\\] lag \\d+ at committed offset \\d+ for \\d+ s; restarting the consumer$`));
      // The replacement joins once the group has evicted the hung member (session timeout 30 s).
      await until('every message handled by the replacement', async () => (values.every((v) => handled.has(v)) ? true : undefined), 100_000, 500);
      await until('bus healthy again', async () => ((await bus!.health()).ok ? true : undefined), 30_000, 500);
    } finally {
      // Lets the replaced consumer finish leaving, so the test leaves no client behind: the group is empty once both have left.
      release();
      await subscription.stop();
      const admin = new Kafka({ brokers: infraEnv().kafkaBrokers, clientId: 'consumer-stall-admin', logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        await until('both consumers gone from the group', async () => ((await admin.describeGroups([groupId])).groups[0]?.state === 'Empty' ? true : undefined), 60_000, 500);
      } finally {
        await admin.disconnect();
      }
    }
  }, 180_000);
});
