import { Action, resolveTopicNames, topicDeclarations, TopicNames } from '@recmesh/contracts';
import { Kafka, logLevel } from 'kafkajs';
import { ActionSpec, BucketRow, bucketMap, expectedBuckets, ListSpec } from '../feedback/feedback-fixtures';
import { infraEnv, uniqueSuffix } from './infra-env';
import { PrivateKafka } from './private-kafka';
import { PrivateMariaDb } from './private-mariadb';
import { ScratchDatabase } from './scratch-database';
import { freePort, ServiceProcess } from './service-process';
import { impliedFeatures, SteadyClickstream } from './steady-clickstream';
import { until } from './until';

export type PipelineApp = 'ingest' | 'feature-builder' | 'feedback';

const PORT_VARIABLE: Record<PipelineApp, string> = { ingest: 'INGEST_PORT', 'feature-builder': 'FEATURE_BUILDER_PORT', feedback: 'FEEDBACK_PORT' };
/** The table that grows while each app does its work. */
const PROGRESS_TABLE: Record<PipelineApp, string> = { ingest: 'clickstream_events', 'feature-builder': 'feature_applied_events', feedback: 'feedback_applied_events' };
const SKEW_MS = 5 * 60_000;
/** model_version of the stream's served lists. */
const FAULT_MODEL = 'fault-model';

export interface FaultPipelineOptions {
  readonly apps: readonly PipelineApp[];
  /** Events per second of the steady clickstream. */
  readonly rate: number;
  /** A MariaDB / broker of the pipeline's own, for faults that stop them. */
  readonly privateMariaDb?: boolean;
  readonly privateBroker?: boolean;
}

/** One fault as measured: what was in flight, how long the dependency was away, how soon the work resumed. */
export interface FaultRecord {
  readonly scenario: string;
  /** Acknowledged events not yet applied by the last stage at the moment of the fault. */
  readonly inFlight: number;
  /** From the fault to the start of bringing it back. */
  readonly awayMs: number;
  /** Bringing it back: the dependency's start command, or a killed process's start until it is ready (for a consumer that includes the group's session timeout). */
  readonly bringBackMs: number;
  /** From the end of bringing it back to every stage making progress (or `recovered`). */
  readonly resumedMs: number;
  /** Every service said not ready, naming the missing dependency, while it was away (undefined: not checked, e.g. the process itself was killed). */
  readonly saidNotReady?: boolean;
}

export interface FaultSteps {
  readonly takeAway: () => Promise<void>;
  readonly bringBack: () => Promise<void>;
  /** Every service must say not ready on this check while the dependency is away. */
  readonly notReadyOn?: 'store' | 'bus';
  readonly minAwayMs: number;
  /** Recovered from `since` on (default: every pipeline stage made progress). */
  readonly recovered?: (since: number) => boolean | Promise<boolean>;
}

export interface Tallies {
  sequenceLengths: Record<string, number>;
  popularity: Record<string, number>;
  pairs: Record<string, number>;
}

export interface PipelineOutcome {
  readonly acknowledged: number;
  readonly unacknowledged: number;
  readonly stored: number;
  /** Acknowledged records whose effect is missing: events not stored or not applied to the features, served lists not stored, clicks not attributed. */
  readonly lost: number;
  /** The losses by table, for the report. */
  readonly lostBy: Record<string, number>;
  /** Effects applied more than once: sequence steps, popularity interactions, pair counts and metric bucket counts over what the stored records imply. */
  readonly duplicates: number;
  /** The duplicates by where they showed (table or bucket column), for the report. */
  readonly duplicatesBy: Record<string, number>;
  readonly expected: Tallies;
  readonly actual: Tallies;
  /** With feedback: metric buckets (tail_clicks left out: the popularity head moves with the stream). */
  readonly expectedBuckets?: Record<string, Record<string, number>>;
  readonly actualBuckets?: Record<string, Record<string, number>>;
  /** With feedback: stored clicks that carry a rec_id, and how many were attributed. */
  readonly clicks?: number;
  readonly attributed?: number;
}

/**
 * Ingest, feature-builder and optionally feedback as separate processes under a steady clickstream
 * (test/support/steady-clickstream.ts), on the shared broker and MariaDB or on private ones that a
 * fault may stop or kill. Used by test/faults/* and by `npm run bench:faults`.
 */
export class FaultPipeline {
  /** Every process by app name: the pipeline's, and any started with startService (scorer, bundler, gateway). */
  readonly services = new Map<string, ServiceProcess>();
  private readonly env: Record<string, string>;

