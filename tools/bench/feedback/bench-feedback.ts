/**
 * Feedback (attribution) benchmark on the real stack (tools/infra/up.sh), with
 * the feedback service as its own OS process on a scenario's topics and
 * database, the way test/feedback/attribution.spec.ts runs it.
 *
 * 1. Throughput: a backlog of served lists and actions (clicks, carts and
 *    purchases with the rec_id of those lists, and view-through purchases
 *    without one) on the two topics it reads. A bare kafkajs consumer reads
 *    both topics (no processing) as the ceiling, then the service applies the
 *    backlog; records/s and attributed actions/s, and the ratio, in one run.
 * 2. Lag under load: with the service caught up, a steady stream of actions at
 *    the freshness bench's clickstream rate (and its served lists) for a fixed
 *    time; attribution lag (attributed_at_ms - ts_ms of each attributed action)
 *    p50/p99, with the service's own lag histogram as a cross-check.
 *
 * Writes reports/bench-feedback.json.
 * Usage: npm run bench:feedback [-- --lists 20000 --actions 80000 --rate 500,1500 --seconds 60 --batch 500]
 *        npm run bench:feedback -- --short   (about a minute: 2,000 lists, 8,000 actions, 15 s at 500/s)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Action, ServedSurfaces, topicDeclarations, TopicNames } from '@recmesh/contracts';
import { latencySummary, mulberry32 } from '@recmesh/numerics';
import { Kafka, Producer } from 'kafkajs';
/* eslint-disable @nx/enforce-module-boundaries -- this bench runs the real stack through the integration-test harness (test/, type:test), which is no library and has no import alias */
import { ActionSpec, actionRecord, ListSpec, metricValue, seedPopularity, servedRecord } from '../../../test/feedback/feedback-fixtures';
import { IngestScenario } from '../../../test/ingest/ingest-scenario';
import { uniqueSuffix } from '../../../test/support/infra-env';
import { produce } from '../../../test/support/kafka-io';
import { ServiceProcess } from '../../../test/support/service-process';
/* eslint-enable @nx/enforce-module-boundaries */
import { BenchProgress } from '../progress';

const ROOT = path.resolve(__dirname, '../../..');
const SHORT = process.argv.includes('--short');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function listArg(name: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1].split(',').map(Number) : fallback;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loadAverage = () => os.loadavg().map((x) => Number(x.toFixed(2)));

/** Shares of the actions; the rest (10%) are view-through purchases (no rec_id, matched by user and item). */
const MIX = { click: 0.55, addToCart: 0.2, purchase: 0.15 } as const;

/**
 * Served lists and the actions that follow them, drawn from one seed. Action
 * `k` of a list is on its k-th item, so a click or a cart is never a repeat of
 * the same shown item and every action is attributed exactly once: the
 * number applied is known in advance.
 */
class Workload {
  private readonly rand: () => number;
  readonly kinds = { click: 0, add_to_cart: 0, purchase: 0, view_through_purchase: 0 };

  constructor(
    private readonly label: string,
    private readonly catalog: readonly string[],
    private readonly itemsPerList: number,
    private readonly users: number,
    seed: number,
  ) {
    this.rand = mulberry32(seed);
  }

  list(i: number, tsMs: number): ListSpec {
    const shown = new Set<string>();
    while (shown.size < this.itemsPerList) shown.add(this.catalog[Math.floor(this.rand() ** 2 * this.catalog.length)]);
    return {
      recId: `${this.label}-rec-${i}`, userId: `${this.label}-u${i % this.users}`, surface: ServedSurfaces[i % ServedSurfaces.length],
      model: 'bench-model', arm: i % 2 === 0 ? 'A' : 'B', items: [...shown], tsMs,
    };
  }

  action(j: number, list: ListSpec, k: number, tsMs: number): ActionSpec {
    const r = this.rand();
    const base = { eventId: `${this.label}-ev-${j}`, userId: list.userId, itemId: list.items[k], tsMs };
    const priced = { quantity: 1 + (j % 3), price: 9.99 + (j % 50) };
    if (r < MIX.click) {
      this.kinds.click++;
      return { ...base, action: Action.CLICK, recId: list.recId };
    }
    if (r < MIX.click + MIX.addToCart) {
      this.kinds.add_to_cart++;
      return { ...base, action: Action.ADD_TO_CART, recId: list.recId };
    }
    if (r < MIX.click + MIX.addToCart + MIX.purchase) {
      this.kinds.purchase++;
      return { ...base, action: Action.PURCHASE, recId: list.recId, ...priced };
    }
    this.kinds.view_through_purchase++;
    return { ...base, action: Action.PURCHASE, ...priced };
  }
}

