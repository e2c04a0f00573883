/**
 * Freshness benchmark on the real stack (tools/infra/up.sh): the time from a
 * clickstream event produced to Kafka to the changed answer at the gateway
 * (an item with REASON_CODE_SEQUENCE for that user), with ingest,
 * feature-builder, scorer and gateway as separate processes, the way
 * test/e2e/recommend-e2e.spec.ts runs them. Probes run first with no
 * background load (baseline), then under a sustained background clickstream
 * of other users at a stated rate, in the same run.
 * Writes reports/bench-freshness.json.
 * Also: CPU seconds per background event of each process during the loaded phase, and the
 * feature-builder's applied events/s at that load.
 * Usage: npm run bench:freshness [-- --rate 5000 --probes 300 --idle-probes 60 --out reports/bench-freshness.json]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { latencySummary } from '@recmesh/numerics';
import { generateSyntheticShop, ShopEvent, ShopItem } from '@recmesh/synthetic-shop';
import { Producer } from 'kafkajs';
/* eslint-disable @nx/enforce-module-boundaries -- this bench runs the real stack through the integration-test harness (test/, type:test), which is no library and has no import alias */
import { IngestScenario } from '../../../test/ingest/ingest-scenario';
import { publishCatalog, RecommendationStack, startRecommendationStack } from '../../../test/support/recommendation-stack';
/* eslint-enable @nx/enforce-module-boundaries */
import { CpuMeter, infraPid } from '../process-cpu';
import { BenchProgress } from '../progress';


const ROOT = path.resolve(__dirname, '../../..');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sustains `rate` events/s of other users' clickstream (JSON, raw topic) until stopped; counts what the broker acknowledged. */
class BackgroundLoad {
  private timer?: NodeJS.Timeout;
  private inFlight = Promise.resolve();
  private next = 0;
  private sending = false;
  acked = 0;
  failed = 0;
  skippedTicks = 0;
  startedAt = 0;
  stoppedAt = 0;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly events: readonly ShopEvent[],
    private readonly rate: number,
    private readonly tickMs = 50,
  ) {}

  start(): void {
    this.startedAt = Date.now();
    let due = 0;
    this.timer = setInterval(() => {
      due = Math.floor(((Date.now() - this.startedAt) / 1000) * this.rate);
      if (this.sending) {
        this.skippedTicks++;
        return;
      }
      const count = due - this.next;
      if (count <= 0) return;
      this.sending = true;
      const now = Date.now();
      const messages = [];
      for (let i = 0; i < count; i++, this.next++) {
        const e = this.events[this.next % this.events.length];
        const round = Math.floor(this.next / this.events.length);
        messages.push({
          key: `bg${round}-${e.userId}`,
          value: JSON.stringify({
            event_id: `bg-${this.next}`, user_id: `bg${round}-${e.userId}`, session_id: `bg${round}-${e.sessionId}`, item_id: e.itemId,
            action: e.action, quantity: e.quantity, price: e.price, currency: 'EUR', rating: e.rating, ts_ms: now,
          }),
        });
      }
      this.inFlight = this.producer
        .send({ topic: this.topic, acks: -1, messages })
        .then(() => void (this.acked += messages.length))
        .catch(() => void (this.failed += messages.length))
        .finally(() => (this.sending = false));
    }, this.tickMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
    this.stoppedAt = Date.now();
  }

  /** Events handed to the producer so far. */
  get handed(): number {
    return this.next;
  }

  get achievedRate(): number {
    return this.acked / ((this.stoppedAt - this.startedAt) / 1000);
  }
}

