// Serving benchmark for the gateway's Recommend (issue 4, deliverable 5b). For each catalog size: a
// synthetic model + embedded store, an in-process GatewayGrpcServer over InProcessScorerBackend, driven
// by a closed-loop gRPC load generator in a child process, with micro-batching ON and OFF, plus an
// onnxruntime MatMul [B,64]x[64,N] microbenchmark as the roofline. Writes reports/bench-serving.json.
//   node tools/run-ts.js tools/bench/serving/bench-serving.ts [--sizes 10000,100000] [--requests N] [--concurrency C]
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { Registry } from 'prom-client';
import { Action, resolveTopicNames } from '@recmesh/contracts';
import { GatewayGrpcServer, GatewayMetrics, InProcessScorerBackend } from '@recmesh/gateway-api';
import { InMemoryMessageBus } from '@recmesh/messaging';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { CatalogItemEntity, FeatureStore, openStore } from '@recmesh/persistence';
import { CatalogIndex, RecommendationScorer } from '@recmesh/scoring';
import { DataSource } from 'typeorm';
import type { LoadResult } from './load-client';
import { benchItemId, gemmModel, writeSyntheticModel } from './synthetic-model';

const ROOT = path.resolve(__dirname, '../../..');
const HIDDEN = 64;
const MAX_SEQ_LEN = 50;
const USERS = 1000;
const HISTORY = 20;
const K = 10;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const sizes = arg('sizes', '10000,100000,1000000').split(',').map(Number);
const requestsArg = arg('requests', '');
const concurrency = Number(arg('concurrency', '32'));
/** Default request count per run: enough for a stable p99 without blowing the time budget on big catalogs. */
const requestsFor = (n: number) => (requestsArg ? Number(requestsArg) : n >= 1_000_000 ? 300 : n >= 100_000 ? 1000 : 2000);
const log = (msg: string) => console.log(`[bench-serving ${new Date().toISOString()}] ${msg}`);

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const out = await work();
  return [out, Number(process.hrtime.bigint() - t0) / 1e9];
}

async function seedStore(ds: DataSource, n: number): Promise<void> {
  const now = Date.now();
  const repo = ds.getRepository(CatalogItemEntity);
  const CHUNK = 500;
  await ds.transaction(async (m) => {
    for (let i = 0; i < n; i += CHUNK) {
      const rows = Array.from({ length: Math.min(CHUNK, n - i) }, (_, j) => ({
        itemId: benchItemId(i + j), title: `Item ${i + j}`, description: '', categoryPath: ['Bench', `Cat ${(i + j) % 50}`], leafCategory: `Cat ${(i + j) % 50}`,
        brand: 'b0', price: 10, currency: 'EUR', inStock: 1, attributes: {}, deleted: 0, updatedTsMs: now,
      }));
      await m.createQueryBuilder().insert().into(repo.target).values(rows).execute();
    }
  });
  const features = new FeatureStore(ds);
  let rnd = 12345;
  const next = () => (rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0);
  await features.transaction(async (m) => {
    await features.saveSequences(
      m,
      Array.from({ length: USERS }, (_, u) => ({
        userId: `user-${u}`,
        steps: Array.from({ length: HISTORY }, (_, t) => ({ i: benchItemId(next() % n), a: t % 5 === 4 ? Action.ADD_TO_CART : Action.VIEW, t: now - 100_000 + t, s: 'S' })),
        updatedTsMs: now,
      })),
    );
  });
}

function runLoad(port: number, requests: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'tools/run-ts.js'), path.join(__dirname, 'load-client.ts'),
      '--target', `127.0.0.1:${port}`, '--requests', String(requests), '--concurrency', String(concurrency), '--users', String(USERS), '--k', String(K), '--warmup', String(concurrency * 2)],
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

interface ServingRun extends LoadResult {
  batching: { maxBatchSize: number; maxWaitMs: number; maxQueue: number };
  meanBatchSize: number;
  maxBatchSizeSeen: number;
}

async function serve(model: SequentialRecommenderModel, features: FeatureStore, catalog: CatalogIndex, maxBatchSize: number, requests: number): Promise<ServingRun> {
  const batching = { maxBatchSize, maxWaitMs: 2, maxQueue: 10_000 };
  const scorer = new RecommendationScorer({ model: () => model, features, catalog, batching, popularityHalfLifeMs: 72 * 3_600_000 });
  const bus = new InMemoryMessageBus();
  const topics = resolveTopicNames('');
  await bus.ensureTopics([{ name: topics.recommendationsServed, partitions: 6 }]);
  const server = new GatewayGrpcServer({
    backend: new InProcessScorerBackend(scorer), bus, servedTopic: topics.recommendationsServed, metrics: new GatewayMetrics(new Registry()),
    maxInFlight: 10_000, defaultDeadlineMs: 60_000,
  });
  const port = await server.start(0, '127.0.0.1');
  try {
    const result = await runLoad(port, requests);
    const sizesSeen = scorer.batchSizes();
    const meanBatchSize = sizesSeen.length ? sizesSeen.reduce((a, b) => a + b, 0) / sizesSeen.length : 1;
    return { ...result, batching, meanBatchSize, maxBatchSizeSeen: sizesSeen.length ? Math.max(...sizesSeen) : 0 };
  } finally {
    await server.stop(500);
    await bus.close();
  }
}

