// Serving benchmark for the gateway's Recommend (issue 4, deliverable 5b). For each catalog size: a
// synthetic model + embedded store, an in-process GatewayGrpcServer over the RecommendationScorer, driven
// by ghz (github.com/bojand/ghz, pinned and installed by install-ghz.sh; closed loop, C workers) in its
// own process, with micro-batching ON and OFF, plus an onnxruntime MatMul [B,64]x[64,N] microbenchmark
// as the roofline (roofline.ts). When ghz cannot be installed it falls back to the grpc-js client in load-client.ts
// and says so in the report ("loadGenerator"). Writes reports/bench-serving.json.
//   node tools/run-ts.js tools/bench/serving/bench-serving.ts [--sizes 10000,100000] [--duration S] [--runs N] [--concurrency C]
//     [--roofline-seconds S] [--quick] [--load-generator auto|ghz|grpc-js] [--max-error-fraction 0.01] [--providers cpu|cuda|cpu,cuda]
// Each load phase runs --duration seconds (default 15) and the roofline is timed call by call for
// --roofline-seconds per batch size (default 2.5); --runs N (default 3) repeats load phases and roofline
// N times per size on the same model and store, and the report gives each ratio's median, min and max
// over the runs. Throughput figures are ratios within a run: the machine is shared (os.loadavg is
// recorded at the start and end of each phase). --quick (CI): 10k items, 3 s phases, 0.5 s roofline, 1 run.
// --providers cpu,cuda runs every size on each onnxruntime execution provider in the same run and
// reports CUDA/CPU ratios ("providerComparison"); CUDA needs `npm run cuda:install` on a GPU host
// and fails the bench rather than measuring a CPU fallback. Default: cpu only, as before.
import { execFileSync, spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Registry } from 'prom-client';
import { resolveTopicNames } from '@recmesh/contracts';
import { GatewayGrpcServer, GatewayMetrics } from '@recmesh/gateway-api';
import { InMemoryMessageBus } from '@recmesh/messaging';
import { ExecutionProvider, SequentialRecommenderModel } from '@recmesh/model-runtime';
import { CatalogStore, FeatureStore, openStore } from '@recmesh/persistence';
import { RecommendationScorer } from '@recmesh/scoring';
import { median } from '@recmesh/numerics';
import { CatalogIndex, RecommendationBackend } from '@recmesh/serving-core';
import type { LoadResult } from './load-client';
import { writeSyntheticModel } from './synthetic-model';
import { HIDDEN, HISTORY, K, MAX_SEQ_LEN, seedServingStore, USERS } from './bench-store';
import { ghzPercentileMs, installGhz, RECOMMEND_METHOD, runGhz } from './ghz';
import { measureRoofline, RooflinePoint } from './roofline';
import { BenchProgress } from '../progress';

const ROOT = path.resolve(__dirname, '../../..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const quick = process.argv.includes('--quick');
const sizes = arg('sizes', quick ? '10000' : '10000,100000,1000000').split(',').map(Number);
/** Seconds per load phase (ghz --duration): long enough that a few slow batches do not swing the rate. */
const phaseSeconds = Number(arg('duration', quick ? '3' : '15'));
/** Seconds of timed MatMul calls per batch size. */
const rooflineSeconds = Number(arg('roofline-seconds', quick ? '0.5' : '2.5'));
const runs = Number(arg('runs', quick ? '1' : '3'));
for (const [name, v] of Object.entries({ duration: phaseSeconds, 'roofline-seconds': rooflineSeconds, runs })) {
  if (!(v > 0) || (name === 'runs' && !Number.isInteger(v))) throw new Error(`--${name} must be a positive ${name === 'runs' ? 'integer' : 'number'}, not ${v}`);
}
for (const n of sizes) if (!Number.isInteger(n) || n < 2) throw new Error(`--sizes takes item counts of at least 2, not ${n}`);
const concurrency = Number(arg('concurrency', '32'));
/** auto: ghz if install-ghz.sh succeeds, else the grpc-js client; ghz: fail without ghz; grpc-js: never try ghz. */
const loadGeneratorChoice = arg('load-generator', 'auto');
/** A run whose failed calls exceed this fraction of its requests fails the bench. */
const maxErrorFraction = Number(arg('max-error-fraction', '0.01'));
const maxWaitMs = Number(arg('max-wait-ms', '2'));
const reportFile = arg('out', 'reports/bench-serving.json');
const providers = arg('providers', 'cpu').split(',').map((p) => p.trim()) as ExecutionProvider[];
for (const p of providers) if (p !== 'cpu' && p !== 'cuda') throw new Error(`--providers takes cpu and/or cuda, not ${p}`);
const WARMUP = concurrency * 2;
/** Same workload as the grpc-js client: each call for a uniformly random seeded user (user-0 .. user-USERS-1). */
const GHZ_DATA = JSON.stringify({ user_id: `user-{{randomInt 0 ${USERS}}}`, k: K });
const log = (msg: string) => console.log(`[bench-serving ${new Date().toISOString()}] ${msg}`);

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const out = await work();
  return [out, Number(process.hrtime.bigint() - t0) / 1e9];
}

