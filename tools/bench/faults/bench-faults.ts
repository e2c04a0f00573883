/**
 * Fault benchmark on the real stack: each scenario on a fresh pipeline (ingest, feature-builder,
 * feedback as separate processes; scorer, bundler, gateway and a storefront's calls for the serving
 * ones) under a steady clickstream at the freshness bench's rate, the fault mid-stream, then the
 * tables compared with what the acknowledged records imply (test/support/fault-pipeline.ts, the
 * same code as test/faults/*). The broker and MariaDB scenarios run on private instances (free
 * ports, own data folders); the shared ones are never stopped.
 * Baseline, in the same run: a "fault" that does nothing, i.e. how soon progress is seen anyway.
 * Writes reports/bench-faults.json and reports/faults.md.
 * Usage: npm run bench:faults [-- --rate 500 --away-s 8 --only baseline,broker,mariadb-graceful,...]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
/* eslint-disable @nx/enforce-module-boundaries -- this bench runs the real stack through the integration-test harness (test/, type:test), which is no library and has no import alias */
import { FaultPipeline, FaultPipelineOptions, FaultRecord, FaultSteps, PipelineApp } from '../../../test/support/fault-pipeline';
import { FaultServing, ServingApp } from '../../../test/support/fault-serving';
/* eslint-enable @nx/enforce-module-boundaries */
import { BenchProgress } from '../progress';

const ROOT = path.resolve(__dirname, '../../..');
const PIPELINE: PipelineApp[] = ['ingest', 'feature-builder', 'feedback'];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** The private broker / database / serving stack a scenario asked for in its setup. */
function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('scenario set-up is missing what its fault needs');
  return value;
}

interface Scenario {
  readonly id: string;
  readonly name: string;
  readonly setup: Omit<FaultPipelineOptions, 'apps' | 'rate'> & { serving?: boolean };
  /** A killed process: recovery counts from its restart (startup, group rebalance included); a dependency: from its being back. */
  readonly measureFromRestart?: boolean;
  readonly steps: (pipeline: FaultPipeline, serving: FaultServing | undefined, awayMs: number) => FaultSteps;
}

const SCENARIOS: Scenario[] = [
  { id: 'baseline', name: 'no fault (baseline)', setup: {}, steps: () => ({ takeAway: async () => undefined, bringBack: async () => undefined, minAwayMs: 0 }) },
  { id: 'broker', name: 'broker restart', setup: { privateBroker: true, serving: true }, steps: (p, _s, away) => ({ takeAway: () => must(p.broker).stop(), bringBack: () => must(p.broker).up(), notReadyOn: 'bus', minAwayMs: away }) },
  { id: 'mariadb-graceful', name: 'MariaDB graceful restart', setup: { privateMariaDb: true, serving: true }, steps: (p, _s, away) => ({ takeAway: () => must(p.mariadb).stop(), bringBack: () => must(p.mariadb).up(), notReadyOn: 'store', minAwayMs: away }) },
  { id: 'mariadb-sigkill', name: 'MariaDB SIGKILL', setup: { privateMariaDb: true, serving: true }, steps: (p, _s, away) => ({ takeAway: () => must(p.mariadb).kill(), bringBack: () => must(p.mariadb).up(), notReadyOn: 'store', minAwayMs: away }) },
  ...PIPELINE.map((app): Scenario => ({ id: `sigkill-${app}`, name: `SIGKILL ${app}`, setup: {}, measureFromRestart: true, steps: (p) => p.killAndRestart(app) })),
  ...(['scorer', 'bundler', 'gateway'] as ServingApp[]).map((app): Scenario => ({ id: `sigkill-${app}`, name: `SIGKILL ${app}`, setup: { serving: true }, measureFromRestart: true, steps: (_p, s) => must(s).killAndRestart(app, 3000) })),
];

interface Row {
  scenario: string;
  events_in_flight_at_fault: number;
  acknowledged_lost: number;
  lost_by_table?: Record<string, number>;
  duplicates_applied: number;
  duplicates_by_table?: Record<string, number>;
  away_seconds: number;
  recovery_seconds: number;
  recovery_over_baseline: number | null;
  said_not_ready: boolean | null;
  caller_errors: Record<string, number>;
  acknowledged: number;
  stored: number;
  all_processes_alive: boolean;
  error?: string;
}

/** The services' output of a scenario that lost or doubled something, for whoever looks into it. */
function keepLogs(scenario: Scenario, pipeline: FaultPipeline): void {
  const dir = path.join(os.tmpdir(), 'bench-faults-logs');
  fs.mkdirSync(dir, { recursive: true });
  for (const [app, service] of pipeline.services) fs.writeFileSync(path.join(dir, `${scenario.id}-${app}.log`), service.logs);
  console.warn(`${scenario.name}: service logs in ${dir}`);
}