  private constructor(
    readonly options: FaultPipelineOptions,
    readonly kafka: Kafka,
    readonly topics: TopicNames,
    readonly db: ScratchDatabase,
    readonly stream: SteadyClickstream,
    readonly mariadb: PrivateMariaDb | undefined,
    readonly broker: PrivateKafka | undefined,
    brokers: string[],
    suffix: string,
  ) {
    this.env = {
      RECMESH_PROFILE: 'kafka-mysql', KAFKA_BROKERS: brokers.join(','), MYSQL_URL: db.url, RECMESH_TOPIC_PREFIX: `fault-${suffix}.`, LOG_LEVEL: 'warn',
      INGEST_GROUP_ID: `ingest-${suffix}`, FEATURE_GROUP_ID: `features-${suffix}`, FEEDBACK_GROUP_ID: `feedback-${suffix}`,
      // Sequences long enough to hold every event of a user: each must hold exactly the stored ones.
      FEATURE_SEQUENCE_LENGTH: '1000',
      FEEDBACK_ATTRIBUTION_WINDOW_MINUTES: '60', FEEDBACK_CLOCK_SKEW_SECONDS: String(SKEW_MS / 1000), FEEDBACK_SWEEP_SECONDS: '1',
    };
  }

  static async start(options: FaultPipelineOptions): Promise<FaultPipeline> {
    const broker = options.privateBroker ? await PrivateKafka.start() : undefined;
    const mariadb = options.privateMariaDb ? await PrivateMariaDb.start().catch(async (error) => {
      await broker?.destroy();
      throw error;
    }) : undefined;
    const brokers = broker?.brokers ?? infraEnv().kafkaBrokers;
    const db = await ScratchDatabase.create(mariadb?.url ?? infraEnv().mysqlUrl);
    const kafka = new Kafka({ brokers, clientId: 'fault-pipeline', logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 } });
    const suffix = uniqueSuffix();
    const topics = resolveTopicNames(`fault-${suffix}.`);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: topicDeclarations(topics).map((t) => ({ topic: t.name, numPartitions: t.partitions })) });
    await admin.disconnect();
    const stream = new SteadyClickstream(kafka, topics.clickstreamRaw, {
      rate: options.rate, users: 150, items: 97, prefix: `ev-${suffix}`, model: FAULT_MODEL, servedTopic: options.apps.includes('feedback') ? topics.recommendationsServed : undefined,
    });
    const pipeline = new FaultPipeline(options, kafka, topics, db, stream, mariadb, broker, brokers, suffix);
    for (const app of options.apps) await pipeline.startApp(app);
    await stream.start();
    return pipeline;
  }

  /** Starts `app` (again, after a kill) and waits until it is ready. */
  async startApp(app: PipelineApp): Promise<ServiceProcess> {
    return this.startService(app, PORT_VARIABLE[app]);
  }

  /** Any recmesh service on the pipeline's topics and database; `app` names it in `services`. */
  async startService(app: string, portVariable: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const port = await freePort();
    const service = ServiceProcess.start(app, port, { ...this.env, ...env, [portVariable]: String(port) });
    this.services.set(app, service);
    await service.waitReady(120_000);
    return service;
  }

  async count(table: string): Promise<number> {
    return Number((await this.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  }

  async readiness(service: ServiceProcess): Promise<{ status: number; body: string }> {
    const res = await fetch(`http://127.0.0.1:${service.port}/ready`).catch(() => undefined);
    return res ? { status: res.status, body: await res.text() } : { status: 0, body: '' };
  }

  /** Every service process still running (none exited by itself). */
  get allAlive(): boolean {
    return [...this.services.values()].every((s) => s.alive);
  }

  private async progress(): Promise<number[]> {
    return Promise.all(this.options.apps.map((app) => this.count(PROGRESS_TABLE[app])));
  }

  /** Waits until every stage has made progress since `before`; gives how long that took. */
  private async resumed(name: string, before: number[], timeoutMs: number): Promise<number> {
    const from = Date.now();
    await until(`${name}: every stage (${this.options.apps.join(', ')}) working again`, async () => ((await this.progress()).every((n, i) => n > before[i]) ? true : undefined), timeoutMs);
    return Date.now() - from;
  }

  /**
   * Runs one fault under the stream: `takeAway`, (optionally) every service not ready on
   * `notReadyOn`, at least `minAwayMs` away, `bringBack`, then every stage working and every
   * service ready again.
   */
  async fault(name: string, steps: FaultSteps): Promise<FaultRecord> {
    const last = this.options.apps.includes('feature-builder') ? 'feature_applied_events' : PROGRESS_TABLE[this.options.apps[this.options.apps.length - 1]];
    await this.resumed(`${name}: steady flow before the fault`, await this.progress(), 60_000);
    const inFlight = Math.max(0, this.stream.acked.size - (await this.count(last)));
    const down = Date.now();
    await steps.takeAway();
    let saidNotReady: boolean | undefined;
    if (steps.notReadyOn) {
      const marker = `"${steps.notReadyOn}":{"ok":false`;
      saidNotReady = await until(`${name}: every service not ready on ${steps.notReadyOn}`, async () => {
        // The pipeline's services; serving ones answer without the bus and may cache what they read from the store.
        const answers = await Promise.all(this.options.apps.map((app) => this.readiness(this.services.get(app)!)));
        return answers.every((a) => a.status === 503 && a.body.includes(marker)) ? true : undefined;
      }, 20_000).catch(() => false);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, steps.minAwayMs - (Date.now() - down))));
    // With the database away the counts cannot be read: then they are read once it answers again.
    const before = steps.notReadyOn === 'store' ? undefined : await this.progress();
    const back = Date.now();
    await steps.bringBack();
    const up = Date.now();
    if (steps.recovered) await until(`${name}: recovered`, async () => ((await steps.recovered!(up)) ? true : undefined), 120_000);
    else await this.resumed(name, before ?? (await this.progress()), 120_000);
    const resumedMs = Date.now() - up;
    await until(`${name}: every service ready again`, async () => ((await Promise.all([...this.services.values()].map((s) => this.readiness(s)))).every((a) => a.status === 200) ? true : undefined), 60_000);
    return { scenario: name, inFlight, awayMs: back - down, bringBackMs: up - back, resumedMs, saidNotReady };
  }

  /** SIGKILL of `app` (no drain, no commit) and a start of a new process, as an orchestrator would. */
  killAndRestart(...apps: PipelineApp[]): FaultSteps {
    return this.killAndRun(apps, async () => void (await Promise.all(apps.map((app) => this.startApp(app)))));
  }

  /** SIGKILL of the processes named `apps` at once, and `restart` to start them again. */
  killAndRun(apps: readonly string[], restart: () => Promise<void>): FaultSteps {
    return {
      takeAway: async () => {
        const victims = apps.map((app) => this.services.get(app)!);
        for (const victim of victims) victim.kill('SIGKILL');
        await Promise.all(victims.map((v) => v.exited));
      },
      bringBack: restart,
      minAwayMs: 0,
    };
  }

  /**
   * Stops the stream, waits until every acknowledged record is stored and applied (or
   * `timeoutMs`), then compares the tables with what the stored records imply — not with a
   * replay of the normalized topic, whose duplicates a replay would repeat.
   */
  async settle(timeoutMs: number): Promise<PipelineOutcome> {
    await this.stream.stop();
    const { stream, db } = this;
    const apps = this.options.apps;
    const ids = async (sql: string) => new Set((await db.query<{ id: string }>(sql)).map((r) => r.id));
    const withFeedback = apps.includes('feedback');
    await until('every acknowledged record stored and applied', async () => {
      const stored = await ids('SELECT event_id AS id FROM clickstream_events');
      if (![...stream.acked].every((id) => stored.has(id))) return undefined;
      if (apps.includes('feature-builder') && (await this.count('feature_applied_events')) < stored.size) return undefined;
      if (withFeedback) {
        const lists = await ids('SELECT rec_id AS id FROM feedback_served_lists');
        if (![...stream.ackedLists].every((id) => lists.has(id))) return undefined;
        const clicks = [...stored].filter((id) => stream.sent.get(id)?.recId).length;
        if ((await this.count('feedback_attributed_actions')) < clicks) return undefined;
      }
      return true;
    }, timeoutMs).catch(() => undefined);

    const stored = await ids('SELECT event_id AS id FROM clickstream_events');
    const storedEvents = [...stored].map((id) => stream.sent.get(id)!).filter(Boolean);
    const expected = impliedFeatures(storedEvents);
    const sequences = await db.query<{ user_id: string; steps: string }>('SELECT user_id, steps FROM user_sequences');
    const popularity = await db.query<{ item_id: string; interactions: number }>('SELECT item_id, interactions FROM item_popularity');
    const pairRows = await db.query<{ item_a: string; item_b: string; session_count: number }>('SELECT item_a, item_b, session_count FROM item_pair_counts');
    const actual = {
      sequenceLengths: Object.fromEntries(sequences.map((r) => [r.user_id, (JSON.parse(r.steps) as unknown[]).length])),
      popularity: Object.fromEntries(popularity.map((r) => [r.item_id, Number(r.interactions)])),
      pairs: Object.fromEntries(pairRows.map((r) => [`${r.item_a}>${r.item_b}`, Number(r.session_count)])),
    };
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    const over = (a: Record<string, number>, e: Record<string, number>) => Math.max(0, sum(a) - sum(e));
    const duplicatesBy: Record<string, number> = apps.includes('feature-builder')
      ? { user_sequences: over(actual.sequenceLengths, expected.sequenceLengths), item_popularity: over(actual.popularity, expected.popularity), item_pair_counts: over(actual.pairs, expected.pairs) }
      : {};
    const lostBy: Record<string, number> = { clickstream_events: [...stream.acked].filter((id) => !stored.has(id)).length };
    if (apps.includes('feature-builder')) lostBy.feature_applied_events = Math.max(0, stored.size - (await this.count('feature_applied_events')));
    const lost = () => Object.values(lostBy).reduce((x, y) => x + y, 0);
    const outcome = { acknowledged: stream.acked.size, unacknowledged: stream.sent.size - stream.acked.size, stored: stored.size, expected, actual };
    const total = () => Object.values(duplicatesBy).reduce((x, y) => x + y, 0);
    if (!withFeedback) return { ...outcome, lost: lost(), lostBy, duplicates: total(), duplicatesBy };

    const storedLists = await ids('SELECT rec_id AS id FROM feedback_served_lists');
    lostBy.feedback_served_lists = [...stream.ackedLists].filter((id) => !storedLists.has(id)).length;
    const lists = [...storedLists].map((id) => stream.sentLists.get(id)!).filter(Boolean) as ListSpec[];
    const clicks: ActionSpec[] = storedEvents.filter((e) => e.recId).map((e) => ({ eventId: e.eventId, userId: e.userId, itemId: e.itemId, action: Action.CLICK, tsMs: e.tsMs, recId: e.recId }));
    const withoutTail = (m: Map<string, Record<string, number>>) => Object.fromEntries([...m].map(([k, { tail_clicks: _tail, ...rest }]) => [k, rest]));
    const expectedBucketTable = withoutTail(expectedBuckets(lists, clicks, new Set(), SKEW_MS));
    // Only the stream's lists: a gateway under test serves (and publishes) lists of its own too.
    const actualBucketTable = withoutTail(bucketMap(await db.query<BucketRow>('SELECT * FROM feedback_metric_buckets WHERE model_version = ?', [FAULT_MODEL])));
    const flat = (t: Record<string, Record<string, number>>) => Object.fromEntries(Object.entries(t).flatMap(([k, r]) => Object.entries(r).map(([c, v]) => [`${k}|${c}`, v])));
    const [e, a] = [flat(expectedBucketTable), flat(actualBucketTable)];
    for (const k of Object.keys(a)) if (a[k] > (e[k] ?? 0)) duplicatesBy[`feedback_metric_buckets.${k.split('|').pop()}`] = (duplicatesBy[`feedback_metric_buckets.${k.split('|').pop()}`] ?? 0) + a[k] - (e[k] ?? 0);
    const attributed = await this.count('feedback_attributed_actions');
    lostBy.feedback_attributed_actions = Math.max(0, clicks.length - attributed);
    return { ...outcome, lost: lost(), lostBy, duplicates: total(), duplicatesBy, expectedBuckets: expectedBucketTable, actualBuckets: actualBucketTable, clicks: clicks.length, attributed };
  }

  async close(): Promise<void> {
    await this.stream.stop();
    await Promise.all([...this.services.values()].map((s) => s.stop()));
    if (this.mariadb) await this.mariadb.destroy();
    else await this.db.drop().catch(() => undefined);
    await this.broker?.destroy();
  }
}

/**
 * The tests' verdict on a settled pipeline: nothing acknowledged lost, nothing applied twice, every
 * table exactly what the acknowledged records imply, every stored click attributed.
 */
export function expectExactOutcome(outcome: PipelineOutcome): void {
  expect({ lost: outcome.lost, duplicates: outcome.duplicates }).toEqual({ lost: 0, duplicates: 0 });
  expect(outcome.actual).toEqual(outcome.expected);
  expect(outcome.actualBuckets).toEqual(outcome.expectedBuckets);
  expect(outcome.attributed).toBe(outcome.clicks);
  expect(outcome.stored).toBeGreaterThanOrEqual(outcome.acknowledged);
}
