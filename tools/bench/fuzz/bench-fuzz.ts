/**
 * Hostile input at scale (issue 13, deliverable 7): property-based fuzzing of every surface with
 * fast-check, the same targets the *.fuzz.spec.ts run briefly in CI, here with 100,000 generated
 * inputs per surface by default:
 *   raw-clickstream, raw-catalog   raw records (JSON, protobuf, damaged, arbitrary) through IngestPipeline
 *   request-validation             Recommend/SimilarItems/Bundle/Score/ScoreSimilar through the one validation
 *   gateway-grpc                   requests, request bytes and HTTP/2 bodies to a real grpc-js gateway
 *   model-load                     broken manifests and .onnx files through SequentialRecommenderModel.load
 *   config                         env maps through loadConfig of every service's schema
 * A crash is any exception the surface does not document (or a broken contract: a rejection without
 * its reason, a row MySQL would refuse); a hang is an input over its time budget. Writes
 * reports/bench-fuzz.json (inputs, outcomes and rejections by reason, crashes, hangs, slowest input,
 * inputs/s, log lines per surface) and exits 1 on any crash or hang.
 *   npm run bench:fuzz [-- --count 100000] [--seed 13] [--only raw-catalog,config] [--out FILE]
 * (--only reruns those surfaces and keeps the other surfaces' figures of the report it rewrites)
 *   npm run bench:fuzz -- --short   (2,000 inputs per surface, about a minute)
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Logger, LoggerService } from '@nestjs/common';
import { FeedbackConfigSchema } from '@recmesh/attribution';
import { BundlerConfigSchema } from '@recmesh/bundle-service';
import { ExperimentsConfigSchema } from '@recmesh/experiments';
import { FeatureBuilderConfigSchema } from '@recmesh/features';
import { GatewayAddressesConfigSchema, GatewayConfigSchema } from '@recmesh/gateway-api';
import { GatewayFuzzTarget, gatewayInputs } from '@recmesh/gateway-api/testing';
import { IngestConfigSchema } from '@recmesh/ingestion';
import { IngestFuzzTarget, rawRecords } from '@recmesh/ingestion/testing';
import { ModelFuzzTarget, modelInputs } from '@recmesh/model-runtime/testing';
import { PrivacyConfigSchema } from '@recmesh/privacy';
import { ScorerConfigSchema } from '@recmesh/scoring';
import { ConfigSchema } from '@recmesh/service-config';
import { checkConfig, configEnvs } from '@recmesh/service-config/testing';
import { checkServingRequest, servingRequests } from '@recmesh/serving-core/testing';
import { StorefrontConfigSchema } from '@recmesh/storefront';
import { TrainerConfigSchema } from '@recmesh/training';
import * as fc from 'fast-check';
import { BenchProgress } from '../progress';

const ROOT = path.resolve(__dirname, '../../..');

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
}

const SHORT = process.argv.includes('--short');
const COUNT = Number(flag('count', SHORT ? '2000' : '100000'));
const SEED = Number(flag('seed', '13'));
const ONLY = flag('only', '').split(',').filter(Boolean);
const OUT = path.resolve(ROOT, flag('out', 'reports/bench-fuzz.json'));
/** Chunk of inputs generated at once (fc.sample), each chunk with its own derived seed. */
const CHUNK = 500;
const CRASH_EXAMPLES = 5;

/** Every service's schema, as its apps/<service>/src/main.ts loads it (standalone is their union). */
const SERVICE_SCHEMAS: Record<string, ConfigSchema> = {
  ingest: IngestConfigSchema,
  'feature-builder': FeatureBuilderConfigSchema,
  scorer: ScorerConfigSchema,
  gateway: { ...GatewayConfigSchema, ...GatewayAddressesConfigSchema },
  bundler: BundlerConfigSchema,
  trainer: TrainerConfigSchema,
  feedback: { ...FeedbackConfigSchema, ...ExperimentsConfigSchema, ...PrivacyConfigSchema },
  storefront: StorefrontConfigSchema,
};

interface Surface<T> {
  readonly name: string;
  readonly what: string;
  readonly arbitrary: fc.Arbitrary<T>;
  /** Per-input time budget: an input over it is a hang. */
  readonly budgetMs: number;
  /** 'accepted'/'loaded'/'OK'-like outcomes or the rejection's reason; throws on a crash. */
  check(input: T): Promise<string> | string;
  /** Rejection outcomes, as opposed to acceptance. */
  isRejection(outcome: string): boolean;
  close?(): Promise<void>;
}