/** When the broker first reports the consumer group Stable with members (polled every 50 ms). */
async function waitGroupStable(kafka: Kafka, groupId: string, timeoutMs: number): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { groups } = await admin.describeGroups([groupId]);
      if (groups[0]?.state === 'Stable' && groups[0].members.length > 0) return Date.now();
      if (Date.now() > deadline) throw new Error(`consumer group ${groupId} not stable after ${timeoutMs} ms`);
      await sleep(50);
    }
  } finally {
    await admin.disconnect();
  }
}

/** Ceiling: a bare kafkajs consumer group reading both topics from the beginning, no decoding, no processing. */
async function rawConsume(kafka: Kafka, topics: string[], expected: number): Promise<{ records: number; seconds: number; secondsWithJoin: number }> {
  const consumer = kafka.consumer({ groupId: `bench-raw-${uniqueSuffix()}`, maxBytesPerPartition: 4 * 1024 * 1024 }); // as the service's consumer (libs/messaging)
  let records = 0;
  let joinedAt = 0;
  let lastAt = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  consumer.on(consumer.events.GROUP_JOIN, () => (joinedAt = Date.now()));
  const started = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        records += batch.messages.length;
        lastAt = Date.now();
        if (records >= expected) resolveDone();
      },
    });
    const timer = setTimeout(resolveDone, 300_000);
    await done;
    clearTimeout(timer);
    if (records < expected) throw new Error(`kafkajs read only ${records} of ${expected} records in 5 minutes`);
    return { records, seconds: (lastAt - joinedAt) / 1000, secondsWithJoin: (lastAt - started) / 1000 };
  } finally {
    await consumer.disconnect();
  }
}

/** What the service's /metrics says it has applied, for polling. */
async function metricsPage(service: ServiceProcess): Promise<string> {
  return (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
}

function applied(page: string): { lists: number; attributed: number; viewThrough: number; actions: number } {
  const attributed = metricValue(page, 'recmesh_feedback_actions_total', { outcome: 'attributed' });
  const viewThrough = metricValue(page, 'recmesh_feedback_actions_total', { outcome: 'view_through' });
  return { lists: metricValue(page, 'recmesh_feedback_served_lists_total', { outcome: 'stored' }), attributed, viewThrough, actions: attributed + viewThrough };
}

const OUTCOMES = ['attributed', 'view_through', 'repeat', 'not_in_list', 'outside_window', 'expired', 'duplicate', 'ignored', 'invalid'] as const;
const LAG_BUCKETS = ['0.1', '0.5', '1', '2', '5', '10', '30', '60', '300', '900', '3600', '21600', '86400', '+Inf'] as const;

/** Counters of one page minus those of an earlier one: what happened in between. */
function histogramDelta(before: string, after: string) {
  const d = (name: string, labels: Record<string, string> = {}) => metricValue(after, name, labels) - metricValue(before, name, labels);
  const lagCumulative = LAG_BUCKETS.map((le) => d('recmesh_feedback_attribution_lag_seconds_bucket', { le }));
  const total = lagCumulative[lagCumulative.length - 1];
  // The upper bound of the bucket holding the p-th percentile ("+Inf" past the last bound).
  const bound = (p: number) => {
    const le = total === 0 ? undefined : LAG_BUCKETS[lagCumulative.findIndex((c) => c >= (p / 100) * total)];
    return le === undefined ? null : le === '+Inf' ? le : Number(le);
  };
  const batchMs = (topic: string) => {
    const n = d('recmesh_feedback_batch_seconds_count', { topic });
    return n === 0 ? null : { batches: n, mean_ms: Number(((d('recmesh_feedback_batch_seconds_sum', { topic }) / n) * 1000).toFixed(1)) };
  };
  return {
    lag_histogram: { observations: total, p50_at_most_seconds: bound(50), p99_at_most_seconds: bound(99) },
    batches: { served: batchMs('served'), clickstream: batchMs('clickstream') },
    outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, d('recmesh_feedback_actions_total', { outcome: o })])),
  };
}

