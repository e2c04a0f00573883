import { fromBinary } from '@bufbuild/protobuf';
import { createHash } from 'crypto';
import { ClickstreamEventSchema, DeadLetterHeaders, resolveTopicNames, topicDeclarations, TopicNames } from '@recmesh/contracts';
import { buildRawClickstreamMix, ExpectedReason, generateSyntheticShop, RawRecord } from '@recmesh/synthetic-shop';
import { Kafka } from 'kafkajs';
import { infraEnv, uniqueSuffix } from '../support/infra-env';
import { consumeUntil, kafkaClient } from '../support/kafka-io';
import { ScratchDatabase } from '../support/scratch-database';
import { freePort, ServiceProcess } from '../support/service-process';

/** One isolated ingest deployment: its own topic prefix, consumer group and database. */
export class IngestScenario {
  readonly services: ServiceProcess[] = [];

  private constructor(
    readonly kafka: Kafka,
    readonly db: ScratchDatabase,
    readonly topics: TopicNames,
    private readonly env: Record<string, string>,
  ) {}

  static async create(): Promise<IngestScenario> {
    const infra = infraEnv();
    const db = await ScratchDatabase.create(infra.mysqlUrl);
    const suffix = uniqueSuffix();
    const prefix = `it-${suffix}.`;
    const topics = resolveTopicNames(prefix);
    const kafka = kafkaClient(infra.kafkaBrokers);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: topicDeclarations(topics).map((t) => ({ topic: t.name, numPartitions: t.partitions })) });
    await admin.disconnect();
    return new IngestScenario(kafka, db, topics, {
      RECMESH_PROFILE: 'kafka-mysql',
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      MYSQL_URL: db.url,
      RECMESH_TOPIC_PREFIX: prefix,
      INGEST_GROUP_ID: `ingest-${suffix}`,
      LOG_LEVEL: 'info',
    });
  }

  async startIngest(): Promise<ServiceProcess> {
    return this.startService('ingest', 'INGEST_PORT');
  }

  /** Any recmesh service on this scenario's broker prefix and database. */
  async startService(app: string, portVariable: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const port = await freePort();
    const service = ServiceProcess.start(app, port, { ...this.env, ...env, [portVariable]: String(port) });
    this.services.push(service);
    await service.waitReady();
    return service;
  }

  async storedCount(): Promise<number> {
    const [row] = await this.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM clickstream_events');
    return Number(row.n);
  }

  async waitForStored(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.storedCount()) < count) {
      if (Date.now() > deadline) throw new Error(`only ${await this.storedCount()} of ${count} events stored after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /**
   * Checks the guarantees: exactly the valid unique events stored (once),
   * each forwarded, per-user order kept, every malformed record dead-lettered
   * with its expected reason. Returns how many forwards were repeats.
   */
  async verify(mix: readonly RawRecord[], options: { exactlyOnceForward: boolean }): Promise<{ forwardedDuplicates: number }> {
    const valid = mix.filter((r) => r.kind === 'valid');
    const malformed = mix.filter((r) => r.kind === 'malformed');
    await this.waitForStored(valid.length, 120_000);

    const stored = await this.db.query<{ event_id: string }>('SELECT event_id FROM clickstream_events');
    expect(stored).toHaveLength(valid.length);
    expect(new Set(stored.map((r) => r.event_id))).toEqual(new Set(valid.map((r) => r.eventId!)));

    const validIds = new Set(valid.map((r) => r.eventId!));
    const distinct = (records: ReadonlyArray<{ value: Buffer }>) => new Set(records.map((r) => fromBinary(ClickstreamEventSchema, r.value).eventId));
    const forwarded = await consumeUntil(this.kafka, this.topics.clickstreamNormalized, (rs) => distinct(rs).size >= valid.length, 120_000);
    const forwardedIds = forwarded.map((r) => fromBinary(ClickstreamEventSchema, r.value));
    expect(new Set(forwardedIds.map((e) => e.eventId))).toEqual(validIds);
    if (options.exactlyOnceForward) expect(forwarded).toHaveLength(valid.length);
    for (const r of forwarded) expect(r.key).toBe(fromBinary(ClickstreamEventSchema, r.value).userId);

    const fingerprint = (value: Buffer, reason: string) => `${createHash('sha256').update(value).digest('hex')}|${reason}`;
    // Distinct ones: a batch redelivered after a crash dead-letters its records again, so the count alone can be reached early.
    const dead = await consumeUntil(
      this.kafka, this.topics.ingestDeadLetter,
      (rs) => new Set(rs.map((r) => fingerprint(r.value, r.headers[DeadLetterHeaders.reason]))).size >= malformed.length, 60_000,
    );
    const deadSet = new Set(dead.map((r) => fingerprint(r.value, r.headers[DeadLetterHeaders.reason])));
    const expectedDead = new Set(malformed.map((r) => fingerprint(r.value, ExpectedReason[r.malformed!])));
    const unexpected = [...deadSet].filter((d) => !expectedDead.has(d));
    const missing = malformed.filter((r) => !deadSet.has(fingerprint(r.value, ExpectedReason[r.malformed!])));
    const describe = (r: RawRecord) => `${r.malformed}: ${r.value.subarray(0, 80).toString('latin1')}`;
    expect({ unexpected: unexpected.length, missing: missing.slice(0, 5).map(describe) }).toEqual({ unexpected: 0, missing: [] });
    expect(deadSet.size).toBe(malformed.length);
    expect(dead.every((r) => (r.headers[DeadLetterHeaders.detail] ?? '').length > 0 && r.headers[DeadLetterHeaders.sourceOffset] !== undefined)).toBe(true);
    return { forwardedDuplicates: forwarded.length - validIds.size };
  }

  /** For each user, the forwarded order of their events is the produced order. */
  async verifyPerUserOrder(mix: readonly RawRecord[]): Promise<void> {
    const valid = mix.filter((r) => r.kind === 'valid');
    const expected = new Map<string, string[]>();
    for (const r of valid) expected.set(r.key, [...(expected.get(r.key) ?? []), r.eventId!]);
    const forwarded = await consumeUntil(this.kafka, this.topics.clickstreamNormalized, (rs) => rs.length >= valid.length, 60_000);
    const actual = new Map<string, string[]>();
    for (const r of forwarded) {
      const e = fromBinary(ClickstreamEventSchema, r.value);
      actual.set(e.userId, [...(actual.get(e.userId) ?? []), e.eventId]);
    }
    expect(actual).toEqual(expected);
  }

  async close(): Promise<void> {
    await Promise.all(this.services.map((s) => s.stop()));
    await this.db.drop();
  }
}

/** `count` raw clickstream records from the synthetic shop, timestamps inside ingest's accepted window. */
export function rawClickstream(count: number, seed: number): RawRecord[] {
  const users = Math.ceil(count / 15);
  const shop = generateSyntheticShop({ seed, items: 3000, users, startMs: Date.now() - 20 * 86_400_000 });
  const events = shop.events.slice(0, count);
  if (events.length < count) throw new Error(`shop produced only ${events.length} events`);
  return buildRawClickstreamMix(events, { malformedRate: 0.02, duplicateRate: 0.02, seed });
}
