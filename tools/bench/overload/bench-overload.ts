// Overload bench (issue 13, part 5): does the gateway degrade gracefully past its capacity? An in-process
// GatewayGrpcServer over the RecommendationScorer (synthetic model, embedded store, batching as the
// scorer's defaults), driven by ghz (closed loop, C workers, 1 connection unless --connections, --timeout = the default 2 s
// deadline) at rising concurrency, once with GATEWAY_ADMISSION=fixed (the old GATEWAY_MAX_IN_FLIGHT=256
// bound) and once with the adaptive limiter (every other setting its default), in the same run.
// Per step: OK/s, rejected/s, other failures, admitted (OK) p50/p99, and the server-side cost of an
// admission rejection (recmesh_gateway_admission_rejection_seconds). Writes reports/bench-overload.json.
// Each step runs --repeat times (interleaved with the other mode); the curve is the median run, with every run's OK/s beside it.
//   npm run bench:overload                 (100k items; 16..1024 workers; 3 s warm-up + 10 s per step; 3 repeats; about 10 minutes)
//   npm run bench:overload -- --short      (10k items; 32, 256, 1024 workers; 2 s + 3 s per step; once; about a minute)
//   [--items N] [--levels 16,64,256] [--warmup-s S] [--measure-s S] [--repeat N] [--out reports/x.json]
//   [--connections N]   spread the workers over N connections (default 1), as N storefront servers would
//   [--busy N]   N busy-looping processes beside the bench for its whole run: a loaded host, as a noisy neighbour makes it
//   [--adaptive KEY=VALUE,...]   GATEWAY_* settings for the adaptive gateway only, e.g. --adaptive GATEWAY_ADMISSION_MIN_TARGET_LATENCY_MS=150
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import { resolveTopicNames } from '@recmesh/contracts';
import { admissionOptions, GatewayConfigSchema, GatewayGrpcServer, GatewayMetrics } from '@recmesh/gateway-api';
import { InMemoryMessageBus } from '@recmesh/messaging';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { CatalogStore, FeatureStore, openStore } from '@recmesh/persistence';
import { RecommendationScorer, ScorerConfigSchema } from '@recmesh/scoring';
import { loadConfig } from '@recmesh/service-config';
import { CatalogIndex } from '@recmesh/serving-core';
import { BenchProgress } from '../progress';
import { HIDDEN, HISTORY, K, MAX_SEQ_LEN, seedServingStore, USERS } from '../serving/bench-store';
import { GhzReport, ghzPercentileMs, installGhz, RECOMMEND_METHOD, runGhz } from '../serving/ghz';
import { writeSyntheticModel } from '../serving/synthetic-model';

const ROOT = path.resolve(__dirname, '../../..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const SHORT = process.argv.includes('--short');
// --short (CI) serves a 10k catalog fast enough that 1,024 workers may never hold 256 calls plus a
// 1,024-deep queue at once; small bounds make 1,024 workers an overload whatever the machine's speed.
const SHORT_BOUNDS: Record<string, string> = SHORT ? { GATEWAY_MAX_IN_FLIGHT: '32', GATEWAY_ADMISSION_MAX_QUEUE: '64' } : {};
const items = Number(arg('items', SHORT ? '10000' : '100000'));
const levels = arg('levels', SHORT ? '32,256,1024' : '16,32,64,128,256,512,1024').split(',').map(Number);
const warmupS = Number(arg('warmup-s', SHORT ? '2' : '3'));
const measureS = Number(arg('measure-s', SHORT ? '3' : '10'));
const repeats = Number(arg('repeat', SHORT ? '1' : '3'));
const busy = Number(arg('busy', '0'));
/** HTTP/2 connections ghz spreads its workers over: storefront servers each with a channel of their own; past 1, the per-connection stream cap no longer bounds the total. */
const connections = Number(arg('connections', '1'));
/** --adaptive KEY=VALUE,...: GATEWAY_* settings for the adaptive gateway only (to compare a setting against the defaults). */
const ADAPTIVE_OVERRIDES: Record<string, string> = Object.fromEntries(
  arg('adaptive', '').split(',').filter(Boolean).map((pair) => pair.split('=', 2) as [string, string]),
);
const reportFile = arg('out', SHORT ? 'reports/bench-overload-short.json' : 'reports/bench-overload.json');
const GHZ_DATA = JSON.stringify({ user_id: `user-{{randomInt 0 ${USERS}}}`, k: K });
const log = (msg: string) => console.error(`[bench-overload ${new Date().toISOString()}] ${msg}`);

type Mode = 'fixed' | 'adaptive';

interface Step {
  concurrency: number;
  okPerS: number;
  rejectedPerS: number;
  /** Failures other than RESOURCE_EXHAUSTED (DEADLINE_EXCEEDED, ...), per second, less the calls cut at the end. */
  otherFailedPerS: number;
  /** Calls still in flight when ghz's --duration ended (ghz reports them UNAVAILABLE; at most C): not counted as failures. */
  cutAtEnd: number;
  admittedP50Ms: number;
  admittedP99Ms: number;
  statusCodes: Record<string, number>;
  /** Server side, from receiving a call to refusing it at admission. */
  rejection: { count: number; meanMs: number; shareUnder1ms: number };
  /** The adaptive limit at the end of the step (GATEWAY_MAX_IN_FLIGHT in fixed mode). */
  limitAtEnd: number;
  /** OK/s of every repeat of this step, in run order; the fields above are the median run's. */
  okPerSRuns?: number[];
}

/** The run with the median OK/s (the lower middle of an even count), with every run's OK/s. */
function medianStep(runs: Step[]): Step {
  const sorted = [...runs].sort((a, b) => a.okPerS - b.okPerS);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)], okPerSRuns: runs.map((r) => r.okPerS) };
}