async function main(): Promise<void> {
  const rate = arg('rate', 5000);
  const loadedProbes = arg('probes', 300);
  const idleProbes = arg('idle-probes', 60);
  const pollMs = arg('poll-ms', 10);
  const warmupS = arg('warmup-s', 5);
  const outAt = process.argv.indexOf('--out');
  const outPath = outAt > 0 ? path.resolve(process.argv[outAt + 1]) : undefined;
  const probeTimeoutMs = 30_000;
  const progress = new BenchProgress('bench-freshness');
  progress.phase('set up (synthetic shop, topics, scratch database)');

  const shop = generateSyntheticShop({ seed: 42, items: 2000, users: 4000 });
  const background = shop.events.filter((e) => e.itemId && e.userId);
  const byLeaf = new Map<string, ShopItem[]>();
  for (const i of shop.items) if (i.inStock) byLeaf.set(i.categoryPath[1], [...(byLeaf.get(i.categoryPath[1]) ?? []), i]);
  const leaves = [...byLeaf.keys()].filter((l) => byLeaf.get(l)!.length >= 3);

  // A broker that with-infra.sh has only just started may not host the new topics yet (UNKNOWN_TOPIC_OR_PARTITION): retry.
  let scenario: IngestScenario | undefined;
  for (let attempt = 1; !scenario; attempt++) {
    scenario = await IngestScenario.create().catch(async (error) => {
      if (attempt >= 3) throw error;
      console.warn(`scenario setup failed (${String(error)}); retrying`);
      await sleep(5000);
      return undefined;
    });
  }
  let stack: RecommendationStack | undefined;
  let producer: Producer | undefined;
  let load: BackgroundLoad | undefined;
  try {
    progress.phase('publish the catalog, start ingest, feature-builder, scorer, gateway');
    const now = Date.now();
    const marker = { item_id: 'bench-marker-item', title: 'Bench Marker Case 1', category_path: ['Electronics', 'Phone Cases'], brand: 'Bench', price: 9.5, in_stock: true };
    await publishCatalog(scenario, shop.items, [marker], now - 60_000);

    const t0 = Date.now();
    stack = await startRecommendationStack(scenario);
    const startupSeconds = (Date.now() - t0) / 1000;
    const call = stack.call;

    // The catalog is loaded once the marker item (not in the model) is answerable.
    const catalogDeadline = Date.now() + 120_000;
    while (!((await call('similarItems', { itemId: marker.item_id, k: 10 }).catch(() => undefined))?.items.length)) {
      if (Date.now() > catalogDeadline) throw new Error('scorer catalog not loaded in 120 s');
      await sleep(250);
    }
    const catalogSeconds = (Date.now() - t0) / 1000;
    await sleep(2000); // one more catalog refresh, so the rest of the upserts are in too

    producer = scenario.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const probeProducer = producer;
    let probeNo = 0;
    const runId = Date.now().toString(36);
    const probe = async (phase: string): Promise<number | null> => {
      const n = probeNo++;
      const user = `fresh-${runId}-${phase}-${n}`;
      const items = byLeaf.get(leaves[n % leaves.length])!.slice(0, 3);
      await call('recommend', { userId: user, k: 10 }).catch(() => undefined); // the cold answer, as a storefront would have shown
      const sent = Date.now();
      await probeProducer.send({
        topic: scenario.topics.clickstreamRaw,
        acks: -1,
        messages: items.map((it, i) => ({
          key: user,
          value: JSON.stringify({ event_id: `${user}-view-${i}`, user_id: user, session_id: `${user}-s1`, item_id: it.itemId, action: 'view', ts_ms: sent + i }),
        })),
      });
      for (;;) {
        const a = await call('recommend', { userId: user, k: 10 }).catch(() => undefined);
        if (a?.items.some((i) => i.reasonCode === 'REASON_CODE_SEQUENCE')) return Date.now() - sent;
        if (Date.now() - sent > probeTimeoutMs) return null;
        await sleep(pollMs);
      }
    };

    // Baseline: no background load.
    progress.phase(`${idleProbes} probes without load`);
    const idle: number[] = [];
    let idleTimeouts = 0;
    for (let i = 0; i < idleProbes; i++) {
      progress.step(i, idleProbes, 'probes');
      const l = await probe('idle');
      if (l === null) idleTimeouts++;
      else idle.push(l);
      await sleep(100);
    }
    console.info(`idle: ${JSON.stringify(latencySummary(idle))}`);

    // Under load: other users' clickstream at `rate` events/s for the whole measurement.
    progress.phase(`${loadedProbes} probes under ${rate} events/s (after ${warmupS} s warm-up)`);
    const storedBefore = await scenario.storedCount();
    load = new BackgroundLoad(producer, scenario.topics.clickstreamRaw, background, rate);
    load.start();
    await sleep(warmupS * 1000);
    const pids = Object.fromEntries(scenario.services.map((s) => [s.name, s.pid]));
    const cpu = new CpuMeter({ ...pids, mariadb: infraPid('mariadb'), kafka: infraPid('kafka'), 'bench (producer + probes)': process.pid });
    const appliedBefore = await appliedCount(scenario);
    const handedBefore = load.handed;
    const loaded: number[] = [];
    let loadedTimeouts = 0;
    const loadedStart = Date.now();
    for (let i = 0; i < loadedProbes; i++) {
      progress.step(i, loadedProbes, 'probes');
      const l = await probe('loaded');
      if (l === null) loadedTimeouts++;
      else loaded.push(l);
      await sleep(100);
    }
    const measuredSeconds = (Date.now() - loadedStart) / 1000;
    const cpuSeconds = cpu.stop();
    const appliedDuring = (await appliedCount(scenario)) - appliedBefore;
    const sentDuring = load.handed - handedBefore;
    await load.stop();
    const producedBackground = load.acked;
    // Did the pipeline keep up? Events of the whole run stored by ingest vs produced, right at the end and 10 s later.
    progress.phase('check ingest kept up (10 s)');
    const probeEvents = 3 * (idleProbes + loadedProbes);
    const storedAtStop = (await scenario.storedCount()) - storedBefore - 3 * loadedProbes;
    await sleep(10_000);
    const storedAfter10s = (await scenario.storedCount()) - storedBefore - 3 * loadedProbes;

    const idleS = latencySummary(idle);
    const loadedS = latencySummary(loaded);
    const report = {
      benchmark: 'freshness',
      created_at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, memory_gib: Math.round(os.totalmem() / 2 ** 30), node: process.version, load_average_at_end: os.loadavg().map((x) => Number(x.toFixed(2))) },
      setup: {
        services: 'ingest, feature-builder, scorer, gateway: one OS process each (as test/e2e/recommend-e2e.spec.ts)',
        broker: 'Kafka 3.9 KRaft single node (tools/infra)', store: 'MariaDB (tools/infra)',
        model: 'tools/model/demo-model (CPU)', catalog: 'synthetic shop seed 42, 2000 items', scorer_catalog_refresh_seconds: 1,
        probe: '3 JSON views of in-stock items of one leaf category for a fresh user, one acks=-1 send; latency = send start -> first Recommend(k=10) answer with an item whose reasonCode is REASON_CODE_SEQUENCE',
        poll_interval_ms: pollMs, probe_timeout_ms: probeTimeoutMs, probes_idle: idleProbes, probes_loaded: loadedProbes,
        background: `synthetic-shop clickstream (seed 42, 4000 users, all actions) from other users, JSON on the raw clickstream topic, acks=-1, target ${rate} events/s in ${50} ms ticks, started ${warmupS} s before the loaded probes and stopped after them`,
        client: 'producer, background load and gRPC poller share this one Node process',
        startup_seconds: startupSeconds, catalog_loaded_after_seconds: catalogSeconds,
      },
      background_load: {
        target_events_per_second: rate,
        achieved_events_per_second: Math.round(load.achievedRate),
        events_acked: producedBackground,
        events_failed: load.failed,
        ticks_skipped_while_a_send_was_in_flight: load.skippedTicks,
        seconds: (load.stoppedAt - load.startedAt) / 1000,
        ingest_stored_at_stop: storedAtStop,
        ingest_stored_10s_after_stop: storedAfter10s,
      },
      freshness_ms: {
        idle: { ...idleS, timeouts: idleTimeouts },
        loaded: { ...loadedS, timeouts: loadedTimeouts, measured_seconds: measuredSeconds },
      },
      loaded_phase_cpu: {
        seconds: measuredSeconds,
        cpu_seconds: cpuSeconds,
        // Machine CPU each process spent per background event while the probes ran: the capacity model's figures.
        cpu_microseconds_per_event: Object.fromEntries(Object.entries(cpuSeconds).map(([n, c]) => [n, c === null || sentDuring === 0 ? null : Number(((c * 1e6) / sentDuring).toFixed(1))])),
        background_events_sent: sentDuring,
        feature_builder_applied_events_per_second: Math.round(appliedDuring / measuredSeconds),
      },
      ratio: { loaded_p99_over_idle_p99: idleS && loadedS ? Number((loadedS.p99 / idleS.p99).toFixed(3)) : null, loaded_p50_over_idle_p50: idleS && loadedS ? Number((loadedS.p50 / idleS.p50).toFixed(3)) : null },
      raw_ms: { idle, loaded },
      notes: `Percentiles are nearest-rank over ${idle.length} idle and ${loaded.length} loaded probes, so p99 is close to the max. Latency includes the produce round trip (acks=-1), ingest (validate, MariaDB, forward), feature-builder, the scorer and gateway, and up to one poll interval. ${probeEvents} probe events in all. The machine is shared with other work while this runs.`,
    };
    const out = outPath ?? path.join(ROOT, 'reports/bench-freshness.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
    console.log(JSON.stringify({ ...report, raw_ms: undefined }, null, 2));
    progress.phase('clean up');
  } finally {
    await load?.stop().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    stack?.close();
    await scenario.close();
    progress.done();
  }
}

/** Events the feature-builder has applied (its dedup table holds one row per applied event_id). */
async function appliedCount(scenario: IngestScenario): Promise<number> {
  const [row] = await scenario.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM feature_applied_events');
  return Number(row.n);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