/**
 * A steady stream: `rate` actions/s on the normalized clickstream and their
 * lists (one per `perList` actions) on the served topic, the lists `leadS`
 * ahead of their actions (a shopper acts on a list already shown). ts_ms is
 * the send time. A tick whose send is still in flight is skipped and the next
 * one catches up.
 */
class FeedbackStream {
  private timer?: NodeJS.Timeout;
  private inFlight: Promise<void> = Promise.resolve();
  private sending = false;
  private readonly lists: ListSpec[] = [];
  private actionsBuilt = 0;
  private resolveFinished!: () => void;
  readonly finished = new Promise<void>((r) => (this.resolveFinished = r));
  readonly totalActions: number;
  readonly totalLists: number;
  ackedActions = 0;
  ackedLists = 0;
  failed = 0;
  skippedTicks = 0;
  startedAt = 0;
  stoppedAt = 0;

  constructor(
    private readonly producer: Producer,
    private readonly topics: TopicNames,
    private readonly workload: Workload,
    private readonly rate: number,
    seconds: number,
    private readonly perList: number,
    private readonly leadS = 2,
    private readonly tickMs = 50,
  ) {
    this.totalActions = Math.round(rate * seconds);
    this.totalLists = Math.ceil(this.totalActions / perList);
  }

  start(): void {
    this.startedAt = Date.now();
    this.timer = setInterval(() => this.tick(), this.tickMs);
  }

  private tick(): void {
    if (this.sending) {
      this.skippedTicks++;
      return;
    }
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const listsDue = Math.min(this.totalLists, Math.ceil(((elapsed + this.leadS) * this.rate) / this.perList));
    const actionsDue = Math.min(this.totalActions, Math.floor(elapsed * this.rate));
    const now = Date.now();
    const served = [];
    while (this.lists.length < listsDue) {
      const l = this.workload.list(this.lists.length, now);
      this.lists.push(l);
      served.push(servedRecord(l));
    }
    const actions = [];
    for (; this.actionsBuilt < actionsDue; this.actionsBuilt++) {
      const j = this.actionsBuilt;
      actions.push(actionRecord(this.workload.action(j, this.lists[Math.floor(j / this.perList)], j % this.perList, now)));
    }
    const last = this.actionsBuilt === this.totalActions && this.lists.length === this.totalLists;
    if (served.length === 0 && actions.length === 0) {
      if (last) this.stop();
      return;
    }
    this.sending = true;
    const topicMessages = [
      ...(served.length > 0 ? [{ topic: this.topics.recommendationsServed, messages: served }] : []),
      ...(actions.length > 0 ? [{ topic: this.topics.clickstreamNormalized, messages: actions }] : []),
    ];
    this.inFlight = this.producer
      .sendBatch({ acks: -1, topicMessages })
      .then(() => {
        this.ackedLists += served.length;
        this.ackedActions += actions.length;
      })
      .catch(() => void (this.failed += served.length + actions.length))
      .finally(() => {
        this.sending = false;
        if (last) this.stop();
      });
  }

  private stop(): void {
    if (this.stoppedAt > 0) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stoppedAt = Date.now();
    this.resolveFinished();
  }

  async abort(): Promise<void> {
    this.stop();
    await this.inFlight;
  }

  get achievedActionsPerSecond(): number {
    return this.ackedActions / ((this.stoppedAt - this.startedAt) / 1000);
  }
}

