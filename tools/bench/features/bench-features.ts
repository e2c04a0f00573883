/**
 * Feature-builder throughput on the real MariaDB (tools/infra/up.sh), without Kafka in the way: a real
 * shop's clickstream (../shared/datasets/<dataset>/normalized, RetailRocket by default) is cut into
 * the batches feature-builder's consumer would get (keyed by user over --partitions partitions,
 * --batch events each, --active sessions interleaved as a live shop's are) and handed to
 * FeaturePipeline.handle, --partitions at a time as FEATURE_PARTITION_CONCURRENCY does, on a scratch
 * database. Reports events applied per second, CPU per event of this process (the pipeline) and of
 * MariaDB, InnoDB row-lock waits and deadlocks, and batches retried; checks that every event was
 * applied once (claims and summed popularity interactions equal the events). Writes
 * reports/bench-features.json.
 *   npm run bench:features [-- --events 100000] [--partitions 3] [--batch 100] [--active 2000]
 *                          [--dataset session_retailrocket_cotrec] [--out reports/bench-features.json]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { create, toBinary } from '@bufbuild/protobuf';
import { Action, ClickstreamEventSchema, resolveTopicNames, topicDeclarations } from '@recmesh/contracts';
import { FeatureMetrics, FeaturePipeline } from '@recmesh/features';
import { BusMessage, InMemoryMessageBus, MessageBatch } from '@recmesh/messaging';
import { CatalogStore, FeatureStore, openStore } from '@recmesh/persistence';
import { readDatasetDir } from '@recmesh/training';
import { Registry } from 'prom-client';
import { BenchProgress } from '../progress';
import { CpuMeter, infraPid } from '../process-cpu';
/* eslint-disable @nx/enforce-module-boundaries -- the integration-test harness (test/, type:test) finds the real database and makes a scratch one */
import { infraEnv } from '../../../test/support/infra-env';
import { ScratchDatabase } from '../../../test/support/scratch-database';
/* eslint-enable @nx/enforce-module-boundaries */

const ROOT = path.resolve(__dirname, '../../..');

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
}

const EVENTS = Number(flag('events', '100000'));
const PARTITIONS = Number(flag('partitions', '3'));
const BATCH = Number(flag('batch', '100'));
const ACTIVE = Number(flag('active', '2000'));
const DATASET = flag('dataset', 'session_retailrocket_cotrec');
const OUT = path.resolve(ROOT, flag('out', 'reports/bench-features.json'));
const ACTIONS: Record<string, Action> = { view: Action.VIEW, click: Action.CLICK, cart: Action.ADD_TO_CART, add_to_cart: Action.ADD_TO_CART, purchase: Action.PURCHASE, transaction: Action.PURCHASE, review: Action.RATE, rate: Action.RATE };

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The first --events events of the dataset as a live shop sends them: --active sessions at a time, one step of each in turn. */
async function liveStream(): Promise<Array<{ userId: string; itemId: string; action: Action; tsMs: number }>> {
  const dir = path.resolve(ROOT, '..', 'shared', 'datasets', DATASET, 'normalized');
  const { events } = await readDatasetDir(dir);
  const byUser = new Map<string, typeof events>();
  for (const e of events.slice(0, EVENTS)) {
    const steps = byUser.get(e.userId) ?? [];
    steps.push(e);
    byUser.set(e.userId, steps);
  }
  const sessions = [...byUser.values()].map((steps) => [...steps].sort((a, b) => a.ts - b.ts));
  const out: Array<{ userId: string; itemId: string; action: Action; tsMs: number }> = [];
  const start = Date.now() - 3_600_000;
  for (let w = 0; w < sessions.length; w += ACTIVE) {
    const window = sessions.slice(w, w + ACTIVE);
    for (let step = 0; window.some((s) => step < s.length); step++) {
      for (const s of window) {
        if (step < s.length) out.push({ userId: s[step].userId, itemId: s[step].itemId, action: ACTIONS[s[step].action] ?? Action.VIEW, tsMs: start + out.length });
      }
    }
  }
  return out;
}

async function innodb(db: ScratchDatabase): Promise<Record<string, number>> {
  const rows = await db.query<{ Variable_name: string; Value: string }>("SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_deadlocks', 'Innodb_row_lock_waits', 'Innodb_row_lock_time', 'Com_commit', 'Questions')");
  return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
}

