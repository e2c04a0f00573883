/**
 * Ingest throughput benchmark on the real stack (tools/infra/up.sh). Three measurements, one run:
 *  - drain: a backlog of N events (JSON, then binary protobuf) already on the raw topic, stored by a
 *    freshly started ingest; rate = events stored / (first stored -> last stored);
 *  - ceiling: a bare kafkajs consumer (and kcat when installed) reading the same backlog, no processing;
 *  - steady: a producer paced at --rate events/s for --seconds while ingest runs; produce-to-stored
 *    p50/p99 from each event's ts_ms (its send time) and ingested_at_ms.
 * Writes reports/bench-ingest.json. Usage: npm run bench:ingest [-- --events N --rate R --seconds S --batch B]
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { create, toBinary } from '@bufbuild/protobuf';
import { Kafka } from 'kafkajs';
import { ClickstreamEventSchema, ContentTypeHeader, ContentTypes, parseAction, resolveTopicNames, topicDeclarations } from '@recmesh/contracts';
import { percentile } from '@recmesh/numerics';
import { generateSyntheticShop, ShopEvent } from '@recmesh/synthetic-shop';
/* eslint-disable @nx/enforce-module-boundaries -- this bench runs the real stack through the integration-test harness (test/, type:test), which is no library and has no import alias */
import { infraEnv, uniqueSuffix } from '../../test/support/infra-env';
import { consumeUntil, kafkaClient } from '../../test/support/kafka-io';
import { ScratchDatabase } from '../../test/support/scratch-database';
import { freePort, ServiceProcess } from '../../test/support/service-process';
/* eslint-enable @nx/enforce-module-boundaries */
import { CpuMeter, infraPid } from './process-cpu';
import { BenchProgress } from './progress';

const ROOT = path.resolve(__dirname, '../..');
const SEND_CHUNK = 1000;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

type Payload = 'json' | 'protobuf';

function encode(e: ShopEvent, eventId: string, tsMs: number, payload: Payload): { key: string; value: Buffer; headers?: Record<string, string> } {
  if (payload === 'protobuf') {
    const msg = create(ClickstreamEventSchema, {
      eventId, userId: e.userId, sessionId: e.sessionId, itemId: e.itemId, action: parseAction(e.action),
      quantity: 1, price: e.price, currency: 'EUR', rating: e.rating, tsMs: BigInt(tsMs),
    });
    return { key: e.userId, value: Buffer.from(toBinary(ClickstreamEventSchema, msg)), headers: { [ContentTypeHeader]: ContentTypes.protobuf } };
  }
  const body = { event_id: eventId, user_id: e.userId, session_id: e.sessionId, item_id: e.itemId, action: e.action, quantity: 1, price: e.price, currency: 'EUR', rating: e.rating, ts_ms: tsMs };
  return { key: e.userId, value: Buffer.from(JSON.stringify(body)) };
}

const load = () => os.loadavg().map((l) => Number(l.toFixed(2)));

function perEvent(cpuSeconds: Record<string, number | null>, events: number): Record<string, number | null> {
  return Object.fromEntries(Object.entries(cpuSeconds).map(([name, s]) => [name, s === null ? null : Number(((s * 1e6) / events).toFixed(1))]));
}