async function main(): Promise<void> {
  const lists = arg('lists', SHORT ? 2000 : 20_000);
  const actions = arg('actions', SHORT ? 8000 : 80_000);
  const itemsPerList = arg('items', 10);
  // 500 clickstream events/s is bench-freshness's background load (its --rate default); 1,500/s is three times it.
  const rates = listArg('rate', SHORT ? [500] : [500, 1500]);
  const seconds = arg('seconds', SHORT ? 15 : 60);
  const batch = arg('batch', 500);
  const catalogSize = arg('catalog', 5000);
  if (actions > lists * itemsPerList) throw new Error(`at most ${itemsPerList} actions per list (--actions <= --lists x --items)`);
  const perList = Math.max(1, Math.min(itemsPerList, Math.round(actions / lists)));
  const loadAtStart = loadAverage();
  const progress = new BenchProgress('bench-feedback');
  progress.phase('set up (topics, scratch database)');

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
  const { kafka, topics, db } = scenario;
  let producer: Producer | undefined;
  let stream: FeedbackStream | undefined;
  try {
    const catalog = Array.from({ length: catalogSize }, (_, i) => `sku-${String(i).padStart(5, '0')}`);
    // Popularity for the catalog, most popular first, as feature-builder keeps it: the long-tail flag has a head to test against.
    await seedPopularity(db.url, catalog, Date.now());

    // 1. Throughput: the backlog, its ceiling, then the service.
    const t0 = Date.now();
    const backlog = new Workload('tp', catalog, itemsPerList, Math.max(1, Math.floor(lists / 5)), 7);
    const backlogLists = Array.from({ length: lists }, (_, i) => backlog.list(i, t0 - 60 * 60_000 + Math.floor((i * 60 * 60_000) / lists)));
    // Action j is on list j mod N, item floor(j / N): every list gets its first action before any gets a second.
    const backlogActions = Array.from({ length: actions }, (_, j) => {
      const l = backlogLists[j % lists];
      const k = Math.floor(j / lists);
      return backlog.action(j, l, k, l.tsMs + 1000 * (k + 1));
    });
    const records = lists + actions;
    progress.phase(`produce the backlog (${lists} lists, ${actions} actions)`);
    const produceStart = Date.now();
    await produce(kafka, topics.recommendationsServed, backlogLists.map(servedRecord));
    await produce(kafka, topics.clickstreamNormalized, backlogActions.map(actionRecord));
    const produceSeconds = (Date.now() - produceStart) / 1000;
    console.info(`backlog: ${lists} lists, ${actions} actions produced in ${produceSeconds} s`);

    // The whole backlog is read in well under a second: the median of three reads (fresh groups) is the ceiling.
    progress.phase('ceiling: kafkajs raw consume (3 reads)');
    const raws = [];
    for (let r = 0; r < 3; r++) raws.push(await rawConsume(kafka, [topics.recommendationsServed, topics.clickstreamNormalized], records));
    const raw = [...raws].sort((a, b) => a.seconds - b.seconds)[1];
    const rawRate = raw.records / raw.seconds;
    console.info(`kafkajs raw consume: ${Math.round(rawRate)} records/s`);

    progress.phase('feedback service: start and attribute the backlog');
    const groupId = `bench-feedback-${uniqueSuffix()}`;
    const spawnedAt = Date.now();
    const stableAt = waitGroupStable(kafka, groupId, 120_000);
    const feedback = await scenario.startService('feedback', 'FEEDBACK_PORT', {
      FEEDBACK_GROUP_ID: groupId, FEEDBACK_MAX_BATCH: String(batch), EXPERIMENTS_GRPC_PORT: '0', LOG_LEVEL: 'warn',
    });
    const readyAt = Date.now();
    const groupStableObservedAt = await stableAt;
    let page = '';
    for (;;) {
      page = await metricsPage(feedback);
      const a = applied(page);
      progress.step(a.lists + a.actions, lists + actions, 'records');
      if (a.lists >= lists && a.actions >= actions) break;
      if (Date.now() - groupStableObservedAt > 900_000) throw new Error(`only ${a.lists} lists and ${a.actions} actions applied after 15 minutes`);
      await sleep(100);
    }
    const doneAt = Date.now();
    const count = async (sql: string) => Number((await db.query<{ n: number }>(sql))[0].n);
    const stored = {
      served_lists: await count('SELECT COUNT(*) AS n FROM feedback_served_lists'),
      applied_events: await count('SELECT COUNT(*) AS n FROM feedback_applied_events'),
      attributed_actions: await count('SELECT COUNT(*) AS n FROM feedback_attributed_actions'),
      pending_actions: await count('SELECT COUNT(*) AS n FROM feedback_pending_actions'),
    };
    if (stored.served_lists !== lists || stored.attributed_actions !== actions || stored.pending_actions !== 0) {
      throw new Error(`backlog not applied exactly: ${JSON.stringify(stored)}`);
    }
    const firstBatchAt = await count('SELECT LEAST((SELECT MIN(received_at_ms) FROM feedback_served_lists), (SELECT MIN(applied_at_ms) FROM feedback_applied_events)) AS n');
    // The poll can see Stable only after the first batch began: the earlier of the two starts the clock.
    const groupStableAt = Math.min(groupStableObservedAt, firstBatchAt);
    const serviceSeconds = (doneAt - groupStableAt) / 1000;
    const serviceRate = records / serviceSeconds;
    const afterBacklog = applied(page);
    console.info(`feedback service: ${Math.round(serviceRate)} records/s (${(serviceRate / rawRate).toFixed(3)} of raw)`);

    // 2. Lag under load, one step per rate, the service caught up before each.
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const steps = [];
    for (const [step, rate] of rates.entries()) {
      const label = `lag${rate}`;
      progress.phase(`attribution lag at ${rate} events/s for ${seconds} s`);
      const stepLists = Math.ceil((rate * seconds) / perList);
      const workload = new Workload(label, catalog, itemsPerList, Math.max(1, Math.floor(stepLists / 5)), 100 + step);
      const before = await metricsPage(feedback);
      const appliedBefore = applied(before);
      stream = new FeedbackStream(producer, topics, workload, rate, seconds, perList);
      const loadBefore = loadAverage();
      stream.start();
      await stream.finished;
      await stream.abort();
      if (stream.failed > 0) throw new Error(`${stream.failed} records not acknowledged by the broker`);
      const sent = { lists: stream.ackedLists, actions: stream.ackedActions };
      // Attributed at stop, then how long until the rest.
      const atStop = applied(await metricsPage(feedback));
      let after = '';
      for (;;) {
        after = await metricsPage(feedback);
        const a = applied(after);
        if (a.lists - appliedBefore.lists >= sent.lists && a.actions - appliedBefore.actions >= sent.actions) break;
        if (Date.now() - stream.stoppedAt > 300_000) throw new Error(`rate ${rate}: only ${a.actions - appliedBefore.actions} of ${sent.actions} actions applied 5 minutes after the stream stopped`);
        await sleep(100);
      }
      const caughtUpSeconds = (Date.now() - stream.stoppedAt) / 1000;
      const rows = await db.query<{ l: number; vt: number }>('SELECT attributed_at_ms - ts_ms AS l, view_through AS vt FROM feedback_attributed_actions WHERE event_id LIKE ?', [`${label}-ev-%`]);
      const lag = rows.map((r) => Number(r.l));
      const delta = histogramDelta(before, after);
      const streamSeconds = (stream.stoppedAt - stream.startedAt) / 1000;
      steps.push({
        target_actions_per_second: rate,
        achieved_actions_per_second: Math.round(stream.achievedActionsPerSecond),
        served_lists_per_second: Math.round(sent.lists / streamSeconds),
        seconds: streamSeconds,
        sent,
        actions_by_kind: workload.kinds,
        broker_ticks_skipped_while_a_send_was_in_flight: stream.skippedTicks,
        attributed_actions: rows.length,
        backlog_at_stop_actions: sent.actions - (atStop.actions - appliedBefore.actions),
        caught_up_seconds_after_stop: caughtUpSeconds,
        attribution_lag_ms: {
          all: latencySummary(lag),
          rec_id: latencySummary(rows.filter((r) => Number(r.vt) === 0).map((r) => Number(r.l))),
          view_through: latencySummary(rows.filter((r) => Number(r.vt) === 1).map((r) => Number(r.l))),
        },
        service_metrics: delta,
        load_average_before: loadBefore,
        load_average_after: loadAverage(),
      });
      console.info(`rate ${rate}/s: lag ${JSON.stringify(latencySummary(lag))}`);
      stream = undefined;
      await sleep(2000);
    }

    const report = {
      benchmark: 'feedback',
      created_at: new Date().toISOString(),
      command: `npm run bench:feedback -- ${process.argv.slice(2).join(' ')}`.trim(),
      machine: {
        cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, memory_gib: Math.round(os.totalmem() / 2 ** 30), node: process.version,
        load_average_at_start: loadAtStart, load_average_at_end: loadAverage(),
      },
      setup: {
        service: 'apps/feedback as one OS process (as test/feedback/attribution.spec.ts), default config but FEEDBACK_MAX_BATCH and LOG_LEVEL=warn',
        feedback_max_batch: batch,
        topics: 'recmesh.recommendations.served.v1 and recmesh.clickstream.normalized.v1, 6 partitions each, binary protobuf',
        broker: 'Kafka 3.9 KRaft single node (tools/infra)', store: 'MariaDB (tools/infra)',
        catalog_items: catalogSize, items_per_list: itemsPerList,
        action_mix: { click: MIX.click, add_to_cart: MIX.addToCart, purchase_with_rec_id: MIX.purchase, view_through_purchase: Number((1 - MIX.click - MIX.addToCart - MIX.purchase).toFixed(2)) },
        client: 'producer, raw consumer and pollers share this one Node process; the service runs beside it on the same machine',
      },
      throughput: {
        backlog: { served_lists: lists, actions, records, actions_by_kind: backlog.kinds, produce_seconds: produceSeconds },
        ceiling: {
          kafkajs_raw_consume_records_per_second: Math.round(rawRate),
          seconds: raw.seconds,
          seconds_including_connect_and_join: raw.secondsWithJoin,
          reads_records_per_second: raws.map((r) => Math.round(r.records / r.seconds)),
        },
        service: {
          records_per_second: Math.round(serviceRate),
          attributed_actions_per_second: Math.round(actions / serviceSeconds),
          served_lists_per_second: Math.round(lists / serviceSeconds),
          seconds: serviceSeconds,
          group_stable_to_first_batch_seconds: (firstBatchAt - groupStableAt) / 1000,
          spawn_to_ready_seconds: (readyAt - spawnedAt) / 1000,
          spawn_to_group_stable_seconds: (groupStableAt - spawnedAt) / 1000,
          applied: { ...stored, attributed_by_rec_id: afterBacklog.attributed, view_through: afterBacklog.viewThrough },
        },
        ratio: {
          service_records_vs_kafkajs_raw_consume: Number((serviceRate / rawRate).toFixed(4)),
          attributed_actions_vs_kafkajs_raw_consume: Number((actions / serviceSeconds / rawRate).toFixed(4)),
        },
      },
      lag_under_load: steps,
      notes: [
        'Both rates exclude connecting and joining the group. The raw consumer is timed from its GROUP_JOIN event to its last record (the median of three reads, each a new group). The service is timed from its consumer group being Stable (the broker polled every 50 ms, or the first batch if that began earlier) to the poll of /metrics (every 100 ms) that shows every list stored and every action attributed; the counts are then checked in MariaDB (every list stored, every action attributed once, nothing pending).',
        'The backlog has every list before its actions on their topics, but the two topics are read concurrently, so part of the actions arrive before their list and go through the pending table, as after an outage.',
        `Lag = attributed_at_ms - ts_ms of each attributed action (feedback_attributed_actions), nearest-rank percentiles. ts_ms is the send time (the produce round trip with acks=-1 is inside the lag); attributed_at_ms is the clock when the batch that attributed it began, so the commit of that batch (service_metrics.batches.*.mean_ms) comes on top. The service's recmesh_feedback_attribution_lag_seconds histogram measures the same interval; its bucket bounds are given as a cross-check.`,
        `Under load, each served list goes out 2 s before its ${perList} actions (one per shown item, so no click or cart is a repeat); 10% of the actions are view-through purchases, matched by user and item through the served-items index.`,
        'The machine is shared with other work while this runs; see the load averages.',
      ],
    };
    fs.mkdirSync(path.join(ROOT, 'reports'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'reports/bench-feedback.json'), JSON.stringify(report, null, 2) + '\n');
    console.log(JSON.stringify(report, null, 2));
    progress.phase('clean up');
  } finally {
    await stream?.abort().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await scenario.close();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: topicDeclarations(topics).map((t) => t.name) }).catch(() => undefined);
    await admin.disconnect();
    progress.done();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