type LoadGenerator = { kind: 'ghz'; bin: string; version: string; label: string } | { kind: 'grpc-js'; label: string; reason: string };

/** Runs install-ghz.sh (installs the pinned ghz if missing, prints its path); falls back to grpc-js unless ghz was asked for. */
function resolveLoadGenerator(): LoadGenerator {
  if (!['auto', 'ghz', 'grpc-js'].includes(loadGeneratorChoice)) throw new Error(`--load-generator must be auto, ghz or grpc-js, not ${loadGeneratorChoice}`);
  if (loadGeneratorChoice === 'grpc-js') return { kind: 'grpc-js', label: 'grpc-js', reason: '--load-generator grpc-js' };
  const install = installGhz();
  if (install.ok) return { kind: 'ghz', bin: install.bin, version: install.version, label: `ghz ${install.version}` };
  const reason = install.reason;
  if (loadGeneratorChoice === 'ghz') throw new Error(`ghz requested with --load-generator ghz but ${reason}`);
  log(`WARNING: ghz unavailable: ${reason}; falling back to the grpc-js load client (tools/bench/serving/load-client.ts); the report records "loadGenerator": "grpc-js"`);
  return { kind: 'grpc-js', label: 'grpc-js', reason };
}

function runGrpcJsLoad(port: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'tools/run-ts.js'), path.join(__dirname, 'load-client.ts'),
      '--target', `127.0.0.1:${port}`, '--duration', String(phaseSeconds), '--concurrency', String(concurrency), '--users', String(USERS), '--k', String(K), '--warmup', String(WARMUP)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('LOAD_RESULT '));
      if (code !== 0 || !line) reject(new Error(`load client exited ${code}: ${out}`));
      else resolve(JSON.parse(line.slice('LOAD_RESULT '.length)) as LoadResult);
    });
  });
}

// ghz reads the method from the gateway's server reflection: its own .proto parser (ghz v0.93.0's
// protoreflect) rejects proto3 `optional` fields (Filters.min_price) in gateway.proto, so --proto is not used.
// A timed phase ends with --duration-stop ignore: calls still in flight at the end are neither
// counted nor reported as errors (ghz's default, close, cancels them and reports them as failures).
function ghzArgs(port: number, length: { total: number } | { seconds: number }): string[] {
  return [
    '--insecure', '--call', RECOMMEND_METHOD,
    '--data', GHZ_DATA, '--concurrency', String(concurrency), '--connections', '1',
    ...('total' in length ? ['--total', String(length.total)] : ['--duration', `${length.seconds}s`, '--duration-stop', 'ignore']),
    '--timeout', '60s', `127.0.0.1:${port}`,
  ];
}

