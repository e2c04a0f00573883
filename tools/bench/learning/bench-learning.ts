// Learning-loop benchmark (the learning-loop issue, deliverable 7): Amazon Industrial & Scientific as a
// shop, at several sizes (a share of its users), on the embedded store:
//   - export events/s (exportShopDataset),
//   - retrain wall time (tools/model train + export, subprocess) against data size,
//   - time from "enough new data" (the run starts) to the promoted version serving (a ServingModel
//     following the registry picks it up), next to the run's holdout metrics.
//   - nodeVsPython (issue 11): the served Node path (ONNX export, onnxruntime-node, evaluateOnHoldout)
//     on the EVAL-PROTOCOL leave-one-out holdout, trained with the committed Python report's exact
//     params, against Python's test metrics of the same checkpoint and the report's NDCG@10.
// Writes reports/bench-learning.json; --only-parity runs nodeVsPython alone and merges it into that file.
//   node tools/run-ts.js tools/bench/learning/bench-learning.ts [--shares 0.25,0.5,1] [--epochs 4] [--parity-seed 0] [--only-parity] [--out FILE]
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { windowExporter } from '@recmesh/dataset-export';
import { builtTextEncoderDir, SequentialRecommenderModel } from '@recmesh/model-runtime';
import { CatalogStore, ClickstreamEventRow, ClickstreamEventStore, ModelRegistry, openStore, TrainingRunStore } from '@recmesh/persistence';
import { ServingModel } from '@recmesh/serving-core';
import { evaluateOnHoldout, HoldoutReport, leaveOneOutSplit, PythonEvalReport, PythonTrainer, promotionPolicy, readDatasetDir, RetrainingJob, trainFlagsFromReport, trainSummaryFromLog } from '@recmesh/training';
import { Registry } from 'prom-client';
import { BenchProgress } from '../progress';

const ROOT = path.resolve(__dirname, '../../..');
const DATASET = path.resolve(ROOT, '../shared/datasets/amazon_scientific_unisrec/normalized');
const REPORT = path.join(ROOT, 'reports/model/amazon_scientific_unisrec/transformer_side.json');
const PYTHON = path.join(ROOT, 'tools/model/.venv/bin/python');
const DAY = 86_400_000;

function machine(): string {
  return `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`;
}

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

interface SizeResult {
  readonly userShare: number;
  readonly users: number;
  readonly events: number;
  readonly items: number;
  readonly exportEventsPerSecond: number;
  readonly runSeconds: number;
  readonly trainAndExportSeconds: number;
  readonly enoughDataToServingSeconds: number;
  readonly status: string;
  readonly reason: string;
  readonly candidate: unknown;
}

