/**
 * Memory and durability cost of the embedded default (issue 13, part 4). Starts `npm start`'s app
 * (apps/standalone, a child process) on a fresh data directory, posts --events clickstream events for
 * --users shoppers to its HTTP intake (--concurrency requests at a time), and every --every events
 * waits until ingest and feature-builder have taken every posted event, then records VmRSS/VmHWM
 * (/proc/<pid>/status), the V8 heap and external memory (/metrics) and the data directory's size:
 * the curve. The same app with RECMESH_DATA_DIR=:memory: (bus and store in memory, as the embedded
 * default was before) takes the first --baseline events in the same run: its throughput and memory
 * per event are the baseline the durable figures are given against. A third part times the bus log
 * alone: one fdatasync per record against one per batch. Writes reports/bench-embedded.json; exits 1
 * when RSS goes over --ceiling-mb (see README, "Embedded default": what the ceiling is made of).
 *   npm run bench:embedded [-- --events 1000000] [--users 500000] [--every 100000] [--baseline <every>]
 *                          [--concurrency 32] [--batch 1] [--ceiling-mb 800] [--out reports/bench-embedded.json]
 *   npm run bench:embedded -- --batch 100   (the full size in minutes rather than an hour: NDJSON batches)
 *   npm run bench:embedded -- --events 20000 --users 10000 --every 5000 --baseline 5000   (CI size, about a minute)
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SegmentLog } from '@recmesh/messaging';
import { BenchProgress } from '../progress';
/* eslint-disable-next-line @nx/enforce-module-boundaries -- a free port, as the integration-test harness (test/, type:test) finds one */
import { freePort } from '../../../test/support/service-process';

const ROOT = path.resolve(__dirname, '../../..');

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
}

const EVENTS = Number(flag('events', '1000000'));
const USERS = Number(flag('users', '500000'));
const EVERY = Number(flag('every', String(Math.max(1, Math.round(EVENTS / 10)))));
/** Same size as a stretch of the durable run by default, so the first stretches of both compare like for like (both from a cold start). */
const BASELINE = Number(flag('baseline', String(EVERY)));
const CONCURRENCY = Number(flag('concurrency', '32'));
/** Events per POST: 1 posts each as application/json, as a storefront does; more posts NDJSON batches, as a shop's server-side forwarder would. */
const BATCH = Number(flag('batch', '1'));
/**
 * The stated ceiling (README, "The embedded default on disk"), from the measured composition: the idle
 * process after /ready (~450 MB: Node, NestJS, onnxruntime and the model), the V8 heap's garbage between
 * major GCs (~215 MB over a live set that stays at the idle heap's ~75 MB), SQLite's page cache (32 MiB)
 * and the bus (4 bytes of index per retained record, one batch read back at a time: < 10 MB at 1M events),
 * ~710 MB, plus a margin for allocator fragmentation.
 */
const CEILING_MB = Number(flag('ceiling-mb', '800'));
const OUT = path.resolve(ROOT, flag('out', 'reports/bench-embedded.json'));
const ITEMS = 2_000;
const ACTIONS = ['view', 'view', 'view', 'click', 'add_to_cart', 'purchase'];

export interface MemoryPoint {
  readonly events: number;
  readonly rss_mb: number;
  readonly peak_rss_mb: number;
  readonly heap_used_mb: number;
  readonly external_mb: number;
  readonly data_dir_mb: number;
  /** Of which the bus's segment logs (what the in-memory bus held on the heap before). */
  readonly bus_mb: number;
  /** Seconds since the first event was posted. */
  readonly seconds: number;
  /** Events a second over the stretch since the previous point (posted and taken by ingest and feature-builder). */
  readonly events_per_second: number;
}

interface App {
  readonly child: ChildProcess;
  readonly port: number;
  logs(): string;
}

async function startApp(dataDir: string): Promise<App> {
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    GATEWAY_GRPC_PORT: String(await freePort()),
    EXPERIMENTS_GRPC_PORT: '0',
    PRIVACY_GRPC_PORT: '0',
    RECMESH_PROFILE: 'embedded',
    RECMESH_DEMO_SEED: 'false',
    RECMESH_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
  };
  const child = spawn(process.execPath, [path.join(ROOT, 'tools/run-ts.js'), 'apps/standalone/src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}:\n${output}`);
    const status = await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.status, () => 0);
    if (status === 200) return { child, port, logs: () => output };
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the app was not ready in 120 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stopApp(app: App): Promise<void> {
  if (app.child.exitCode !== null) return;
  const exited = new Promise((r) => app.child.once('exit', r));
  app.child.kill('SIGTERM');
  const timer = setTimeout(() => app.child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

async function metrics(app: App): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${app.port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line) continue;
    const name = line.split(/[{ ]/)[0];
    out.set(name, (out.get(name) ?? 0) + Number(line.split(' ').pop()));
  }
  return out;
}

function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? Number.NaN) / 1024;
}