/** ghz run mapped onto the grpc-js client's LoadResult: rps counts OK calls only, percentiles are ghz's (OK calls). */
async function runGhzLoad(bin: string, port: number): Promise<LoadResult & { ghz: Record<string, unknown> }> {
  const warm = await runGhz(bin, ghzArgs(port, { total: WARMUP })); // warm-up, not counted (the grpc-js client does the same in-process)
  const warmOk = warm.statusCodeDistribution?.OK ?? 0;
  if (warmOk < WARMUP) log(`warm-up: ${WARMUP - warmOk} of ${WARMUP} calls failed: ${JSON.stringify(warm.statusCodeDistribution)}`);
  const rep = await runGhz(bin, ghzArgs(port, { seconds: phaseSeconds }));
  const codes = rep.statusCodeDistribution ?? {};
  const ok = codes.OK ?? 0;
  const requests = rep.count;
  const errorCodes: Record<string, number> = Object.fromEntries(Object.entries(codes).filter(([code]) => code !== 'OK'));
  const pct = (p: number) => ghzPercentileMs(rep, p);
  const durationS = rep.total / 1e9;
  return {
    requests, concurrency, ok, errors: requests - ok, errorCodes, durationS, rps: ok / durationS,
    p50Ms: pct(50), p90Ms: pct(90), p99Ms: pct(99), meanMs: rep.average / 1e6, maxMs: rep.slowest / 1e6,
    ghz: { count: rep.count, rps: rep.rps, endReason: rep.endReason, errorDistribution: rep.errorDistribution ?? {}, latencyDistributionMs: Object.fromEntries((rep.latencyDistribution ?? []).map((d) => [`p${d.percentage}`, d.latency / 1e6])) },
  };
}

function runLoad(gen: LoadGenerator, port: number): Promise<LoadResult> {
  return gen.kind === 'ghz' ? runGhzLoad(gen.bin, port) : runGrpcJsLoad(port);
}

function checkErrors(n: number, label: string, run: LoadResult): void {
  if (run.errors > maxErrorFraction * run.requests) {
    throw new Error(`n=${n} ${label}: ${run.errors} of ${run.requests} calls failed (limit ${(maxErrorFraction * 100).toFixed(1)}%): ${JSON.stringify(run.errorCodes)}` +
      ('ghz' in run ? ` ${JSON.stringify((run as { ghz: { errorDistribution: unknown } }).ghz.errorDistribution)}` : ''));
  }
}

interface ServingRun extends LoadResult {
  batching: { maxBatchSize: number; maxWaitMs: number; maxQueue: number };
  meanBatchSize: number;
  maxBatchSizeSeen: number;
  loadavg: { start: number[]; end: number[] };
}

/** The gateway's gRPC server over `backend`, in this process, under the run's load generator. */
async function serveBackend(gen: LoadGenerator, backend: RecommendationBackend): Promise<LoadResult & { loadavg: { start: number[]; end: number[] } }> {
  const bus = new InMemoryMessageBus();
  const topics = resolveTopicNames('');
  await bus.ensureTopics([{ name: topics.recommendationsServed, partitions: 6 }]);
  const server = new GatewayGrpcServer({
    backend, bus, servedTopic: topics.recommendationsServed, metrics: new GatewayMetrics(new Registry()),
    maxInFlight: 10_000, defaultDeadlineMs: 60_000,
  });
  const port = await server.start(0, '127.0.0.1');
  try {
    const start = os.loadavg();
    const result = await runLoad(gen, port);
    return { ...result, loadavg: { start, end: os.loadavg() } };
  } finally {
    await server.stop(500);
    await bus.close();
  }
}

async function serve(gen: LoadGenerator, model: SequentialRecommenderModel, features: FeatureStore, catalog: CatalogIndex, maxBatchSize: number): Promise<ServingRun> {
  const batching = { maxBatchSize, maxWaitMs, maxQueue: 10_000 };
  const scorer = new RecommendationScorer({ model: () => model, features, catalog, batching, popularityHalfLifeMs: 72 * 3_600_000 });
  const result = await serveBackend(gen, scorer);
  const sizesSeen = scorer.batchSizes();
  const meanBatchSize = sizesSeen.length ? sizesSeen.reduce((a, b) => a + b, 0) / sizesSeen.length : 1;
  return { ...result, batching, meanBatchSize, maxBatchSizeSeen: sizesSeen.length ? Math.max(...sizesSeen) : 0 };
}

/**
 * The same gateway server and load with a backend that answers every call with the same K items and
 * reasons, no model and no store: the most this request path (grpc-js, protobuf, the gateway's checks,
 * admission and served-list event, the load generator beside it) can carry here, whatever scoring costs.
 */
async function transportFloor(gen: LoadGenerator): Promise<LoadResult & { loadavg: { start: number[]; end: number[] } }> {
  const items = Array.from({ length: K }, (_, i) => ({ itemId: `item-${i + 1}`, score: 1 - i / K, reason: 'Because you viewed item-0', reasonCode: 'sequence' as const }));
  const answer = async () => ({ items, modelVersion: 'canned' });
  return serveBackend(gen, { recommend: answer, similarItems: answer, isReady: () => true });
}