interface SurfaceReport {
  readonly what: string;
  readonly inputs: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly rejectionsByReason: Record<string, number>;
  readonly acceptedByKind: Record<string, number>;
  readonly crashes: number;
  readonly crashExamples: Array<{ error: string; input: string }>;
  readonly hangs: number;
  readonly budgetMs: number;
  readonly slowestInputMs: number;
  /** The slowest inputs, to tell a real hang from a loaded machine. */
  readonly slowestInputs: Array<{ ms: number; input: string }>;
  readonly inputsPerSecond: number;
  readonly wallSeconds: number;
  /** Lines the code under test logged (Nest Logger) during the surface's run. */
  readonly logLines: number;
}

/** Counts what Nest's Logger writes while a surface runs (bad input must not log a line each). */
class CountingLogger implements LoggerService {
  lines = 0;
  log(): void {
    this.lines++;
  }
  error(): void {
    this.lines++;
  }
  warn(): void {
    this.lines++;
  }
  debug(): void {
    this.lines++;
  }
  verbose(): void {
    this.lines++;
  }
}

function describeInput(input: unknown): string {
  const text = JSON.stringify(input, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)) ?? String(input);
  return text.length > 600 ? `${text.slice(0, 600)}... (${text.length} characters)` : text;
}

async function runSurface<T>(surface: Surface<T>, index: number, progress: BenchProgress, logger: CountingLogger): Promise<SurfaceReport> {
  progress.phase(surface.name);
  const outcomes = new Map<string, number>();
  const crashExamples: SurfaceReport['crashExamples'] = [];
  let crashes = 0;
  let hangs = 0;
  let slowest = 0;
  let slowestInputs: SurfaceReport['slowestInputs'] = [];
  const linesBefore = logger.lines;
  const started = performance.now();
  for (let done = 0, chunk = 0; done < COUNT; chunk++) {
    const inputs = fc.sample(surface.arbitrary, { numRuns: Math.min(CHUNK, COUNT - done), seed: SEED + index * 1_000_003 + chunk });
    for (const input of inputs) {
      const t0 = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        const hang = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new HangError(surface.budgetMs)), surface.budgetMs * 4);
        });
        const outcome = await Promise.race([Promise.resolve().then(() => surface.check(input)), hang]);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      } catch (error) {
        if (error instanceof HangError) hangs++;
        else {
          crashes++;
          if (crashExamples.length < CRASH_EXAMPLES) crashExamples.push({ error: error instanceof Error ? error.message.slice(0, 500) : String(error), input: describeInput(input) });
        }
      } finally {
        clearTimeout(timer);
      }
      const ms = performance.now() - t0;
      if (ms > surface.budgetMs) hangs++;
      slowest = Math.max(slowest, ms);
      if (slowestInputs.length < 3 || ms > slowestInputs[slowestInputs.length - 1].ms) {
        slowestInputs = [...slowestInputs, { ms: Math.round(ms * 10) / 10, input: describeInput(input) }].sort((a, b) => b.ms - a.ms).slice(0, 3);
      }
      done++;
      progress.step(done, COUNT, 'inputs');
    }
  }
  const wall = (performance.now() - started) / 1000;
  await surface.close?.();
  const sorted = [...outcomes].sort((a, b) => b[1] - a[1]);
  const rejections = sorted.filter(([o]) => surface.isRejection(o));
  const acceptances = sorted.filter(([o]) => !surface.isRejection(o));
  return {
    what: surface.what,
    inputs: COUNT,
    accepted: acceptances.reduce((n, [, c]) => n + c, 0),
    rejected: rejections.reduce((n, [, c]) => n + c, 0),
    rejectionsByReason: Object.fromEntries(rejections),
    acceptedByKind: Object.fromEntries(acceptances),
    crashes,
    crashExamples,
    hangs,
    budgetMs: surface.budgetMs,
    slowestInputMs: Math.round(slowest * 10) / 10,
    slowestInputs,
    inputsPerSecond: Math.round(COUNT / wall),
    wallSeconds: Math.round(wall * 10) / 10,
    logLines: logger.lines - linesBefore,
  };
}

class HangError extends Error {
  constructor(budgetMs: number) {
    super(`no answer within ${budgetMs * 4} ms`);
  }
}

