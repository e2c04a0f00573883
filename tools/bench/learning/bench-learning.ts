// Learning-loop benchmark (the learning-loop issue, deliverable 7): Amazon Industrial & Scientific as a
// shop, at several sizes (a share of its users), on the embedded store:
//   - export events/s (exportShopDataset),
//   - retrain wall time (tools/model train + export, subprocess) against data size,
//   - time from "enough new data" (the run starts) to the promoted version serving (a ServingModel
//     following the registry picks it up), next to the run's holdout metrics.
// Writes reports/bench-learning.json.
//   node tools/run-ts.js tools/bench/learning/bench-learning.ts [--shares 0.25,0.5,1] [--epochs 4] [--out FILE]
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { windowExporter } from '@recmesh/dataset-export';
import { builtTextEncoderDir, SequentialRecommenderModel } from '@recmesh/model-runtime';
import { CatalogStore, ClickstreamEventRow, ClickstreamEventStore, ModelRegistry, openStore, TrainingRunStore } from '@recmesh/persistence';
import { ServingModel } from '@recmesh/serving-core';
import { PythonTrainer, promotionPolicy, readDatasetDir, RetrainingJob } from '@recmesh/training';
import { Registry } from 'prom-client';

const ROOT = path.resolve(__dirname, '../../..');
const DATASET = path.resolve(ROOT, '../shared/datasets/amazon_scientific_unisrec/normalized');
const DAY = 86_400_000;

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
    const python = new PythonTrainer({ python: path.join(ROOT, 'tools/model/.venv/bin/python'), root: ROOT, textEncoderDir: builtTextEncoderDir(), trainArgs: ['--epochs', String(epochs), '--patience', '2', '--valid-users', '2000'] });
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

async function main(): Promise<void> {
  const shares = flag('shares', '0.25,0.5,1').split(',').map(Number);
  const epochs = Number(flag('epochs', '4'));
  const out = path.resolve(ROOT, flag('out', 'reports/bench-learning.json'));
  const sizes: SizeResult[] = [];
  for (const share of shares) {
    const result = await runSize(share, epochs);
    console.info(JSON.stringify(result));
    sizes.push(result);
  }
  const report = {
    bench: 'learning',
    dataset: 'amazon_scientific_unisrec (as a shop, embedded store)',
    epochs,
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    createdAt: new Date().toISOString(),
    notes: 'runSeconds = export + time split + train and export (subprocess) + holdout evaluation of candidate and serving version + registration and gate; enoughDataToServingSeconds adds a scorer-style registry refresh (SCORER_MODEL_POLL_SECONDS adds up to one poll interval in production).',
    sizes,
  };
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(out, JSON.stringify(report, null, 2) + '\n');
  console.info(`wrote ${out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
