/**
 * Ingest throughput benchmark on the real stack (tools/infra/up.sh):
 * sustained events/s from produce to durably stored in MariaDB, next to the
 * raw consume rate of the same broker and topic (kafkajs with no processing,
 * and kcat when installed) measured in the same run as the ceiling.
 * Writes reports/bench-ingest.json. Usage: npm run bench:ingest [-- --events N]
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveTopicNames, topicDeclarations } from '@recmesh/contracts';
import { percentile } from '@recmesh/numerics';
import { generateSyntheticShop } from '@recmesh/synthetic-shop';
/* eslint-disable @nx/enforce-module-boundaries -- this bench runs the real stack through the integration-test harness (test/, type:test), which is no library and has no import alias */
import { infraEnv, uniqueSuffix } from '../../test/support/infra-env';
import { consumeUntil, kafkaClient } from '../../test/support/kafka-io';
import { ScratchDatabase } from '../../test/support/scratch-database';
import { freePort, ServiceProcess } from '../../test/support/service-process';
/* eslint-enable @nx/enforce-module-boundaries */
import { BenchProgress } from './progress';

const ROOT = path.resolve(__dirname, '../..');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const events = arg('events', 100_000);
  const batch = arg('batch', 1000);
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
  const source = shop.events.slice(0, events);
  const port = await freePort();
  const ingest = ServiceProcess.start('ingest', port, {
    RECMESH_PROFILE: 'kafka-mysql', KAFKA_BROKERS: infra.kafkaBrokers.join(','), MYSQL_URL: db.url, RECMESH_TOPIC_PREFIX: prefix,
    INGEST_GROUP_ID: `bench-${port}`, INGEST_PORT: String(port), INGEST_MAX_BATCH: String(batch), LOG_LEVEL: 'warn',
  });
  try {
    progress.phase('start ingest');
    await ingest.waitReady();
    await new Promise((r) => setTimeout(r, 2000)); // let the group settle on its partitions
    const started = Date.now();
    // ts_ms is the produce time, so ingested_at_ms - ts_ms is produce-to-stored latency.
    const records = source.map((e, i) => ({
      key: e.userId,
      value: Buffer.from(JSON.stringify({
        event_id: `bench-${i}`, user_id: e.userId, session_id: e.sessionId, item_id: e.itemId, action: e.action,
        quantity: 1, price: e.price, currency: 'EUR', rating: e.rating, ts_ms: 0,
      })),
    }));
    const producer = kafka.producer();
    await producer.connect();
    progress.phase(`produce ${events} events, ingest stores them`);
    for (let i = 0; i < records.length; i += 1000) {
      progress.step(i, records.length, 'produced');
      const now = Date.now();
      await producer.send({
        topic: topics.clickstreamRaw,
        acks: -1,
        messages: records.slice(i, i + 1000).map((r) => ({ key: r.key, value: r.value.toString().replace('"ts_ms":0', `"ts_ms":${now}`) })),
      });
    }
    await producer.disconnect();
    const producedMs = Date.now() - started;
    for (;;) {
      const [row] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM clickstream_events');
      progress.step(Number(row.n), events, 'stored');
      if (Number(row.n) >= events) break;
      if (Date.now() - started > 600_000) throw new Error(`only ${row.n} of ${events} stored after 10 minutes`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const ingestSeconds = (Date.now() - started) / 1000;
    const latencies = (await db.query<{ l: number }>('SELECT ingested_at_ms - ts_ms AS l FROM clickstream_events')).map((r) => Number(r.l)).sort((a, b) => a - b);
    await ingest.stop();

    // Ceiling 1: a bare kafkajs consumer group reading the same topic, no processing.
    progress.phase('ceiling: kafkajs raw consume');
    const consumeStart = Date.now();
    const consumed = await consumeUntil(kafka, topics.clickstreamRaw, (rs) => rs.length >= events, 300_000);
    const kafkajsSeconds = (Date.now() - consumeStart) / 1000;
    if (consumed.length < events) throw new Error(`kafkajs read only ${consumed.length} records`);

    // Ceiling 2: kcat (librdkafka) reading the topic to its end.
    let kcatSeconds: number | null = null;
    if (spawnSync('which', ['kcat']).status === 0) {
      progress.phase('ceiling: kcat raw consume');
      const t = Date.now();
      const out = execFileSync('kcat', ['-b', infra.kafkaBrokers[0], '-C', '-t', topics.clickstreamRaw, '-o', 'beginning', '-e', '-q', '-f', '\\n'], { maxBuffer: 1 << 30 });
      kcatSeconds = (Date.now() - t) / 1000;
      if (out.toString().split('\n').length - 1 < events) throw new Error('kcat read fewer records than produced');
    }

    const ingestRate = events / ingestSeconds;
    const kafkajsRate = events / kafkajsSeconds;
    const kcatRate = kcatSeconds ? events / kcatSeconds : null;
    const report = {
      benchmark: 'ingest',
      created_at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, memory_gib: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      setup: { events, ingest_batch: batch, partitions: 6, instances: 1, payload: 'JSON', broker: 'Kafka 3.9 KRaft single node (tools/infra)', store: 'MariaDB (tools/infra)' },
      ingest: {
        events_per_second: Math.round(ingestRate),
        seconds: ingestSeconds,
        produce_seconds: producedMs / 1000,
        produce_to_stored_latency_ms: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] },
      },
      ceiling: {
        kafkajs_raw_consume_events_per_second: Math.round(kafkajsRate),
        kcat_raw_consume_events_per_second: kcatRate ? Math.round(kcatRate) : null,
      },
      ratio: {
        ingest_vs_kafkajs_raw_consume: Number((ingestRate / kafkajsRate).toFixed(3)),
        ingest_vs_kcat_raw_consume: kcatRate ? Number((ingestRate / kcatRate).toFixed(3)) : null,
      },
      notes: 'Ingest rate = events / (first produce -> last event stored) with ingest already running; it includes validation, dedup, the MariaDB transaction, the forward to the normalized topic and the offset commit. Ceilings read the same topic afterwards with no processing.',
    };
    fs.mkdirSync(path.join(ROOT, 'reports'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'reports/bench-ingest.json'), JSON.stringify(report, null, 2) + '\n');
    console.log(JSON.stringify(report, null, 2));
    progress.phase('clean up');
  } finally {
    await ingest.stop();
    await admin.deleteTopics({ topics: topicDeclarations(topics).map((t) => t.name) }).catch(() => undefined);
    await admin.disconnect();
    await db.drop();
    progress.done();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