interface RunResult {
  run: number;
  batchingOn: ServingRun;
  batchingOff: ServingRun;
  gemm: RooflinePoint[];
  ratios: Record<string, number>;
}

function spreadOf(values: number[]): { median: number; min: number; max: number; values: number[] } {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), values };
}

/** Each ratio's (and batching ON p99's) median, min and max over the runs of one size. */
function spread(measured: readonly RunResult[]): Record<string, { median: number; min: number; max: number; values: number[] }> {
  const series: Record<string, number[]> = { batchingOnP99Ms: measured.map((r) => r.batchingOn.p99Ms), batchingOnRps: measured.map((r) => r.batchingOn.rps) };
  for (const key of Object.keys(measured[0].ratios)) series[key] = measured.map((r) => r.ratios[key]);
  return Object.fromEntries(Object.entries(series).map(([key, values]) => [key, spreadOf(values)]));
}

async function benchSize(gen: LoadGenerator, n: number, provider: ExecutionProvider, floorRps: number): Promise<Record<string, unknown>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `recmesh-bench-serving-${n}-`));
  try {
    const [, writeS] = await timed(() => writeSyntheticModel(dir, n, HIDDEN, MAX_SEQ_LEN));
    log(`n=${n}: model written in ${writeS.toFixed(1)} s`);
    const [model, loadS] = await timed(() => SequentialRecommenderModel.load(dir, { preferCuda: provider === 'cuda', logger: { info: () => undefined, warn: (m: string) => log(m) } }));
    log(`n=${n}: model on ${model.executionProvider} (${model.executionProviderReason})`);
    if (model.executionProvider !== provider) {
      await model.release();
      throw new Error(`--providers ${provider}: the model runs on ${model.executionProvider} (${model.executionProviderReason}); on a GPU host run npm run cuda:install first`);
    }
    const ds = await openStore({ kind: 'embedded' });
    try {
      const [, seedS] = await timed(() => seedServingStore(ds, n, USERS, HISTORY));
      const catalog = new CatalogIndex(new CatalogStore(ds));
      await catalog.reload();
      const features = new FeatureStore(ds);
      log(`n=${n}: model loaded in ${loadS.toFixed(1)} s, store seeded in ${seedS.toFixed(1)} s (${catalog.size} items)`);
      const measured: RunResult[] = [];
      for (let run = 1; run <= runs; run++) {
        const on = await serve(gen, model, features, catalog, 64);
        log(`n=${n} run ${run}/${runs}: batching ON  ${on.rps.toFixed(1)} req/s p50 ${on.p50Ms.toFixed(1)} ms p99 ${on.p99Ms.toFixed(1)} ms errors ${on.errors} ${JSON.stringify(on.errorCodes)} mean batch ${on.meanBatchSize.toFixed(1)}`);
        checkErrors(n, 'batching ON', on);
        const off = await serve(gen, model, features, catalog, 1);
        log(`n=${n} run ${run}/${runs}: batching OFF ${off.rps.toFixed(1)} req/s p50 ${off.p50Ms.toFixed(1)} ms p99 ${off.p99Ms.toFixed(1)} ms errors ${off.errors} ${JSON.stringify(off.errorCodes)}`);
        checkErrors(n, 'batching OFF', off);
        const batchForGemm = Math.max(1, Math.round(on.meanBatchSize));
        const gemm = await measureRoofline(n, HIDDEN, [...new Set([batchForGemm, 1])], provider, rooflineSeconds);
        for (const g of gemm) log(`n=${n} run ${run}/${runs}: MatMul B=${g.batch} median ${g.msPerCall.median.toFixed(2)} ms (p10 ${g.msPerCall.p10.toFixed(2)}, p90 ${g.msPerCall.p90.toFixed(2)}, ${g.calls} calls) -> ${g.impliedMaxRps.toFixed(0)} req/s`);
        const roofline = gemm.find((g) => g.batch === batchForGemm) ?? gemm[0];
        const roofline1 = gemm.find((g) => g.batch === 1) ?? gemm[0];
        const ratios = {
          batchingOnRps_over_batchingOffRps: on.rps / off.rps,
          batchingOnRps_over_gemmRooflineRps_atMeanBatch: on.rps / roofline.impliedMaxRps,
          // Against the fastest tenth of MatMul calls: other processes on a shared machine only ever slow calls down.
          batchingOnRps_over_gemmRooflineRps_atMeanBatch_p10: on.rps / (roofline.batch / (roofline.msPerCall.p10 / 1000)),
          batchingOffRps_over_gemmRooflineRps_atB1: off.rps / roofline1.impliedMaxRps,
          batchingOnP99_over_batchingOffP99: on.p99Ms / off.p99Ms,
          batchingOnRps_over_transportFloorRps: on.rps / floorRps,
          // Above 1: half the roofline is more than the request path carries with no scoring at all.
          halfGemmRooflineRps_over_transportFloorRps: (0.5 * roofline.impliedMaxRps) / floorRps,
        };
        log(`n=${n} run ${run}/${runs}: serving/roofline ${ratios.batchingOnRps_over_gemmRooflineRps_atMeanBatch.toFixed(3)}, batching on/off ${ratios.batchingOnRps_over_batchingOffRps.toFixed(2)}x`);
        measured.push({ run, batchingOn: on, batchingOff: off, gemm, ratios });
      }
      await model.release();
      const last = measured[measured.length - 1];
      return {
        catalogSize: n,
        executionProvider: provider,
        executionProviderReason: model.executionProviderReason,
        setup: { modelWriteS: writeS, modelLoadS: loadS, storeSeedS: seedS },
        // The last run's figures at the top level (the shape earlier reports had), every run under `runs`.
        batchingOn: last.batchingOn,
        batchingOff: last.batchingOff,
        gemm: last.gemm,
        ratios: last.ratios,
        overRuns: spread(measured),
        runs: measured,
      };
    } finally {
      await ds.destroy();
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const gen = resolveLoadGenerator();
  log(`load generator: ${gen.label}${gen.kind === 'ghz' ? ` (${gen.bin})` : ` (${gen.reason})`}`);
  const progress = new BenchProgress('bench-serving');
  progress.phase('transport floor: the gateway server over a canned backend');
  const floorRuns: Array<Awaited<ReturnType<typeof transportFloor>>> = [];
  for (let run = 1; run <= runs; run++) {
    const floor = await transportFloor(gen);
    log(`transport floor run ${run}/${runs}: ${floor.rps.toFixed(1)} req/s p50 ${floor.p50Ms.toFixed(1)} ms p99 ${floor.p99Ms.toFixed(1)} ms errors ${floor.errors}`);
    checkErrors(0, 'transport floor', floor);
    floorRuns.push(floor);
  }
  const floorRps = median(floorRuns.map((r) => r.rps));
  const results: Array<Record<string, unknown>> = [];
  for (const n of sizes) {
    for (const provider of providers) {
      progress.phase(`${n} items on ${provider}: synthetic model, store, Recommend with batching on and off, GEMM ceiling`);
      results.push(await benchSize(gen, n, provider, floorRps));
    }
  }
  progress.done();
  const providerComparison = providers.includes('cpu') && providers.includes('cuda') ? compareProviders(results) : undefined;
  const report = {
    benchmark: 'gateway Recommend serving (issue 4, deliverable 5b)',
    generatedAt: new Date().toISOString(),
    loadGenerator: gen.label,
    machine: {
      cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, totalMemGiB: os.totalmem() / 2 ** 30, platform: `${os.platform()} ${os.release()}`,
      node: process.version, onnxruntimeNode: (require(path.join(ROOT, 'node_modules/onnxruntime-node/package.json')) as { version: string }).version,
      note: 'shared machine; load generator, gateway and scorer share the same cores',
      ...(providers.includes('cuda') ? { gpu: gpuName() } : {}),
    },
    settings: {
      sizes, providers, concurrency, k: K, users: USERS, historySteps: HISTORY, hidden: HIDDEN, maxSeqLen: MAX_SEQ_LEN,
      quick, phaseSeconds, rooflineSeconds, runs,
      runsNote: 'each size: model and store set up once, then `runs` x (batching ON phase, batching OFF phase, MatMul roofline); overRuns gives median/min/max over the runs',
      batchingOn: { maxBatchSize: 64, maxWaitMs }, batchingOff: { maxBatchSize: 1, maxWaitMs },
      loadGeneratorDetails: gen.kind === 'ghz'
        ? `ghz ${gen.version} (github.com/bojand/ghz, go install via tools/bench/serving/install-ghz.sh) in its own process: closed loop, ` +
          `${concurrency} workers on 1 connection, --insecure, method from the gateway's server reflection, --call ${RECOMMEND_METHOD} --data '${GHZ_DATA}' ` +
          `(uniformly random seeded user per call) --duration ${phaseSeconds}s --duration-stop ignore --timeout 60s --format json; a separate ${WARMUP}-call ghz run first as warm-up, not counted; ` +
          'rps = OK calls / ghz total time, p50/p90/p99 = ghz latencyDistribution (OK calls)'
        : `closed-loop grpc-js client in a child process (tools/bench/serving/load-client.ts), random users, warm-up 2xC calls not counted; ghz not used: ${gen.reason}`,
      maxErrorFraction,
      gemm: `onnxruntime-node InferenceSession with the serving kernel's session options (scoreSessionOptions: same threads) on the run's execution provider (CUDA without CPU fallback), ` +
        `single MatMul [B,64]x[64,N] with the item matrix as an initializer, B = round(mean batch size with batching ON) and B = 1, each timed call by call for ${rooflineSeconds} s (at least 20 calls) after 5 warm-up calls; ` +
        'implied max req/s = B / median time per call (p10/p90 reported)',
      storeSeeding: 'catalog_items inserted with a bulk TypeORM insert (not CatalogStore.applyBatch, too slow at 1M on the embedded store); sequences via FeatureStore.saveSequences',
    },
    transportFloor: {
      what: `the same GatewayGrpcServer and load generator over a backend answering every call with the same ${K} items (no model, no store), ${runs} run(s): the most req/s this request path carries here whatever scoring costs`,
      rps: spreadOf(floorRuns.map((r) => r.rps)),
      p99Ms: spreadOf(floorRuns.map((r) => r.p99Ms)),
      runs: floorRuns,
    },
    results,
    ...(providerComparison ? { providerComparison } : {}),
    totalS: (Date.now() - started) / 1000,
  };
  const file = path.resolve(ROOT, reportFile);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify(report, null, 2) + '\n');
  log(`wrote ${path.relative(ROOT, file)} in ${report.totalS.toFixed(0)} s`);
}