async function main(): Promise<void> {
  const progress = new BenchProgress('bench-features');
  progress.phase(`read ${DATASET}`);
  const stream = await liveStream();
  const topics = resolveTopicNames();
  const queues: MessageBatch[][] = Array.from({ length: PARTITIONS }, () => []);
  const pending: BusMessage[][] = Array.from({ length: PARTITIONS }, () => []);
  const flush = (p: number) => {
    if (pending[p].length > 0) queues[p].push({ topic: topics.clickstreamNormalized, partition: p, messages: pending[p] });
    pending[p] = [];
  };
  stream.forEach((e, i) => {
    const p = hash(e.userId) % PARTITIONS;
    const value = Buffer.from(toBinary(ClickstreamEventSchema, create(ClickstreamEventSchema, { eventId: `${DATASET}-${i}`, userId: e.userId, sessionId: e.userId, itemId: e.itemId, action: e.action, quantity: 1, tsMs: BigInt(e.tsMs) })));
    pending[p].push({ topic: topics.clickstreamNormalized, partition: p, offset: String(i), key: null, value, headers: {}, timestampMs: e.tsMs });
    if (pending[p].length >= BATCH) flush(p);
  });
  for (let p = 0; p < PARTITIONS; p++) flush(p);

  progress.phase('apply');
  const db = await ScratchDatabase.create(infraEnv().mysqlUrl);
  const ds = await openStore({ kind: 'mysql', url: db.url });
  const bus = new InMemoryMessageBus();
  try {
    await bus.ensureTopics(topicDeclarations(topics));
    const features = new FeatureStore(ds);
    const pipeline = new FeaturePipeline({ bus, features, catalog: new CatalogStore(ds), metrics: new FeatureMetrics(new Registry()), topics, sequenceLength: 50, popularityHalfLifeMs: 6 * 3_600_000 });
    let retried = 0;
    let done = 0;
    const before = await innodb(db);
    const cpu = new CpuMeter({ mariadb: infraPid('mariadb') });
    const ownCpu = process.cpuUsage();
    const began = process.hrtime.bigint();
    await Promise.all(queues.map(async (queue) => {
      for (const batch of queue) {
        // As the consumer does: a failed batch (a deadlock, a lock wait timeout) is handled again from the start.
        for (let attempt = 0; ; attempt++) {
          try {
            await pipeline.handle(batch);
            break;
          } catch (error) {
            if (attempt >= 20) throw error;
            retried++;
            process.stderr.write(`bench-features: batch retried: ${(error as Error).message}\n`);
            await new Promise((r) => setTimeout(r, 10 * (attempt + 1)));
          }
        }
        done += batch.messages.length;
        progress.step(done, stream.length, ' events');
      }
    }));
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    const own = process.cpuUsage(ownCpu);
    const used = cpu.stop();
    const after = await innodb(db);
    progress.phase('check');
    const [{ claimed }] = await db.query<{ claimed: number }>('SELECT COUNT(*) AS claimed FROM feature_applied_events');
    const [{ interactions }] = await db.query<{ interactions: number }>('SELECT COALESCE(SUM(interactions), 0) AS interactions FROM item_popularity');
    const perEventUs = (s: number | null | undefined) => (s === null || s === undefined ? null : Math.round((s * 1e6) / stream.length));
    const report = {
      bench: 'features',
      generatedAt: new Date().toISOString(),
      machine: { cpus: os.cpus().length, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version, load_average: os.loadavg().map((l) => Math.round(l * 100) / 100) },
      config: { dataset: DATASET, events: stream.length, users: new Set(stream.map((e) => e.userId)).size, items: new Set(stream.map((e) => e.itemId)).size, partitions: PARTITIONS, batch: BATCH, active_sessions: ACTIVE },
      method: 'FeaturePipeline.handle on a scratch MariaDB database (tools/infra), batches keyed by user over the partitions, one partition loop per partition as the consumer runs them; the feature-updated announcements go to an in-memory bus, so Kafka costs nothing here; a failed batch is handled again from the start',
      events_per_second: Math.round(stream.length / seconds),
      seconds: Math.round(seconds * 10) / 10,
      cpu_us_per_event: { pipeline: perEventUs((own.user + own.system) / 1e6), mariadb: perEventUs(used.mariadb) },
      innodb: {
        deadlocks: after.Innodb_deadlocks - before.Innodb_deadlocks,
        row_lock_waits: after.Innodb_row_lock_waits - before.Innodb_row_lock_waits,
        row_lock_time_ms: after.Innodb_row_lock_time - before.Innodb_row_lock_time,
        statements_per_batch: Math.round(((after.Questions - before.Questions) / queues.reduce((n, q) => n + q.length, 0)) * 10) / 10,
      },
      batches: queues.reduce((n, q) => n + q.length, 0),
      batches_retried: retried,
      applied_once: Number(claimed) === stream.length && Number(interactions) === stream.length,
      claimed: Number(claimed),
      popularity_interactions: Number(interactions),
    };
    progress.done();
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, JSON.stringify(report, null, 2) + '\n');
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    if (!report.applied_once) process.exitCode = 1;
  } finally {
    await bus.close();
    await ds.destroy();
    await db.drop();
  }
}

main().catch((error) => {
  process.stderr.write(`bench-features: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