async function main(): Promise<void> {
  const events = arg('events', 100_000);
  const batch = arg('batch', 1000);
  const steadyRate = arg('rate', 20_000);
  const steadySeconds = arg('seconds', 10);
  const progress = new BenchProgress('bench-ingest');
  progress.phase('set up (scratch database, topics, synthetic shop)');
  const infra = infraEnv();
  const db = await ScratchDatabase.create(infra.mysqlUrl);
  const prefix = `bench-${uniqueSuffix()}.`;
  const topics = resolveTopicNames(prefix);
  const kafka = kafkaClient(infra.kafkaBrokers);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: topicDeclarations(topics).map((t) => ({ topic: t.name, numPartitions: t.partitions })) });
  const shop = generateSyntheticShop({ seed: 5, items: 5000, users: Math.ceil(events / 15) });
  const source = shop.events;
  const port = await freePort();
  const ingestEnv = {
    RECMESH_PROFILE: 'kafka-mysql', KAFKA_BROKERS: infra.kafkaBrokers.join(','), MYSQL_URL: db.url, RECMESH_TOPIC_PREFIX: prefix,
    INGEST_GROUP_ID: `bench-${port}`, INGEST_PORT: String(port), INGEST_MAX_BATCH: String(batch), LOG_LEVEL: 'warn',
  };
  let ingest: ServiceProcess | undefined;
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const storedWith = async (idPrefix: string) => {
    const [row] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM clickstream_events WHERE event_id LIKE ?', [`${idPrefix}%`]);
    return Number(row.n);
  };
  const waitStored = async (idPrefix: string, n: number, what: string) => {
    const began = Date.now();
    for (;;) {
      const stored = await storedWith(idPrefix);
      progress.step(stored, n, 'stored');
      if (stored >= n) return;
      if (Date.now() - began > 600_000) throw new Error(`${what}: only ${stored} of ${n} stored after 10 minutes`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /** Backlog first, then a fresh ingest process drains it. */
  const drain = async (payload: Payload) => {
    const idPrefix = `drain-${payload}-`;
    progress.phase(`produce a backlog of ${events} ${payload} events`);
    const now = Date.now();
    const records = source.slice(0, events).map((e, i) => encode(e, `${idPrefix}${i}`, now, payload));
    for (let i = 0; i < records.length; i += SEND_CHUNK) {
      await producer.send({ topic: topics.clickstreamRaw, acks: -1, messages: records.slice(i, i + SEND_CHUNK) });
    }
    progress.phase(`ingest drains the ${payload} backlog`);
    const loadBefore = load();
    ingest = ServiceProcess.start('ingest', port, ingestEnv);
    await ingest.waitReady();
    const cpu = new CpuMeter({ ingest: ingest.pid, mariadb: infraPid('mariadb'), kafka: infraPid('kafka') });
    await waitStored(idPrefix, events, `${payload} drain`);
    const cpuSeconds = cpu.stop();
    const loadAfter = load();
    await ingest.stop();
    const [span] = await db.query<{ first: number; last: number }>(
      'SELECT MIN(ingested_at_ms) AS first, MAX(ingested_at_ms) AS last FROM clickstream_events WHERE event_id LIKE ?', [`${idPrefix}%`]);
    // The first batch's rows share the first instant: count what was stored after it over the span.
    const [after] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM clickstream_events WHERE event_id LIKE ? AND ingested_at_ms > ?', [`${idPrefix}%`, span.first]);
    const seconds = (Number(span.last) - Number(span.first)) / 1000;
    return {
      payload, events, stored_after_first_batch: Number(after.n), seconds, events_per_second: Math.round(Number(after.n) / seconds),
      cpu_seconds: cpuSeconds,
      cpu_microseconds_per_event: perEvent(cpuSeconds, events),
      ingest_events_per_cpu_second: cpuSeconds.ingest ? Math.round(events / cpuSeconds.ingest) : null,
      loadavg: { before: loadBefore, after: loadAfter },
    };
  };

  /** Ingest running; a producer paced at `steadyRate` events/s; latency from send time to stored. */
  const steady = async () => {
    const idPrefix = 'steady-';
    progress.phase('start ingest for the steady load');
    ingest = ServiceProcess.start('ingest', port, ingestEnv);
    await ingest.waitReady();
    await new Promise((r) => setTimeout(r, 2000)); // let the group settle on its partitions
    progress.phase(`steady load: ${steadyRate} events/s for ${steadySeconds} s`);
    const loadBefore = load();
    const total = steadyRate * steadySeconds;
    const perTickMs = (SEND_CHUNK / steadyRate) * 1000;
    const began = Date.now();
    let sent = 0;
    let lateSends = 0;
    while (sent < total) {
      const due = began + (sent / SEND_CHUNK) * perTickMs;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -perTickMs) lateSends++;
      const now = Date.now();
      const chunk = Math.min(SEND_CHUNK, total - sent);
      const messages = Array.from({ length: chunk }, (_, j) => encode(source[(sent + j) % source.length], `${idPrefix}${sent + j}`, now, 'json'));
      await producer.send({ topic: topics.clickstreamRaw, acks: -1, messages });
      sent += chunk;
    }
    const produceSeconds = (Date.now() - began) / 1000;
    await waitStored(idPrefix, total, 'steady load');
    const loadAfter = load();
    await ingest.stop();
    const latencies = (await db.query<{ l: number }>('SELECT ingested_at_ms - ts_ms AS l FROM clickstream_events WHERE event_id LIKE ?', [`${idPrefix}%`]))
      .map((r) => Number(r.l))
      .sort((a, b) => a - b);
    return {
      target_events_per_second: steadyRate,
      achieved_produce_events_per_second: Math.round(total / produceSeconds),
      events: total,
      sends_behind_schedule: lateSends,
      produce_to_stored_latency_ms: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] },
      loadavg: { before: loadBefore, after: loadAfter },
    };
  };

  try {
    const json = await drain('json');
    const protobuf = await drain('protobuf');
    const steadyResult = await steady();

    progress.phase('ceiling: kafkajs raw consume of the same backlog');
    const ceilingLoad = load();
    const ceilingCpu = new CpuMeter({ kafkajs_consumer: process.pid, kafka: infraPid('kafka') });
    const kafkajsRate = await kafkajsConsumeRate(kafka, topics.clickstreamRaw, events);
    const ceilingCpuSeconds = ceilingCpu.stop();
    let kcatRate: number | null = null;
    if (spawnSync('which', ['kcat']).status === 0) {
      progress.phase('ceiling: kcat raw consume');
      const t = Date.now();
      const out = execFileSync('kcat', ['-b', infra.kafkaBrokers[0], '-C', '-t', topics.clickstreamRaw, '-o', 'beginning', '-c', String(events), '-e', '-q', '-f', '\\n'], { maxBuffer: 1 << 30 });
      if (out.toString().split('\n').length - 1 < events) throw new Error('kcat read fewer records than produced');
      kcatRate = events / ((Date.now() - t) / 1000);
    }
    const ratio = (rate: number, ceiling: number | null) => (ceiling ? Number((rate / ceiling).toFixed(3)) : null);
    const report = {
      benchmark: 'ingest',
      created_at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, memory_gib: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      setup: {
        events, ingest_batch: batch, partitions: 6, instances: 1, broker: 'Kafka 3.9 KRaft single node (tools/infra)', store: 'MariaDB (tools/infra), innodb_flush_log_at_trx_commit=1',
        note: 'Broker, database, ingest and this bench share the machine\'s cores; compare the ratios, not the absolute rates, across runs.',
      },
      drain: { json, protobuf },
      steady: steadyResult,
      ceiling: {
        kafkajs_raw_consume_events_per_second: Math.round(kafkajsRate),
        kcat_raw_consume_events_per_second: kcatRate ? Math.round(kcatRate) : null,
        kafkajs_cpu_seconds: ceilingCpuSeconds,
        kafkajs_consumer_events_per_cpu_second: ceilingCpuSeconds.kafkajs_consumer ? Math.round(events / ceilingCpuSeconds.kafkajs_consumer) : null,
        loadavg: ceilingLoad,
      },
      ratio: {
        json_drain_vs_kafkajs_raw_consume: ratio(json.events_per_second, kafkajsRate),
        protobuf_drain_vs_kafkajs_raw_consume: ratio(protobuf.events_per_second, kafkajsRate),
        json_drain_vs_kcat_raw_consume: ratio(json.events_per_second, kcatRate),
        // On a shared machine wall-clock rates move with the neighbours' load; CPU per event does not.
        json_ingest_vs_kafkajs_consumer_events_per_cpu_second: ratio(json.ingest_events_per_cpu_second ?? 0, ceilingCpuSeconds.kafkajs_consumer ? events / ceilingCpuSeconds.kafkajs_consumer : null),
      },
      notes:
        'Drain = a backlog already on the raw topic, as the ceilings read it; it includes decoding, validation, dedup, the MariaDB transaction (durable before the offset commit), the forward to the normalized topic and the offset commit. Ceilings read the first N records of the same topic with no processing (including group join).',
    };
    fs.mkdirSync(path.join(ROOT, 'reports'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'reports/bench-ingest.json'), JSON.stringify(report, null, 2) + '\n');
    console.log(JSON.stringify(report, null, 2));
    progress.phase('clean up');
  } finally {
    await ingest?.stop();
    await producer.disconnect();
    await admin.deleteTopics({ topics: topicDeclarations(topics).map((t) => t.name) }).catch(() => undefined);
    await admin.disconnect();
    await db.drop();
    progress.done();
  }
}

async function kafkajsConsumeRate(kafka: Kafka, topic: string, events: number): Promise<number> {
  const began = Date.now();
  const consumed = await consumeUntil(kafka, topic, (rs) => rs.length >= events, 300_000);
  if (consumed.length < events) throw new Error(`kafkajs read only ${consumed.length} records`);
  return events / ((Date.now() - began) / 1000);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