async function gemmRoofline(n: number, batchSizes: number[]): Promise<Array<{ batch: number; msPerMatMul: number; impliedMaxRps: number; iterations: number }>> {
  const session = await ort.InferenceSession.create(gemmModel(n, HIDDEN), { executionProviders: ['cpu'] });
  const out = [];
  try {
    for (const batch of batchSizes) {
      const users = new ort.Tensor('float32', Float32Array.from({ length: batch * HIDDEN }, () => Math.random() * 2 - 1), [batch, HIDDEN]);
      for (let i = 0; i < 3; i++) await session.run({ users });
      let iterations = 0;
      const t0 = process.hrtime.bigint();
      let elapsed = 0;
      while (iterations < 5 || (elapsed < 1.5 && iterations < 2000)) {
        await session.run({ users });
        iterations++;
        elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
      }
      const msPerMatMul = (elapsed * 1000) / iterations;
      out.push({ batch, msPerMatMul, impliedMaxRps: batch / (msPerMatMul / 1000), iterations });
    }
  } finally {
    await session.release();
  }
  return out;
}

async function benchSize(n: number): Promise<Record<string, unknown>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `recmesh-bench-serving-${n}-`));
  try {
    const [, writeS] = await timed(() => writeSyntheticModel(dir, n, HIDDEN, MAX_SEQ_LEN));
    log(`n=${n}: model written in ${writeS.toFixed(1)} s`);
    const [model, loadS] = await timed(() => SequentialRecommenderModel.load(dir, { preferCuda: false, logger: { info: () => undefined, warn: (m: string) => log(m) } }));
    const ds = await openStore({ kind: 'embedded' });
    try {
      const [, seedS] = await timed(() => seedStore(ds, n));
      const catalog = new CatalogIndex(ds);
      await catalog.reload();
      const features = new FeatureStore(ds);
      log(`n=${n}: model loaded in ${loadS.toFixed(1)} s, store seeded in ${seedS.toFixed(1)} s (${catalog.size} items)`);
      const requests = requestsFor(n);
      const on = await serve(model, features, catalog, 64, requests);
      log(`n=${n}: batching ON  ${on.rps.toFixed(1)} req/s p50 ${on.p50Ms.toFixed(1)} ms p99 ${on.p99Ms.toFixed(1)} ms errors ${on.errors} mean batch ${on.meanBatchSize.toFixed(1)}`);
      const off = await serve(model, features, catalog, 1, Math.max(100, Math.round(requests / 2)));
      log(`n=${n}: batching OFF ${off.rps.toFixed(1)} req/s p50 ${off.p50Ms.toFixed(1)} ms p99 ${off.p99Ms.toFixed(1)} ms errors ${off.errors}`);
      await model.release();
      const batchForGemm = Math.max(1, Math.round(on.meanBatchSize));
      const gemm = await gemmRoofline(n, [...new Set([batchForGemm, 1])]);
      for (const g of gemm) log(`n=${n}: GEMM B=${g.batch} ${g.msPerMatMul.toFixed(2)} ms -> ${g.impliedMaxRps.toFixed(0)} req/s`);
      const roofline = gemm.find((g) => g.batch === batchForGemm) ?? gemm[0];
      const roofline1 = gemm.find((g) => g.batch === 1) ?? gemm[0];
      return {
        catalogSize: n,
        setup: { modelWriteS: writeS, modelLoadS: loadS, storeSeedS: seedS },
        batchingOn: on,
        batchingOff: off,
        gemm,
        ratios: {
          batchingOnRps_over_batchingOffRps: on.rps / off.rps,
          batchingOnRps_over_gemmRooflineRps_atMeanBatch: on.rps / roofline.impliedMaxRps,
          batchingOffRps_over_gemmRooflineRps_atB1: off.rps / roofline1.impliedMaxRps,
          batchingOnP99_over_batchingOffP99: on.p99Ms / off.p99Ms,
        },
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
  const results = [];
  for (const n of sizes) results.push(await benchSize(n));
  const report = {
    benchmark: 'gateway Recommend serving (issue 4, deliverable 5b)',
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, totalMemGiB: os.totalmem() / 2 ** 30, platform: `${os.platform()} ${os.release()}`,
      node: process.version, onnxruntimeNode: (require(path.join(ROOT, 'node_modules/onnxruntime-node/package.json')) as { version: string }).version,
      note: 'shared machine; load generator, gateway and scorer share the same cores',
    },
    settings: {
      sizes, concurrency, k: K, users: USERS, historySteps: HISTORY, hidden: HIDDEN, maxSeqLen: MAX_SEQ_LEN,
      requestsPerSize: Object.fromEntries(sizes.map((n) => [n, { batchingOn: requestsFor(n), batchingOff: Math.max(100, Math.round(requestsFor(n) / 2)) }])),
      batchingOn: { maxBatchSize: 64, maxWaitMs: 2 }, batchingOff: { maxBatchSize: 1, maxWaitMs: 2 },
      loadGenerator: 'closed-loop grpc-js client in a child process (tools/bench/serving/load-client.ts), random users, warm-up 2xC calls not counted',
      gemm: 'onnxruntime-node CPU InferenceSession, single MatMul [B,64]x[64,N], B = round(mean batch size with batching ON) and B = 1; implied max req/s = B / time per MatMul',
      storeSeeding: 'catalog_items inserted with a bulk TypeORM insert (not CatalogStore.applyBatch, too slow at 1M on sql.js); sequences via FeatureStore.saveSequences',
    },
    results,
    totalS: (Date.now() - started) / 1000,
  };
  const file = path.join(ROOT, 'reports/bench-serving.json');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify(report, null, 2) + '\n');
  log(`wrote ${path.relative(ROOT, file)} in ${report.totalS.toFixed(0)} s`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