async function histogramOf(registry: Registry, name: string): Promise<{ count: number; sum: number; under1ms: number }> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
  const pick = (suffix: string, le?: number) => values.find((v) => v.metricName === `${name}_${suffix}` && (le === undefined || Number(v.labels.le) === le))?.value ?? 0;
  return { count: pick('count'), sum: pick('sum'), under1ms: pick('bucket', 0.001) };
}

async function gaugeOf(registry: Registry, name: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return Number(metric?.values[0]?.value ?? Number.NaN);
}

function ghzArgs(port: number, concurrency: number, seconds: number): string[] {
  return [
    '--insecure', '--call', RECOMMEND_METHOD, '--data', GHZ_DATA, '--concurrency', String(concurrency), '--connections', String(connections),
    '--duration', `${seconds}s`, '--timeout', '2s', `127.0.0.1:${port}`,
  ];
}

/** One step on a fresh scorer + gateway: warm-up run (not counted), then the measured run. */
async function step(mode: Mode, concurrency: number, ghz: string, model: SequentialRecommenderModel, features: FeatureStore, catalog: CatalogIndex): Promise<Step> {
  const scorerConfig = loadConfig(ScorerConfigSchema, {});
  const batching = { maxBatchSize: scorerConfig.SCORER_MAX_BATCH, maxWaitMs: scorerConfig.SCORER_MAX_WAIT_MS, maxQueue: scorerConfig.SCORER_MAX_QUEUE };
  const scorer = new RecommendationScorer({ model: () => model, features, catalog, batching, popularityHalfLifeMs: 72 * 3_600_000 });
  const gatewayConfig = loadConfig(GatewayConfigSchema, { GATEWAY_ADMISSION: mode, ...SHORT_BOUNDS, ...(mode === 'adaptive' ? ADAPTIVE_OVERRIDES : {}) });
  const bus = new InMemoryMessageBus();
  const topics = resolveTopicNames('');
  await bus.ensureTopics([{ name: topics.recommendationsServed, partitions: 6 }]);
  const registry = new Registry();
  const server = new GatewayGrpcServer({
    backend: scorer, bus, servedTopic: topics.recommendationsServed, metrics: new GatewayMetrics(registry),
    maxInFlight: gatewayConfig.GATEWAY_MAX_IN_FLIGHT, admission: admissionOptions(gatewayConfig), defaultDeadlineMs: gatewayConfig.GATEWAY_DEFAULT_DEADLINE_MS,
    // The old behaviour had no stream cap; today's default has one.
    maxStreamsPerConnection: mode === 'fixed' ? 0 : gatewayConfig.GATEWAY_MAX_STREAMS_PER_CONNECTION,
  });
  const port = await server.start(0, '127.0.0.1');
  try {
    await runGhz(ghz, ghzArgs(port, concurrency, warmupS));
    const before = await histogramOf(registry, 'recmesh_gateway_admission_rejection_seconds');
    const rep: GhzReport = await runGhz(ghz, ghzArgs(port, concurrency, measureS));
    const after = await histogramOf(registry, 'recmesh_gateway_admission_rejection_seconds');
    const seconds = rep.total / 1e9;
    const codes = rep.statusCodeDistribution ?? {};
    const ok = codes.OK ?? 0;
    // ghz names codes as grpc-go does; an admission refusal is RESOURCE_EXHAUSTED (the scorer's own full queue too).
    const rejected = codes.ResourceExhausted ?? 0;
    const cutAtEnd = Math.min(codes.Unavailable ?? 0, concurrency);
    const rejections = after.count - before.count;
    return {
      concurrency,
      okPerS: ok / seconds,
      rejectedPerS: rejected / seconds,
      otherFailedPerS: (rep.count - ok - rejected - cutAtEnd) / seconds,
      cutAtEnd,
      admittedP50Ms: ghzPercentileMs(rep, 50),
      admittedP99Ms: ghzPercentileMs(rep, 99),
      statusCodes: codes,
      rejection: { count: rejections, meanMs: rejections ? ((after.sum - before.sum) / rejections) * 1000 : Number.NaN, shareUnder1ms: rejections ? (after.under1ms - before.under1ms) / rejections : Number.NaN },
      limitAtEnd: await gaugeOf(registry, 'recmesh_gateway_admission_limit'),
    };
  } finally {
    await server.stop(500);
    await bus.close();
  }
}