async function runScenario(scenario: Scenario, rate: number, awayMs: number): Promise<Row> {
  const { serving: withServing, ...infra } = scenario.setup;
  const pipeline = await FaultPipeline.start({ apps: PIPELINE, rate, ...infra });
  let serving: FaultServing | undefined;
  try {
    if (withServing) serving = await FaultServing.attach(pipeline);
    const errorsBefore = new Map(pipeline.stream.sendErrors);
    const from = Date.now();
    const record: FaultRecord = await pipeline.fault(scenario.name, scenario.steps(pipeline, serving, awayMs));
    const to = Date.now();
    const callerErrors: Record<string, number> = {};
    for (const [name, n] of pipeline.stream.sendErrors) if (n > (errorsBefore.get(name) ?? 0)) callerErrors[`producer ${name}`] = n - (errorsBefore.get(name) ?? 0);
    for (const [code, n] of Object.entries(serving?.calls.codesSince(from, to) ?? {})) if (code !== 'OK') callerErrors[`gRPC ${code}`] = n;
    const alive = pipeline.allAlive;
    await serving?.close();
    const outcome = await pipeline.settle(300_000);
    if (outcome.lost + outcome.duplicates > 0 || !alive) keepLogs(scenario, pipeline);
    return {
      scenario: scenario.name, events_in_flight_at_fault: record.inFlight, acknowledged_lost: outcome.lost, lost_by_table: outcome.lostBy, duplicates_applied: outcome.duplicates, duplicates_by_table: outcome.duplicatesBy,
      away_seconds: record.awayMs / 1000, recovery_seconds: (scenario.measureFromRestart ? record.bringBackMs + record.resumedMs : record.resumedMs) / 1000, recovery_over_baseline: null, said_not_ready: record.saidNotReady ?? null,
      caller_errors: callerErrors, acknowledged: outcome.acknowledged, stored: outcome.stored, all_processes_alive: alive,
    };
  } finally {
    await serving?.close().catch(() => undefined);
    await pipeline.close();
  }
}

function markdown(rows: readonly Row[], rate: number, awayS: number): string {
  const codes = (r: Row) => Object.entries(r.caller_errors).map(([c, n]) => `${c} ×${n}`).join(', ') || 'none';
  return [
    '# Faults on the real Kafka and MariaDB',
    '',
    `Generated by \`npm run bench:faults\` (${new Date().toISOString()}): steady clickstream at ${rate} events/s with served lists and clicks, ingest, feature-builder and feedback as processes (scorer, bundler, gateway and storefront calls for the broker, MariaDB and serving scenarios); broker and MariaDB away at least ${awayS} s on private instances. Recovery: from the dependency answering again (a killed process: from its restart, startup and consumer-group rebalance included) to every stage making progress (serving: both kinds of call succeeding again).`,
    '',
    '| scenario | events in flight at the fault | acknowledged events lost | duplicates applied | recovery (s) | error codes seen by callers |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...rows.map((r) => `| ${r.scenario} | ${r.events_in_flight_at_fault} | ${r.error ? 'n/a' : r.acknowledged_lost} | ${r.error ? 'n/a' : r.duplicates_applied} | ${r.error ? `failed: ${r.error.split('\n')[0].slice(0, 120)}` : r.recovery_seconds.toFixed(1)} | ${codes(r)} |`),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const rate = Number(arg('rate', '500'));
  const awayS = Number(arg('away-s', '8'));
  const only = arg('only', '').split(',').filter(Boolean);
  const chosen = SCENARIOS.filter((s) => only.length === 0 || only.includes(s.id) || s.id === 'baseline');
  const progress = new BenchProgress('bench-faults');
  const rows: Row[] = [];
  for (const scenario of chosen) {
    progress.phase(scenario.name);
    rows.push(await runScenario(scenario, rate, awayS * 1000).catch((error: Error): Row => ({
      scenario: scenario.name, events_in_flight_at_fault: 0, acknowledged_lost: 0, duplicates_applied: 0, away_seconds: 0, recovery_seconds: 0,
      recovery_over_baseline: null, said_not_ready: null, caller_errors: {}, acknowledged: 0, stored: 0, all_processes_alive: false, error: error.message,
    })));
  }
  progress.done();
  const baseline = rows[0]?.error ? undefined : rows[0]?.recovery_seconds;
  for (const r of rows) r.recovery_over_baseline = baseline ? Number((r.recovery_seconds / baseline).toFixed(2)) : null;
  const report = {
    benchmark: 'faults',
    created_at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, memory_gib: Math.round(os.totalmem() / 2 ** 30), node: process.version, load_average_at_end: os.loadavg().map((x) => Number(x.toFixed(2))) },
    setup: {
      rate_events_per_second: rate, min_away_seconds: awayS,
      stream: 'JSON views on the raw clickstream topic (acks=-1, batches every 100 ms), 150 users with one session each, 97 items; one served list per batch on the served topic and the batch\'s first event a click on it',
      services: 'ingest, feature-builder, feedback as OS processes (from sources via tools/run-ts.js); scorer (demo model, CPU), bundler, gateway for the broker, MariaDB and serving scenarios, with a storefront calling Recommend and Bundle every 50 ms',
      check: 'after the fault the stream stops and the tables are compared with what the stored events imply (each stored event once; acknowledged ⊆ stored): user sequences, popularity interactions, pair counts, feedback metric buckets (tail_clicks left out), attribution rows',
      baseline: 'the first row: the same measurement with a fault that does nothing (how soon every stage shows progress anyway); recovery_over_baseline = recovery / baseline',
    },
    scenarios: rows,
    notes: 'A SIGKILLed consumer keeps its partitions until the group session timeout (30 s) evicts it, which bounds recovery of ingest, feature-builder and feedback. Counts in flight are acknowledged events not yet applied by feature-builder at the fault. The machine is shared with other work while this runs.',
  };
  fs.mkdirSync(path.join(ROOT, 'reports'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'reports/bench-faults.json'), JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(path.join(ROOT, 'reports/faults.md'), markdown(rows, rate, awayS));
  console.log(JSON.stringify(report, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