function dirMb(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).size;
  }
  return bytes / 1024 / 1024;
}

const body = (i: number, now: number) =>
  JSON.stringify({
    event_id: `bench-e-${i}`,
    user_id: `bench-u-${i % USERS}`,
    item_id: `sku-${String((i * 7919) % ITEMS).padStart(6, '0')}`,
    session_id: `bench-s-${i % USERS}`,
    action: ACTIONS[i % ACTIONS.length],
    ts_ms: now,
  });

/** Posts events [from, to), CONCURRENCY requests of BATCH events at a time; any answer but 202 stops the bench. */
async function post(app: App, from: number, to: number, progress: BenchProgress): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) {
      const first = next;
      next = Math.min(to, next + BATCH);
      const now = Date.now();
      const events = Array.from({ length: next - first }, (_, k) => body(first + k, now));
      const [contentType, payload] = BATCH === 1 ? ['application/json', events[0]] : ['application/x-ndjson', events.join('\n')];
      const res = await fetch(`http://127.0.0.1:${app.port}/v1/clickstream`, { method: 'POST', headers: { 'content-type': contentType }, body: payload });
      const text = await res.text();
      if (res.status !== 202) throw new Error(`events ${first}-${next - 1}: ${res.status} ${text}`);
      if (Math.floor(first / 500) !== Math.floor(next / 500)) progress.step(next, EVENTS, 'events');
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** Until ingest stored and feature-builder applied every posted event. */
async function drained(app: App, events: number): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const m = await metrics(app);
    if ((m.get('recmesh_ingest_events_accepted_total') ?? 0) >= events && (m.get('recmesh_features_events_applied_total') ?? 0) >= events) return;
    if (Date.now() > deadline) throw new Error(`the pipeline did not take ${events} events in 10 min:\n${app.logs()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function sample(app: App, dataDir: string, events: number, seconds: number, stretch: { seconds: number; events: number }): Promise<MemoryPoint> {
  // No GC is forced (the app runs without --expose-gc): RSS as an operator sees it.
  const m = await metrics(app);
  const mb = (v: number | undefined) => Math.round(((v ?? Number.NaN) / 1024 / 1024) * 10) / 10;
  return {
    events,
    rss_mb: Math.round(procStatusMb(app.child.pid!, 'VmRSS') * 10) / 10,
    peak_rss_mb: Math.round(procStatusMb(app.child.pid!, 'VmHWM') * 10) / 10,
    heap_used_mb: mb(m.get('recmesh_nodejs_heap_size_used_bytes')),
    external_mb: mb(m.get('recmesh_nodejs_external_memory_bytes')),
    data_dir_mb: dataDir === ':memory:' ? 0 : Math.round(dirMb(dataDir) * 10) / 10,
    bus_mb: dataDir === ':memory:' ? 0 : Math.round(dirMb(path.join(dataDir, 'recmesh-standalone', 'bus')) * 10) / 10,
    seconds: Math.round(seconds * 10) / 10,
    events_per_second: stretch.seconds > 0 ? Math.round(stretch.events / stretch.seconds) : 0,
  };
}

/** Streams `total` events through an app on `dataDir`, sampling every `every` events. */
async function stream(dataDir: string, total: number, every: number, progress: BenchProgress): Promise<MemoryPoint[]> {
  const app = await startApp(dataDir);
  try {
    const points = [await sample(app, dataDir, 0, 0, { seconds: 0, events: 0 })];
    const started = Date.now();
    let posted = 0;
    while (posted < total) {
      const began = Date.now();
      const to = Math.min(total, posted + every);
      await post(app, posted, to, progress);
      await drained(app, to);
      const now = Date.now();
      const point = await sample(app, dataDir, to, (now - started) / 1000, { seconds: (now - began) / 1000, events: to - posted });
      points.push(point);
      // One line per point, so an hour-long run stopped early still leaves its curve in the log.
      process.stderr.write(`[bench-embedded] ${dataDir === ':memory:' ? 'baseline' : 'durable'} point ${JSON.stringify(point)}\n`);
      posted = to;
    }
    return points;
  } finally {
    await stopApp(app);
  }
}

/** The bus log alone: the same records made durable one fdatasync each, and one per batch of 100. */
async function logCost(dir: string, records: number): Promise<{ per_record_sync_us: number; per_batch_sync_us: number; ratio: number }> {
  const value = Buffer.alloc(200, 1);
  const time = async (batch: number) => {
    const log = SegmentLog.open(path.join(dir, `batch-${batch}`), { segmentBytes: 64 << 20, retentionMs: 0 });
    const began = process.hrtime.bigint();
    for (let i = 0; i < records; i += batch) {
      log.append(Array.from({ length: Math.min(batch, records - i) }, () => ({ key: null, value, headers: {}, timestampMs: Date.now() })));
      await log.sync();
    }
    const us = Number(process.hrtime.bigint() - began) / 1000 / records;
    log.close();
    return us;
  };
  const single = await time(1);
  const batched = await time(100);
  return { per_record_sync_us: Math.round(single * 10) / 10, per_batch_sync_us: Math.round(batched * 10) / 10, ratio: Math.round((single / batched) * 10) / 10 };
}

async function main(): Promise<void> {
  const progress = new BenchProgress('bench-embedded');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-embedded-'));
  try {
    progress.phase(`bus log: fdatasync per record vs per batch`);
    const log = await logCost(path.join(scratch, 'log'), 2_000);

    progress.phase(`baseline: ${BASELINE} events, bus and store in memory`);
    const baseline = await stream(':memory:', BASELINE, BASELINE, progress);

    progress.phase(`durable: ${EVENTS} events for ${USERS} users on disk`);
    const curve = await stream(path.join(scratch, 'data'), EVENTS, EVERY, progress);
    progress.done();

    const perEventKb = (points: MemoryPoint[]) => {
      const [first, last] = [points[0], points[points.length - 1]];
      return Math.round((((last.rss_mb - first.rss_mb) * 1024) / Math.max(1, last.events - first.events)) * 100) / 100;
    };
    const rate = (points: MemoryPoint[]) => Math.round(points[points.length - 1].events / points[points.length - 1].seconds);
    const baselineRate = rate(baseline);
    const durableRate = rate(curve);
    const peak = Math.max(...curve.map((p) => p.peak_rss_mb));
    const report = {
      bench: 'embedded',
      generatedAt: new Date().toISOString(),
      machine: { cpus: os.cpus().length, memory_gb: Math.round(os.totalmem() / 1024 ** 3), node: process.version },
      config: { events: EVENTS, users: USERS, every: EVERY, baseline_events: BASELINE, concurrency: CONCURRENCY, batch: BATCH, items: ITEMS, ceiling_mb: CEILING_MB },
      method:
        'apps/standalone as a child process (embedded profile, RECMESH_DEMO_SEED=false, LOG_LEVEL=warn); ' +
        `${BATCH === 1 ? 'one event per POST /v1/clickstream (application/json)' : `${BATCH} events per POST /v1/clickstream (application/x-ndjson)`}, ` +
        `${CONCURRENCY} requests in flight; a point is taken once ingest_events_accepted_total and features_events_applied_total reach the events posted; ` +
        'RSS and peak RSS from /proc/<pid>/status, heap and external memory from the app\'s /metrics; no forced GC',
      curve,
      baseline: { data_dir: ':memory:', points: baseline, rss_growth_kb_per_event: perEventKb(baseline), events_per_second: baselineRate },
      durable: {
        rss_growth_kb_per_event: perEventKb(curve),
        rss_growth_kb_per_event_second_half: perEventKb(curve.slice(Math.floor(curve.length / 2))),
        events_per_second: durableRate,
        first_stretch_throughput_vs_baseline: Math.round((curve[1].events_per_second / baseline[1].events_per_second) * 100) / 100,
        peak_rss_mb: peak,
        within_ceiling: peak <= CEILING_MB,
      },
      bus_log: { records: 2_000, record_bytes: 200, ...log, note: 'µs per record, one fdatasync per record against one per batch of 100 (the bus syncs once per publish batch per partition)' },
    };
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, JSON.stringify(report, null, 2) + '\n');
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    if (!report.durable.within_ceiling) {
      process.stderr.write(`peak RSS ${peak} MB is over the ceiling of ${CEILING_MB} MB\n`);
      process.exitCode = 1;
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