async function surfaces(tmp: string): Promise<Array<{ name: string; make: () => Promise<Surface<unknown>> }>> {
  const ingest = new IngestFuzzTarget();
  const raw = (stream: 'clickstream' | 'catalog') => ({ name: `raw-${stream}`, make: async (): Promise<Surface<unknown>> => ({
    name: `raw-${stream}`,
    what: `raw ${stream} records (JSON and protobuf, valid-shaped, damaged, arbitrary) through the real IngestPipeline; rejections by dead-letter reason`,
    arbitrary: rawRecords(stream) as fc.Arbitrary<unknown>,
    budgetMs: 250,
    check: (input) => ingest.check(stream, input as Parameters<IngestFuzzTarget['check']>[1]),
    isRejection: (o) => o !== 'accepted',
  }) });
  const schemaNames = Object.keys(SERVICE_SCHEMAS);
  return [
    raw('clickstream'),
    raw('catalog'),
    { name: 'request-validation', make: async () => ({
      name: 'request-validation',
      what: 'Recommend, SimilarItems, Bundle, Score and ScoreSimilar messages through the request validation; rejections by the field INVALID_ARGUMENT names',
      arbitrary: servingRequests as fc.Arbitrary<unknown>,
      budgetMs: 50,
      check: (input) => checkServingRequest(input as Parameters<typeof checkServingRequest>[0]),
      isRejection: (o) => o !== 'accepted',
    }) },
    { name: 'gateway-grpc', make: async () => {
      const gateway = await GatewayFuzzTarget.start();
      return {
        name: 'gateway-grpc',
        what: 'requests, arbitrary request bytes and arbitrary HTTP/2 bodies sent to a real grpc-js GatewayGrpcServer (in-process backend); outcomes by input kind and status',
        arbitrary: gatewayInputs as fc.Arbitrary<unknown>,
        budgetMs: 2000,
        check: (input) => gateway.check(input as Parameters<GatewayFuzzTarget['check']>[0]),
        isRejection: (o) => !o.endsWith(':OK'),
        close: async () => {
          if (!(await gateway.stillServing())) throw new Error('the gateway stopped serving after the fuzzing');
          await gateway.stop();
        },
      };
    } },
    { name: 'model-load', make: async () => {
      const model = await ModelFuzzTarget.create(path.join(tmp, 'model'), { budgetMs: 5000 });
      return {
        name: 'model-load',
        what: 'mutated and arbitrary manifest.json, truncated/damaged/garbage .onnx and vocab files through SequentialRecommenderModel.load; rejections by ModelLoadError problem',
        arbitrary: modelInputs as fc.Arbitrary<unknown>,
        budgetMs: 5000,
        check: (input) => model.check(input as Parameters<ModelFuzzTarget['check']>[0]),
        isRejection: (o) => o !== 'loaded',
      };
    } },
    { name: 'config', make: async () => ({
      name: 'config',
      what: `env maps through loadConfig of every service's schema (${schemaNames.join(', ')}), each variable unset, valid, invalid or arbitrary; rejections (ConfigError) by the type of the first variable named`,
      arbitrary: fc.oneof(...schemaNames.map((service) => configEnvs(SERVICE_SCHEMAS[service]).map((input) => ({ service, input })))) as fc.Arbitrary<unknown>,
      budgetMs: 50,
      check: (tagged) => {
        const { service, input } = tagged as { service: string; input: Parameters<typeof checkConfig>[1] };
        return checkConfig(SERVICE_SCHEMAS[service], input);
      },
      isRejection: (o) => o !== 'loaded',
    }) },
  ];
}

async function main(): Promise<void> {
  const progress = new BenchProgress('bench-fuzz');
  const logger = new CountingLogger();
  Logger.overrideLogger(logger);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-fuzz-'));
  const report: Record<string, SurfaceReport> = {};
  try {
    const all = await surfaces(tmp);
    for (const [index, { name, make }] of all.entries()) {
      if (ONLY.length > 0 && !ONLY.includes(name)) continue;
      report[name] = await runSurface(await make(), index, progress, logger);
    }
  } finally {
    progress.done();
    await fs.rm(tmp, { recursive: true, force: true });
  }
  // --only reruns some surfaces: the others keep their figures from the last report.
  if (ONLY.length > 0) {
    const previous = await fs.readFile(OUT, 'utf8').then((t) => (JSON.parse(t) as { surfaces?: Record<string, SurfaceReport> }).surfaces ?? {}, () => ({}));
    for (const [name, surface] of Object.entries(previous)) if (!(name in report)) report[name] = surface;
  }
  const totals = Object.values(report).reduce((t, s) => ({ inputs: t.inputs + s.inputs, crashes: t.crashes + s.crashes, hangs: t.hangs + s.hangs }), { inputs: 0, crashes: 0, hangs: 0 });
  const out = {
    command: `npm run bench:fuzz -- ${process.argv.slice(2).join(' ')}`.trim(),
    seed: SEED,
    inputsPerSurface: COUNT,
    ...(ONLY.length > 0 ? { rerun: ONLY } : {}),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
    createdAt: new Date().toISOString(),
    totals,
    surfaces: report,
  };
  await fs.mkdir(path.dirname(OUT), { recursive: true });
  await fs.writeFile(OUT, JSON.stringify(out, null, 2) + '\n');
  console.log(JSON.stringify({ totals, surfaces: Object.fromEntries(Object.entries(report).map(([n, s]) => [n, { inputs: s.inputs, crashes: s.crashes, hangs: s.hangs, slowestInputMs: s.slowestInputMs, inputsPerSecond: s.inputsPerSecond }])) }, null, 2));
  if (totals.crashes > 0 || totals.hangs > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