/** CUDA against CPU per catalog size, both measured in this run (above 1: CUDA better). */
function compareProviders(results: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  type Run = { catalogSize: number; executionProvider: ExecutionProvider; batchingOn: ServingRun; batchingOff: ServingRun; gemm: Array<{ batch: number; msPerMatMul: number }> };
  const runs = results as unknown as Run[];
  const run = (n: number, provider: ExecutionProvider) => {
    const found = runs.find((r) => r.catalogSize === n && r.executionProvider === provider);
    if (!found) throw new Error(`no ${provider} run for n=${n}`);
    return found;
  };
  const gemmB1 = (r: Run) => {
    const g = r.gemm.find((x) => x.batch === 1);
    if (!g) throw new Error(`no B=1 GEMM on ${r.executionProvider} for n=${r.catalogSize}`);
    return g.msPerMatMul;
  };
  return sizes.map((n) => {
    const cpu = run(n, 'cpu');
    const cuda = run(n, 'cuda');
    const ratios = {
      batchingOn_cudaRps_over_cpuRps: cuda.batchingOn.rps / cpu.batchingOn.rps,
      batchingOn_cpuP99_over_cudaP99: cpu.batchingOn.p99Ms / cuda.batchingOn.p99Ms,
      batchingOff_cudaRps_over_cpuRps: cuda.batchingOff.rps / cpu.batchingOff.rps,
      batchingOff_cpuP99_over_cudaP99: cpu.batchingOff.p99Ms / cuda.batchingOff.p99Ms,
      gemmB1_cpuMs_over_cudaMs: gemmB1(cpu) / gemmB1(cuda),
    };
    log(`n=${n}: CUDA/CPU requests/s ${ratios.batchingOn_cudaRps_over_cpuRps.toFixed(2)}x with batching, ${ratios.batchingOff_cudaRps_over_cpuRps.toFixed(2)}x without; GEMM B=1 ${ratios.gemmB1_cpuMs_over_cudaMs.toFixed(2)}x`);
    return { catalogSize: n, ...ratios };
  });
}

function gpuName(): string {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], { encoding: 'utf8' }).trim();
  } catch (e) {
    return `unknown (nvidia-smi: ${(e as Error).message})`;
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
