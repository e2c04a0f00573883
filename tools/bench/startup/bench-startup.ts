// Start-up of every app from its production build (`node dist/apps/<app>/main.js`, tools/build/build-apps.js)
// against the same app from its TypeScript sources (`node tools/run-ts.js apps/<app>/src/main.ts`): time from
// spawn to /ready answering 200 (the gateway alone is never ready, it has no scorer: to /health), and, once
// ready, the CPU time the process has used (steadier than the wall time on a shared machine), its resident
// memory (VmRSS) and its peak (VmHWM), from /proc. Embedded profile, no demo shop:
// the figure is the service's own start, not the time to ingest a shop. Sources and build alternate run by
// run; the report has the median of each and the ratios built/sources. Writes reports/bench-startup.json.
//   npm run bench:startup [-- --runs 3] [--apps ingest,scorer] [--no-build]
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { promises as fs, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { median } from '@recmesh/numerics';
/* eslint-disable-next-line @nx/enforce-module-boundaries -- the apps' ports and a free port, as the integration-test harness (test/, type:test) starts them */
import { APP_PORTS, freePort } from '../../../test/support/service-process';

type Mode = 'sources' | 'built';

interface Sample {
  readyMs: number;
  /** user + system CPU of the process until ready: the start-up's work, far less sensitive than readyMs to a busy machine */
  cpuMs: number;
  rssBytes: number;
  peakRssBytes: number;
}

const ROOT = path.resolve(__dirname, '../../..');
/** Each app: the variable that sets its HTTP port and the gRPC ports it binds (shared with the integration tests). */
const APPS = APP_PORTS;
const READY_TIMEOUT_MS = 120_000;
const POLL_MS = 25;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}


function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** utime + stime of the process (all its threads) from /proc/<pid>/stat, in ms. */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ on Linux
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function startOnce(app: string, mode: Mode): Promise<Sample> {
  const port = await freePort();
  // A fresh data directory per start: the embedded default's own (durable) start, never the repo's .recmesh-data.
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'recmesh-startup-'));
  // The admin gRPC APIs on any free port, as test/support/service-process.ts starts them.
  const env: Record<string, string> = { RECMESH_PROFILE: 'embedded', RECMESH_DEMO_SEED: 'false', RECMESH_DATA_DIR: dataDir, EXPERIMENTS_GRPC_PORT: '0', PRIVACY_GRPC_PORT: '0', [APPS[app].httpPort]: String(port) };
  for (const variable of APPS[app].grpcPorts) env[variable] = String(await freePort());
  const entry = mode === 'built' ? [`dist/apps/${app}/main.js`] : ['tools/run-ts.js', `apps/${app}/src/main.ts`];
  const endpoint = app === 'gateway' ? '/health' : '/ready';
  let output = '';
  const started = performance.now();
  const child = spawn(process.execPath, entry, { cwd: ROOT, env: { ...process.env, ...env, FORCE_COLOR: '0', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d) => (output += d.toString()));
  child.stderr?.on('data', (d) => (output += d.toString()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${app} (${mode}) exited with ${child.exitCode}:\n${output}`);
      if (performance.now() - started > READY_TIMEOUT_MS) throw new Error(`${app} (${mode}) not ready after ${READY_TIMEOUT_MS} ms:\n${output}`);
      const status = await fetch(`http://127.0.0.1:${port}${endpoint}`).then((r) => r.status, () => 0);
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const readyMs = performance.now() - started;
    const pid = child.pid as number; // set: the process answered
    return { readyMs, cpuMs: procCpuMs(pid), rssBytes: procStatusBytes(pid, 'VmRSS'), peakRssBytes: procStatusBytes(pid, 'VmHWM') };
  } finally {
    await stop(child);
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

const round = (x: number, digits = 0) => Number(x.toFixed(digits));
const mib = (bytes: number) => round(bytes / 2 ** 20, 1);

function summary(samples: Sample[]) {
  return {
    readyMsMedian: round(median(samples.map((s) => s.readyMs))),
    cpuMsMedian: round(median(samples.map((s) => s.cpuMs))),
    rssMiBMedian: mib(median(samples.map((s) => s.rssBytes))),
    peakRssMiBMedian: mib(median(samples.map((s) => s.peakRssBytes))),
    runs: samples.map((s) => ({ readyMs: round(s.readyMs), cpuMs: round(s.cpuMs), rssMiB: mib(s.rssBytes), peakRssMiB: mib(s.peakRssBytes) })),
  };
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg()[0];
  const runs = Number(arg('runs', '3'));
  const apps = arg('apps', Object.keys(APPS).join(',')).split(',');
  const unknown = apps.filter((a) => !(a in APPS));
  if (unknown.length) throw new Error(`unknown app(s) ${unknown.join(', ')}`);
  if (!process.argv.includes('--no-build')) execFileSync(process.execPath, ['tools/build/build-apps.js', ...apps], { cwd: ROOT, stdio: 'inherit' });

  const results: Record<string, unknown> = {};
  for (const app of apps) {
    const samples: Record<Mode, Sample[]> = { sources: [], built: [] };
    for (let run = 0; run < runs; run++) {
      // Alternating which goes first spreads the shared machine's drift over both.
      for (const mode of (run % 2 ? ['built', 'sources'] : ['sources', 'built']) as Mode[]) samples[mode].push(await startOnce(app, mode));
    }
    const sources = summary(samples.sources);
    const built = summary(samples.built);
    results[app] = {
      readyEndpoint: app === 'gateway' ? '/health' : '/ready',
      sources,
      built,
      ratioBuiltToSources: {
        readyMs: round(built.readyMsMedian / sources.readyMsMedian, 2),
        cpuMs: round(built.cpuMsMedian / sources.cpuMsMedian, 2),
        rss: round(built.rssMiBMedian / sources.rssMiBMedian, 2),
        peakRss: round(built.peakRssMiBMedian / sources.peakRssMiBMedian, 2),
      },
    };
    console.log(`${app.padEnd(16)} ready ${String(sources.readyMsMedian).padStart(6)} -> ${String(built.readyMsMedian).padStart(6)} ms   cpu ${String(sources.cpuMsMedian).padStart(6)} -> ${String(built.cpuMsMedian).padStart(6)} ms   rss ${sources.rssMiBMedian} -> ${built.rssMiBMedian} MiB   peak ${sources.peakRssMiBMedian} -> ${built.peakRssMiBMedian} MiB`);
  }

  const report = {
    generatedAt: new Date().toISOString(),
    command: `npm run bench:startup -- --runs ${runs}${apps.length === Object.keys(APPS).length ? '' : ` --apps ${apps.join(',')}`}`,
    method: 'spawn -> first 200 from the ready endpoint (polled every 25 ms); at that moment user+system CPU from /proc/<pid>/stat, VmRSS and VmHWM from /proc/<pid>/status; embedded profile, RECMESH_DEMO_SEED=false; median of the runs, sources and build alternating',
    sources: 'node tools/run-ts.js apps/<app>/src/main.ts (swc transpiles on the fly)',
    built: 'node dist/apps/<app>/main.js (npm run build)',
    machine: { cpus: os.cpus().length, node: process.version, loadAverage1mAtStart: round(loadAtStart, 2) },
    runs,
    apps: results,
  };
  await fs.mkdir(path.join(ROOT, 'reports'), { recursive: true });
  await fs.writeFile(path.join(ROOT, 'reports/bench-startup.json'), JSON.stringify(report, null, 2) + '\n');
  console.log('wrote reports/bench-startup.json');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
