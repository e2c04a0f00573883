// Approximate nearest-neighbour retrieval bench (issue 15, part 5): at 1M+ synthetic items, how much
// of the exact top 10 does the HNSW retriever (libs/vector-retrieval) find, how fast does it answer
// against the exact kernel serving uses today (onnxruntime Gemm + TopK, same queries, same
// run), what does the graph cost in memory, and how long do a build and 10k incremental inserts take.
// Clustered vectors (hidden 64) so that recall means something; queries are drawn near the centres.
// Other processes share the cores: speeds are reported as ANN/exact ratios measured back to back,
// with os.loadavg() at the start and end of each phase.
//   npm run bench:ann -- [--quick] [--sizes 1000000,2000000] [--ann-queries 2000] [--exact-queries 40] [--ef-sweep 200,400] [--out FILE]
// HNSW settings: SCORER_ANN_M, SCORER_ANN_EF_CONSTRUCTION, SCORER_ANN_EF_SEARCH (the scorer's defaults).
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ItemScoreKernel, TopKRows } from '@recmesh/model-runtime';
import { gaussianSource, mulberry32 } from '@recmesh/numerics';
import { loadConfig } from '@recmesh/service-config';
import {
  clusterCentres,
  ExactSearch,
  HnswItemRetriever,
  hnswBytes,
  recallAtK,
  retrievalSettings,
  syntheticVectors,
  VectorRetrievalConfigSchema,
  VectorSource,
} from '@recmesh/vector-retrieval';
import { BenchProgress } from '../progress';

const ROOT = path.resolve(__dirname, '../../..');
const HIDDEN = 64;
const K = 10;
const BATCH = 16;
const NEW_ITEMS = 10_000;
const SEED = 42;

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const quick = process.argv.includes('--quick');
const sizes = (flag('sizes') ?? (quick ? '20000' : '1000000,2000000')).split(',').map(Number);
const annQueries = Number(flag('ann-queries') ?? (quick ? 300 : 2000));
const exactQueries = Number(flag('exact-queries') ?? (quick ? 50 : 40));
const out = flag('out') ?? path.join(ROOT, 'reports/bench-ann.json');
/** Other efSearch values measured on the same graph and queries (recall against speed, no rebuild). */
const efSweep = (flag('ef-sweep') ?? '').split(',').filter(Boolean).map(Number);
const settings = retrievalSettings(loadConfig(VectorRetrievalConfigSchema, process.env));
const progress = new BenchProgress('bench-ann');

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const loadavg = () => os.loadavg().map((x) => round(x, 2));
const mib = (bytes: number) => round(bytes / 2 ** 20, 1);

interface Latency {
  queries: number;
  queriesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  batch16QueriesPerSecond: number;
  loadavg: { start: number[]; end: number[] };
}