async function runSize(share: number, epochs: number): Promise<SizeResult> {
  const { items, events } = await readDatasetDir(DATASET);
  const users = [...new Set(events.map((e) => e.userId))];
  const kept = new Set(users.slice(0, Math.round(users.length * share)));
  const now = Date.now();
  const ds = await openStore({ kind: 'embedded' });
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'recmesh-bench-learning-'));
  try {
    await new CatalogStore(ds).insertItems(items.map((i) => ({ itemId: i.itemId, title: i.title ?? '', description: '', categoryPath: i.category ? [i.category] : [], brand: i.brand ?? '', price: null, currency: '', inStock: 1, attributes: {}, updatedTsMs: now })));
    const userIndex = new Map([...kept].map((u, n) => [u, n]));
    const rows: ClickstreamEventRow[] = events
      .filter((e) => kept.has(e.userId))
      .map((e, n) => ({
        eventId: `ev-${n}`, userId: e.userId, sessionId: '', itemId: e.itemId, action: 5, quantity: 1, price: null, currency: '', rating: null,
        tsMs: now - 21 * DAY + Math.min(e.ts, 400) * 3_600_000 + ((userIndex.get(e.userId) ?? 0) % 1440) * 60_000, recId: '', context: null, ingestedAtMs: now,
      }));
    const store = new ClickstreamEventStore(ds);
    for (let i = 0; i < rows.length; i += 2000) await store.storeBatch(rows.slice(i, i + 2000));

    const registry = new ModelRegistry(ds);
    await registry.register('demo', path.join(ROOT, 'tools/model/demo-model'));
    const serving = await ServingModel.start({ registry, load: (d) => SequentialRecommenderModel.load(d, { preferCuda: false, textEncoderDir: builtTextEncoderDir() }), initialDir: path.join(ROOT, 'tools/model/demo-model'), metrics: new Registry() });

    const exporter = windowExporter(ds);
    let exportSeconds = 0;
    let exportedEvents = 0;
    let trainSeconds = 0;
    const python = new PythonTrainer({ python: PYTHON, root: ROOT, textEncoderDir: builtTextEncoderDir(), trainArgs: ['--epochs', String(epochs), '--patience', '2', '--valid-users', '2000'] });
    const job = new RetrainingJob({
      registry,
      runs: new TrainingRunStore(ds),
      newEventsSince: (since) => store.countIngestedSince(since),
      exporter: async (dir, window) => {
        const t0 = Date.now();
        const summary = await exporter(dir, window);
        exportSeconds = (Date.now() - t0) / 1000;
        exportedEvents = summary.events;
        return summary;
      },
      trainer: {
        trainAndExport: async (j) => {
          const t0 = Date.now();
          await python.trainAndExport({ ...j, log: () => undefined });
          trainSeconds = (Date.now() - t0) / 1000;
        },
      },
      loadModel: (d) => SequentialRecommenderModel.load(d, { preferCuda: false }),
      policy: promotionPolicy({ PROMOTION_MIN_NDCG_GAIN: 2, PROMOTION_MAX_TAIL_RECALL_LOSS: 5, PROMOTION_MIN_CURRENT_COVERAGE: 50 }),
      workDir: path.join(work, 'work'),
      modelsDir: path.join(work, 'models'),
      minNewEvents: 1000,
      windowMs: 30 * DAY,
      trainShare: 0.9,
      budgetMs: 30 * 60_000,
      // Reviews carry no baskets: with no orders the refit is skipped, as for any shop without them.
      bundles: { minOrders: 100, orderGapSeconds: 1800 },
      heartbeatMs: 15_000,
      metrics: new Registry(),
    });
    const started = Date.now();
    const outcome = await job.run('admin');
    const runSeconds = (Date.now() - started) / 1000;
    // What a scorer does on its next poll: load the promoted version.
    await serving.refresh();
    const servingSeconds = (Date.now() - started) / 1000;
    const served = serving.current().modelVersion;
    await serving.close();
    const run = (await new TrainingRunStore(ds).get(outcome.runId))!;
    return {
      userShare: share,
      users: kept.size,
      events: rows.length,
      items: items.length,
      exportEventsPerSecond: Math.round(exportedEvents / Math.max(exportSeconds, 1e-3)),
      runSeconds,
      trainAndExportSeconds: trainSeconds,
      enoughDataToServingSeconds: served === outcome.candidateVersion ? servingSeconds : Number.NaN,
      status: outcome.status,
      reason: outcome.reason,
      candidate: (run.details as { candidate?: unknown }).candidate ?? null,
    };
  } finally {
    await ds.destroy();
    await fs.rm(work, { recursive: true, force: true });
  }
}