/** OK/s at `factor` x the sustainable concurrency over the mode's peak OK/s (null: that level was not run). */
function ratioAt(curve: Step[], sustainable: number, factor: number, peak: number): number | null {
  const at = curve.find((s) => s.concurrency === sustainable * factor);
  return at ? at.okPerS / peak : null;
}

async function main(): Promise<void> {
  const started = Date.now();
  // Thousands of late-failure debug lines per step would cost the gateway the CPU being measured.
  Logger.overrideLogger(['error', 'warn']);
  const ghz = installGhz();
  if (!ghz.ok) throw new Error(`bench-overload needs ghz: ${ghz.reason}`);
  const progress = new BenchProgress('bench-overload');
  progress.phase(`${items} items: synthetic model and store`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recmesh-bench-overload-'));
  const ds = await openStore({ kind: 'embedded' });
  const neighbours = Array.from({ length: busy }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  const loadavgBefore = os.loadavg();
  const curves: Record<Mode, Step[]> = { fixed: [], adaptive: [] };
  try {
    await writeSyntheticModel(dir, items, HIDDEN, MAX_SEQ_LEN);
    const model = await SequentialRecommenderModel.load(dir, { preferCuda: false, logger: { info: () => undefined, warn: (m: string) => log(m) } });
    await seedServingStore(ds, items, USERS, HISTORY);
    const catalog = new CatalogIndex(new CatalogStore(ds));
    await catalog.reload();
    const features = new FeatureStore(ds);
    try {
      // Interleaved by level and repeat (fixed then adaptive, alternating which goes first), so a neighbour's load spike hits both curves alike.
      for (const c of levels) {
        const runs: Record<Mode, Step[]> = { fixed: [], adaptive: [] };
        for (let r = 0; r < repeats; r++) {
          for (const mode of r % 2 === 0 ? (['fixed', 'adaptive'] as const) : (['adaptive', 'fixed'] as const)) {
            progress.phase(`${mode} at ${c} concurrent calls (run ${r + 1} of ${repeats})`);
            const s = await step(mode, c, ghz.bin, model, features, catalog);
            runs[mode].push(s);
            log(`${mode.padEnd(8)} c=${String(c).padStart(4)} run ${r + 1}: ${s.okPerS.toFixed(0)} OK/s, ${s.rejectedPerS.toFixed(0)} rejected/s, ${s.otherFailedPerS.toFixed(1)} other failed/s, ` +
              `p50 ${s.admittedP50Ms.toFixed(0)} ms p99 ${s.admittedP99Ms.toFixed(0)} ms, rejection ${s.rejection.meanMs.toFixed(3)} ms mean, limit ${s.limitAtEnd}`);
          }
        }
        curves.fixed.push(medianStep(runs.fixed));
        curves.adaptive.push(medianStep(runs.adaptive));
      }
    } finally {
      await model.release();
    }
  } finally {
    neighbours.forEach((p) => p.kill('SIGKILL'));
    await ds.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  }
  progress.done();
  const peakOf = (curve: Step[]) => curve.reduce((best, s) => (s.okPerS > best.okPerS ? s : best), curve[0]);
  const fixedPeak = peakOf(curves.fixed);
  const adaptivePeak = peakOf(curves.adaptive);
  // "Sustainable load": where today's (fixed) curve peaks.
  const sustainable = fixedPeak.concurrency;
  const summarize = (curve: Step[], peak: Step) => ({
    peakOkPerS: peak.okPerS, peakAtConcurrency: peak.concurrency,
    okAt2xSustainable_over_ownPeak: ratioAt(curve, sustainable, 2, peak.okPerS),
    okAt4xSustainable_over_ownPeak: ratioAt(curve, sustainable, 4, peak.okPerS),
    okAt2xSustainable_over_fixedPeak: ratioAt(curve, sustainable, 2, fixedPeak.okPerS),
    okAt4xSustainable_over_fixedPeak: ratioAt(curve, sustainable, 4, fixedPeak.okPerS),
    worstAdmittedP99Ms: Math.max(...curve.map((s) => s.admittedP99Ms).filter(Number.isFinite)),
    worstRejectionMeanMs: Math.max(...curve.map((s) => s.rejection.meanMs).filter(Number.isFinite)),
  });
  const report = {
    benchmark: 'gateway overload: adaptive admission control vs the fixed in-flight bound (issue 13, part 5)',
    generatedAt: new Date().toISOString(),
    short: SHORT,
    loadGenerator: `ghz ${ghz.version}`,
    machine: {
      cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, platform: `${os.platform()} ${os.release()}`, node: process.version,
      loadavgBefore, loadavgAfter: os.loadavg(),
      note: 'shared machine; ghz, gateway and scorer share the same cores; the load average includes other users',
    },
    settings: {
      items, levels, warmupS, measureS, repeats, k: K, users: USERS,
      busyNeighbours: busy ? `${busy} busy-looping node processes ran beside the bench the whole time (--busy ${busy}): a loaded host` : 'none',
      connections,
      ghz: `closed loop, C workers on ${connections} connection(s), --timeout 2s (the default deadline), --duration ${measureS}s after a ${warmupS}s warm-up run on the same server; ` +
        'a refused worker retries at once (no backoff); latency percentiles are of OK calls (admitted and answered); ' +
        `each step run ${repeats} time(s), the curve shows the run with the median OK/s and okPerSRuns every run's`,
      fixed: `GATEWAY_ADMISSION=fixed, GATEWAY_MAX_IN_FLIGHT=${SHORT_BOUNDS.GATEWAY_MAX_IN_FLIGHT ?? 256}, GATEWAY_MAX_STREAMS_PER_CONNECTION=0 (the old behaviour)`,
      adaptive: (SHORT ? 'GATEWAY_ADMISSION=adaptive, GATEWAY_ADMISSION_MAX_QUEUE=64, other GATEWAY_ADMISSION_* defaults; hard ceiling GATEWAY_MAX_IN_FLIGHT=32' : 'GATEWAY_ADMISSION=adaptive with every GATEWAY_ADMISSION_* default; hard ceiling GATEWAY_MAX_IN_FLIGHT=256') +
        `; GATEWAY_MAX_STREAMS_PER_CONNECTION=${GatewayConfigSchema.GATEWAY_MAX_STREAMS_PER_CONNECTION.default} (the default): today's defaults` +
        (Object.keys(ADAPTIVE_OVERRIDES).length ? `; overridden: ${Object.entries(ADAPTIVE_OVERRIDES).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''),
      scorer: 'ScorerConfigSchema defaults (SCORER_MAX_BATCH, SCORER_MAX_WAIT_MS, SCORER_MAX_QUEUE), CPU onnxruntime, a fresh gateway and scorer per step',
      sustainableConcurrency: 'the concurrency at which the fixed curve peaks; 2x and 4x ratios read the curve at 2x and 4x that concurrency (null if not run)',
      rejectionCost: 'server side: recmesh_gateway_admission_rejection_seconds (receipt of the call to the refusal), mean and share under 1 ms',
    },
    sustainableConcurrency: sustainable,
    summary: { fixed: summarize(curves.fixed, fixedPeak), adaptive: summarize(curves.adaptive, adaptivePeak) },
    curves,
    totalS: (Date.now() - started) / 1000,
  };
  const file = path.resolve(ROOT, reportFile);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify(report, null, 2) + '\n');
  log(`summary ${JSON.stringify(report.summary)}`);
  log(`wrote ${path.relative(ROOT, file)} in ${report.totalS.toFixed(0)} s`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