/** Users near the centres the items were drawn around: each favours a category, as shoppers do. */
function queriesNearCentres(count: number, clusters: number, seed: number): Float32Array {
  const centres = clusterCentres(clusters, HIDDEN, SEED);
  const normal = gaussianSource(mulberry32(seed));
  const uniform = mulberry32(seed + 1);
  const users = new Float32Array(count * HIDDEN);
  for (let u = 0; u < count; u++) {
    const c = Math.floor(uniform() * clusters);
    for (let j = 0; j < HIDDEN; j++) users[u * HIDDEN + j] = centres[c * HIDDEN + j] + (0.5 * normal()) / Math.sqrt(HIDDEN);
  }
  return users;
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** One query at a time (a lone request's latency), then batches of 16 (the micro-batcher's throughput). */
async function measure(search: (users: Float32Array, k: number) => Promise<TopKRows[]>, users: Float32Array, count: number): Promise<{ latency: Latency; answers: TopKRows[] }> {
  const start = loadavg();
  const answers: TopKRows[] = [];
  const times: number[] = [];
  const began = process.hrtime.bigint();
  for (let u = 0; u < count; u++) {
    const t = process.hrtime.bigint();
    answers.push((await search(users.subarray(u * HIDDEN, (u + 1) * HIDDEN), K))[0]);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    progress.step(u + 1, count, 'queries');
  }
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  const batches = Math.max(1, Math.floor(count / BATCH));
  const batchBegan = process.hrtime.bigint();
  for (let b = 0; b < batches; b++) await search(users.subarray(b * BATCH * HIDDEN, (b + 1) * BATCH * HIDDEN), K);
  const batchSeconds = Number(process.hrtime.bigint() - batchBegan) / 1e9;
  times.sort((a, b) => a - b);
  return {
    answers,
    latency: {
      queries: count,
      queriesPerSecond: round(count / seconds, 1),
      p50Ms: round(percentile(times, 0.5)),
      p99Ms: round(percentile(times, 0.99)),
      batch16QueriesPerSecond: round((batches * BATCH) / batchSeconds, 1),
      loadavg: { start, end: loadavg() },
    },
  };
}

async function benchSize(items: number, kernel: ItemScoreKernel) {
  const clusters = Math.max(100, Math.round(items / 1000));
  progress.phase(`${items} items: vectors`);
  // Room for the 10k items inserted later, as the catalog's matrix grows.
  const matrix = new Float32Array((items + 1 + NEW_ITEMS) * HIDDEN);
  matrix.set(syntheticVectors({ count: items, hidden: HIDDEN, clusters, seed: SEED }), HIDDEN);
  const source: { hidden: number; rowCount: number; matrix: Float32Array } = { hidden: HIDDEN, rowCount: items + 1, matrix };
  const view: VectorSource = { hidden: HIDDEN, get rowCount() { return source.rowCount; }, get matrix() { return matrix.subarray(0, source.rowCount * HIDDEN); } };
  const exact: ExactSearch = (src, users, k, options) => kernel.topK(src.matrix, src.rowCount, src.hidden, users, k, options);

  progress.phase(`${items} items: build`);
  const buildLoad = loadavg();
  // With --expose-gc (npm run bench:ann), the generation buffer is freed before the baseline, so the RSS delta is the graph's.
  collectGarbage();
  const rssBefore = process.memoryUsage().rss;
  const buildBegan = process.hrtime.bigint();
  const ann = await HnswItemRetriever.build(view, settings.hnsw, { exact, onProgress: (done, total) => progress.step(done, total, 'items') });
  const buildSeconds = Number(process.hrtime.bigint() - buildBegan) / 1e9;
  collectGarbage();
  const rssDelta = process.memoryUsage().rss - rssBefore;
  const build = {
    seconds: round(buildSeconds, 1),
    itemsPerSecond: Math.round(items / buildSeconds),
    rssDeltaBytes: rssDelta,
    rssDeltaMiBPerMillionItems: mib((rssDelta / items) * 1e6),
    indexBytesEstimate: ann.stats().indexBytes,
    indexMiBPerMillionItems: mib((hnswBytes(1e6, HIDDEN, settings.hnsw.m))),
    itemMatrixMiBPerMillionItems: mib(1e6 * HIDDEN * 4),
    loadavg: { start: buildLoad, end: loadavg() },
  };

  const queries = queriesNearCentres(Math.max(annQueries, exactQueries), clusters, SEED + 1);
  progress.phase(`${items} items: exact`);
  const exactRun = await measure((users, k) => exact(view, users, k, {}), queries, exactQueries);
  progress.phase(`${items} items: ann`);
  const annRun = await measure((users, k) => ann.topK(users, k), queries, annQueries);
  const recall = recallAtK(exactRun.answers, annRun.answers.slice(0, exactQueries), K);
  const sweep = [];
  for (const efSearch of efSweep) {
    progress.phase(`${items} items: ann at efSearch ${efSearch}`);
    ann.setEfSearch(efSearch);
    const run = await measure((users, k) => ann.topK(users, k), queries, annQueries);
    sweep.push({ efSearch, recallAt10: round(recallAtK(exactRun.answers, run.answers.slice(0, exactQueries), K), 4), ...run.latency });
  }
  ann.setEfSearch(settings.hnsw.efSearch);

  // 10k new items, each pointing at one query with a large norm: its top 1 once inserted.
  progress.phase(`${items} items: insert ${NEW_ITEMS}`);
  const insertLoad = loadavg();
  const probes = syntheticVectors({ count: NEW_ITEMS, hidden: HIDDEN, clusters: 0, seed: SEED + 2 });
  for (let i = 0; i < NEW_ITEMS; i++) for (let j = 0; j < HIDDEN; j++) matrix[(items + 1 + i) * HIDDEN + j] = 20 * probes[i * HIDDEN + j];
  source.rowCount = items + 1 + NEW_ITEMS;
  const insertBegan = process.hrtime.bigint();
  ann.insert(items + 1, items + NEW_ITEMS);
  const insertSeconds = Number(process.hrtime.bigint() - insertBegan) / 1e9;
  const checked = 200;
  let found = 0;
  for (let i = 0; i < checked; i++) if ((await ann.topK(probes.subarray(i * HIDDEN, (i + 1) * HIDDEN), 1))[0].rows[0] === items + 1 + i) found++;
  // The same queries as before the inserts: what scanning the recent rows exactly costs each query.
  progress.phase(`${items} items: ann after ${NEW_ITEMS} inserts`);
  const after = (await measure((users, k) => ann.topK(users, k), queries, annQueries)).latency;
  const insert = {
    items: NEW_ITEMS, seconds: round(insertSeconds, 2), itemsPerSecond: Math.round(NEW_ITEMS / insertSeconds), foundAsTop1: round(found / checked),
    recentRowsScannedExactly: ann.recentlyInserted, annAfterInserts: after, annQueriesPerSecondAfterOverBefore: round(after.queriesPerSecond / annRun.latency.queriesPerSecond, 2),
    loadavg: { start: insertLoad, end: loadavg() },
  };

  return {
    items,
    hidden: HIDDEN,
    clusters,
    recallAt10: round(recall, 4),
    exact: exactRun.latency,
    ann: annRun.latency,
    efSweep: sweep,
    annOverExact: {
      queriesPerSecond: round(annRun.latency.queriesPerSecond / exactRun.latency.queriesPerSecond, 1),
      batch16QueriesPerSecond: round(annRun.latency.batch16QueriesPerSecond / exactRun.latency.batch16QueriesPerSecond, 1),
      p99: round(annRun.latency.p99Ms / exactRun.latency.p99Ms, 4),
    },
    build,
    insert,
  };
}

async function main(): Promise<void> {
  const kernel = await ItemScoreKernel.open(HIDDEN, 'cpu');
  const results: Array<Awaited<ReturnType<typeof benchSize>>> = [];
  try {
    // The report is rewritten after each size, so a long run stopped early keeps what it measured.
    for (const items of sizes) {
      results.push(await benchSize(items, kernel));
      await writeReport(results, results.length < sizes.length);
    }
  } finally {
    await kernel.release();
  }
  progress.done();
  process.stdout.write(await fs.readFile(out, 'utf8'));
}

async function writeReport(results: unknown[], partial: boolean): Promise<void> {
  const report = {
    bench: 'ann',
    generatedAt: new Date().toISOString(),
    quick,
    partial,
    machine: { cpus: os.cpus().length, totalMemGiB: round(os.totalmem() / 2 ** 30, 1), node: process.version },
    setup: {
      vectors: 'clustered synthetic item vectors (syntheticVectors: max(100, items/1000) centres, spread 0.35, norms 0.6-1.4), hidden 64; queries near the centres',
      k: K,
      hnsw: settings.hnsw,
      exact: 'ItemScoreKernel (onnxruntime Gemm + TopK over the whole matrix), CPU, the kernel serving uses today',
      ann: 'HnswItemRetriever: hnswlib inner-product graph, fetch 2k (+ exclusions), ef = max(efSearch, fetch), exact float64 re-score',
      recall: 'recall@10 of ANN against the exact kernel on the first exactQueries queries',
      latency: 'queries one at a time (p50/p99 of a lone request), then batches of 16',
      insert: `${NEW_ITEMS} new items inserted into the built graph (no rebuild); foundAsTop1: 200 of them, each aligned with one query, must be that query's top 1; inserted rows the graph does not find for their own vector (up to RECENT_EXACT_ROWS) are also scored exactly on every query (recentRowsScannedExactly), and annAfterInserts times the same queries again with them`,
    },
    sizes: results,
  };
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