interface ParityResult {
  readonly reportFile: string;
  readonly seed: number;
  readonly trainArgs: readonly string[];
  readonly node: HoldoutReport;
  readonly pythonTest: Record<string, number>;
  readonly reportNdcgAt10: { readonly mean: number; readonly std: number; readonly sameSeed: number | null };
  readonly nodeOverReportNdcgAt10: number;
  readonly nodeVsPythonRelativeDiff: { readonly ndcgAt10: number; readonly recallAt10: number };
  readonly pythonTrainSeconds: number;
  readonly stopped: string;
  readonly bestEpoch: number;
  readonly trainAndExportSeconds: number;
  readonly nodeEvalSeconds: number;
  /** 1-minute load averages at start and end: other work on the machine inflates the seconds above. */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

/** The full-size figure of issue 11: one seed of the report's model, evaluated by Python and by the served Node path. */
async function nodeVsPython(seed: number): Promise<ParityResult> {
  const report = JSON.parse(await fs.readFile(REPORT, 'utf8')) as PythonEvalReport;
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'recmesh-bench-parity-'));
  const trainArgs = [...trainFlagsFromReport(report.params), '--seed', String(seed), '--test'];
  const lines: string[] = [];
  const loadAtStart = os.loadavg()[0];
  try {
    const t0 = Date.now();
    await new PythonTrainer({ python: PYTHON, root: ROOT, textEncoderDir: builtTextEncoderDir(), trainArgs }).trainAndExport({
      datasetDir: DATASET, runDir: path.join(work, 'run'), modelDir: path.join(work, 'model'), modelVersion: `parity-seed${seed}`, budgetMs: (Number(report.params.max_minutes) + 10) * 60_000,
      log: (line) => {
        lines.push(line);
        if (/ epoch \d+ loss /.test(line)) console.info(line);
      },
    });
    const trainAndExportSeconds = (Date.now() - t0) / 1000;
    const summary = trainSummaryFromLog(lines);

    const { items, events } = await readDatasetDir(DATASET);
    const model = await SequentialRecommenderModel.load(path.join(work, 'model'), { preferCuda: false, textEncoderDir: builtTextEncoderDir() });
    const t1 = Date.now();
    const node = await evaluateOnHoldout(model, leaveOneOutSplit(events, items.map((i) => i.itemId)), items).finally(() => model.release());
    const nodeEvalSeconds = (Date.now() - t1) / 1000;
    const rel = (a: number, b: number) => (a - b) / b;
    const seedAt = report.seeds.indexOf(seed);
    return {
      reportFile: path.relative(ROOT, REPORT),
      seed,
      trainArgs,
      node,
      pythonTest: summary.test,
      reportNdcgAt10: { mean: report.metrics['ndcg@10'], std: report.metrics_std?.['ndcg@10'] ?? Number.NaN, sameSeed: seedAt >= 0 && report.per_seed ? report.per_seed[seedAt]['ndcg@10'] : null },
      nodeOverReportNdcgAt10: node.ndcgAt10 / report.metrics['ndcg@10'],
      nodeVsPythonRelativeDiff: { ndcgAt10: rel(node.ndcgAt10, summary.test['ndcg@10']), recallAt10: rel(node.recallAt10, summary.test['recall@10']) },
      pythonTrainSeconds: summary.train_seconds,
      stopped: summary.stopped,
      bestEpoch: summary.best_epoch,
      trainAndExportSeconds,
      nodeEvalSeconds,
      loadAverage: { start: loadAtStart, end: os.loadavg()[0] },
    };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

const PARITY_NOTES =
  'nodeVsPython: leave-one-out holdout of EVAL-PROTOCOL v1 (full ranking, history incl. the validation item masked, ties against the model); one seed of the report\'s model trained with its exact params, ' +
  'node = the ONNX export served by onnxruntime-node (evaluateOnHoldout over leaveOneOutSplit), pythonTest = train --test on the same checkpoint; relative diffs are (node - python) / python.';

async function main(): Promise<void> {
  const shares = flag('shares', '0.25,0.5,1').split(',').map(Number);
  const epochs = Number(flag('epochs', '4'));
  const paritySeed = Number(flag('parity-seed', '0'));
  const out = path.resolve(ROOT, flag('out', 'reports/bench-learning.json'));
  if (process.argv.includes('--only-parity')) {
    // The sizes' figures stay as the last full run left them.
    const previous = JSON.parse(await fs.readFile(out, 'utf8').catch(() => '{}')) as Record<string, unknown>;
    const progress = new BenchProgress('bench-learning');
    progress.phase(`Node vs Python: train the report's model (seed ${paritySeed}), export, evaluate both`);
    const nodeVsPythonResult = await nodeVsPython(paritySeed);
    progress.done();
    console.info(JSON.stringify(nodeVsPythonResult));
    await fs.mkdir(path.dirname(out), { recursive: true });
    await fs.writeFile(out, JSON.stringify({ ...previous, parityNotes: PARITY_NOTES, nodeVsPython: { ...nodeVsPythonResult, machine: machine(), createdAt: new Date().toISOString() } }, null, 2) + '\n');
    console.info(`wrote ${out}`);
    return;
  }
  const progress = new BenchProgress('bench-learning');
  const sizes: SizeResult[] = [];
  for (const share of shares) {
    progress.phase(`retrain on ${share * 100}% of the shoppers (export, train ${epochs} epochs, evaluate, gate, serve)`);
    const result = await runSize(share, epochs);
    console.info(JSON.stringify(result));
    sizes.push(result);
  }
  progress.phase(`Node vs Python: train the report's model (seed ${paritySeed}), export, evaluate both`);
  const nodeVsPythonResult = await nodeVsPython(paritySeed);
  console.info(JSON.stringify(nodeVsPythonResult));
  progress.done();
  const createdAt = new Date().toISOString();
  const report = {
    bench: 'learning',
    dataset: 'amazon_scientific_unisrec (as a shop, embedded store)',
    epochs,
    machine: machine(),
    createdAt,
    notes: 'runSeconds = export + time split + train and export (subprocess) + holdout evaluation of candidate and serving version + registration and gate; enoughDataToServingSeconds adds a scorer-style registry refresh (SCORER_MODEL_POLL_SECONDS adds up to one poll interval in production).',
    sizes,
    parityNotes: PARITY_NOTES,
    nodeVsPython: { ...nodeVsPythonResult, machine: machine(), createdAt },
  };
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(out, JSON.stringify(report, null, 2) + '\n');
  console.info(`wrote ${out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
