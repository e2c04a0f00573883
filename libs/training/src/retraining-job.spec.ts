import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { mulberry32 } from '@recmesh/numerics';
import { BUNDLE_MODEL_FILE_NAME, BundleModel } from '@recmesh/bundling';
import { ModelRegistry, openStore, TrainingRunStore } from '@recmesh/persistence';
import { generateSyntheticShop } from '@recmesh/synthetic-shop';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { promotionPolicy } from './promotion-gate';
import { PythonTrainer, TrainAndExport, TrainingFailedError } from './python-trainer';
import { RetrainingJob, RetrainingJobOptions, ShopExporter } from './retraining-job';

jest.setTimeout(60_000);
const ROOT = path.resolve(__dirname, '../../..');
const TINY = path.join(ROOT, 'tools/model/fixtures/tiny');
const DEMO = path.join(ROOT, 'tools/model/demo-model');
const HOUR = 3_600_000;

/** A shop of the tiny model's 20 items: 80 shoppers, 8 events each over the last 10 days. */
const exporter: ShopExporter = async (outDir, window) => {
  await fs.mkdir(outDir, { recursive: true });
  const items = Array.from({ length: 20 }, (_, i) => `item-${String(i).padStart(2, '0')}`);
  await fs.writeFile(path.join(outDir, 'items.jsonl'), items.map((id) => JSON.stringify({ item_id: id, title: `Item ${id}` })).join('\n') + '\n');
  const random = mulberry32(11);
  const rows = ['user_id,item_id,ts,action'];
  for (let u = 0; u < 80; u++) for (let n = 0; n < 8; n++) rows.push(`u${u},${items[Math.floor(random() * 20)]},${Math.floor((window.toMs - random() * 240 * HOUR) / 1000)},view`);
  await fs.writeFile(path.join(outDir, 'events.csv'), rows.join('\n') + '\n');
  return { fingerprint: 'sha256:test', events: rows.length - 1, items: items.length };
};

/** Stands in for tools/model: "trains" by copying the tiny fixture model. */
const copyTiny = { trainAndExport: async (job: TrainAndExport) => fs.cp(TINY, job.modelDir, { recursive: true }) };

describe('RetrainingJob', () => {
  let ds: DataSource;
  let dir: string;
  let registry: ModelRegistry;
  let runs: TrainingRunStore;
  let now: number;

  const job = (overrides: Partial<RetrainingJobOptions> = {}) =>
    new RetrainingJob({
      registry,
      runs,
      newEventsSince: async () => 1000,
      exporter,
      trainer: copyTiny,
      loadModel: (d) => SequentialRecommenderModel.load(d, { preferCuda: false }),
      policy: promotionPolicy({ PROMOTION_MIN_NDCG_GAIN: 2, PROMOTION_MAX_TAIL_RECALL_LOSS: 5, PROMOTION_MIN_CURRENT_COVERAGE: 50 }),
      workDir: path.join(dir, 'work'),
      modelsDir: path.join(dir, 'models'),
      minNewEvents: 100,
      windowMs: 30 * 24 * HOUR,
      trainShare: 0.9,
      budgetMs: 60_000,
      bundles: { minOrders: 50, orderGapSeconds: 1800 },
      heartbeatMs: 1000,
      metrics: new Registry(),
      clock: () => now,
      ...overrides,
    });

  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recmesh-trainer-'));
    now = Date.now();
    registry = new ModelRegistry(ds, () => now);
    runs = new TrainingRunStore(ds);
    await registry.register('demo', DEMO, now - HOUR);
  });
  afterEach(async () => {
    await ds.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('trains, evaluates both versions on the same holdout, registers the candidate with its evidence and promotes it over a model that cannot score the shop', async () => {
    const metrics = new Registry();
    const outcome = await job({ metrics }).run('admin');
    expect(outcome).toMatchObject({ status: 'promoted', reason: expect.stringContaining("the serving version knows 0.0% of the holdout's items") });
    const serving = await registry.current();
    expect(serving?.modelVersion).toBe(outcome.candidateVersion);
    expect(serving?.location).toBe(path.join(dir, 'models', outcome.candidateVersion!));
    expect(serving?.details).toMatchObject({ fingerprint: 'sha256:test', candidate: { catalogCoverage: 1 }, current: { modelVersion: 'demo', catalogCoverage: 0 } });
    expect(await fs.readdir(path.join(dir, 'work'))).toEqual([]);
    expect(await runs.get(outcome.runId)).toMatchObject({ status: 'promoted', trigger: 'admin', candidateVersion: outcome.candidateVersion });
    const text = await metrics.metrics();
    expect(text).toContain('recmesh_trainer_runs_total{status="promoted"} 1');
    expect(text).toContain('recmesh_trainer_gate_decisions_total{decision="promoted",rule="serving_cannot_serve"} 1');
    expect(text).toContain('recmesh_trainer_run_seconds_count{status="promoted"} 1');
    expect(text).toMatch(/^recmesh_trainer_run_seconds_bucket\{le="7200",status="promoted"\} 1$/m);
  });

  it('refits the bundle model from the shop\'s orders and ships it in the candidate\'s folder', async () => {
    // The demo shop's own clickstream as an export: sessions with purchases make orders.
    const shop = generateSyntheticShop({ seed: 42, items: 2000, users: 600 });
    const shopExporter: ShopExporter = async (outDir) => {
      await fs.mkdir(outDir, { recursive: true });
      await fs.writeFile(path.join(outDir, 'items.jsonl'), shop.items.map((i) => JSON.stringify({ item_id: i.itemId, title: i.title, category: i.categoryPath.join(' > '), brand: i.brand })).join('\n') + '\n');
      await fs.writeFile(path.join(outDir, 'events.csv'), ['user_id,item_id,ts,action', ...shop.events.map((e) => `${e.userId},${e.itemId},${Math.floor(e.tsMs / 1000)},${e.action}`)].join('\n') + '\n');
      return { fingerprint: 'sha256:shop', events: shop.events.length, items: shop.items.length };
    };
    const copyDemo = { trainAndExport: async (j: TrainAndExport) => fs.cp(DEMO, j.modelDir, { recursive: true }) };
    const outcome = await job({ exporter: shopExporter, trainer: copyDemo }).run('admin');
    const candidate = (await registry.list()).find((v) => v.modelVersion === outcome.candidateVersion)!;
    const bundles = (candidate.details as { bundles: { status: string; orders: number; weights: Record<string, number> } }).bundles;
    expect(bundles).toMatchObject({ status: 'fitted', orders: expect.any(Number) });
    expect(bundles.orders).toBeGreaterThanOrEqual(50);
    const fitted = await BundleModel.load(path.join(candidate.location, BUNDLE_MODEL_FILE_NAME));
    expect(fitted.version).toBe(`bundles-${outcome.candidateVersion}`);
    // Bought together and the buyer's own taste both carry weight in the refit.
    expect(bundles.weights.co_purchased + bundles.weights.log_lift).toBeGreaterThan(0);
    expect(bundles.weights.personal_affinity).toBeGreaterThan(0);
  });

  it('keeps the configured bundle weights when the window holds too few orders', async () => {
    const outcome = await job().run('admin');
    const serving = await registry.current();
    expect(serving?.modelVersion).toBe(outcome.candidateVersion);
    expect(serving?.details).toMatchObject({ bundles: { status: 'skipped', reason: '0 orders of two or more items in the window, fewer than the 50 a bundle refit needs: bundles keep the configured weights' } });
    expect(await fs.readdir(serving!.location)).not.toContain(BUNDLE_MODEL_FILE_NAME);
  });

  it('does not train without enough new data', async () => {
    const exported = jest.fn(exporter);
    const metrics = new Registry();
    const outcome = await job({ newEventsSince: async () => 99, exporter: exported, metrics }).run('schedule');
    expect(outcome).toMatchObject({ status: 'skipped', reason: '99 new events since the start, fewer than the 100 a retraining needs' });
    expect(exported).not.toHaveBeenCalled();
    const text = await metrics.metrics();
    expect(text).toContain('recmesh_trainer_run_seconds_count{status="skipped"} 1');
    expect(text).not.toContain('recmesh_trainer_gate_decisions_total{');
  });

  it('never runs two at once, and takes over the lock of a run whose job died', async () => {
    expect(await runs.begin('other-run', 'schedule', now, 4000)).toEqual({ started: true, abandoned: null });
    expect(await job().run('admin')).toMatchObject({ status: 'busy', reason: 'run other-run is still training' });
    now += 10_000; // no heartbeat from other-run for 10 s: its process is gone
    const outcome = await job().run('admin');
    expect(outcome.status).toBe('promoted');
    expect(await runs.get('other-run')).toMatchObject({ status: 'abandoned', reason: expect.stringContaining('the job stopped mid-run') });
  });

  it.each([
    ['a trainer crash', { trainAndExport: async () => Promise.reject(new TrainingFailedError('train exited with 1:\nRuntimeError: CUDA out of memory')) }, 'train exited with 1'],
    ['a training past its budget', { trainAndExport: async () => Promise.reject(new TrainingFailedError('train: killed', true)) }, 'training ran past its budget of 1 min'],
    ['a candidate that does not load', { trainAndExport: async (j: TrainAndExport) => { await fs.mkdir(j.modelDir, { recursive: true }); await fs.writeFile(path.join(j.modelDir, 'manifest.json'), '{"format": "nope"}'); } }, 'manifest'],
  ])('leaves the serving version untouched after %s, with a clear status', async (_name, trainer, reason) => {
    const outcome = await job({ trainer }).run('schedule');
    expect(outcome).toMatchObject({ status: 'failed', reason: expect.stringContaining(reason) });
    expect((await registry.current())?.modelVersion).toBe('demo');
    expect((await registry.list()).map((v) => v.modelVersion)).toEqual(['demo']);
    expect(await fs.readdir(path.join(dir, 'models')).catch(() => [])).toEqual([]);
    expect(await runs.get(outcome.runId)).toMatchObject({ status: 'failed' });
    // The lock is free again.
    expect((await job().run('admin')).status).toBe('promoted');
  });

  it('fails clearly on an empty export, and the serving version stays', async () => {
    const outcome = await job({
      exporter: async (outDir) => {
        await fs.mkdir(outDir, { recursive: true });
        await fs.writeFile(path.join(outDir, 'items.jsonl'), '');
        await fs.writeFile(path.join(outDir, 'events.csv'), 'user_id,item_id,ts,action\n');
        return { fingerprint: 'empty', events: 0, items: 0 };
      },
    }).run('admin');
    expect(outcome).toMatchObject({ status: 'failed', reason: expect.stringContaining('events.csv has no events') });
    expect((await registry.current())?.modelVersion).toBe('demo');
  });

  it('refuses an export with no holdout users instead of comparing on nothing', async () => {
    const outcome = await job({
      exporter: async (outDir) => {
        await fs.mkdir(outDir, { recursive: true });
        await fs.writeFile(path.join(outDir, 'items.jsonl'), '{"item_id":"item-00"}\n');
        await fs.writeFile(path.join(outDir, 'events.csv'), 'user_id,item_id,ts,action\nu1,item-00,100,view\n');
        return { fingerprint: 'x', events: 1, items: 1 };
      },
    }).run('admin');
    expect(outcome).toMatchObject({ status: 'failed', reason: expect.stringContaining('not enough data to compare models') });
  });
});

describe('PythonTrainer', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recmesh-pytrainer-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  /** A stand-in interpreter: a shell script that behaves like the named tool step. */
  async function fakePython(script: string): Promise<string> {
    const file = path.join(dir, 'python');
    await fs.writeFile(file, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    return file;
  }
  const job = (budgetMs: number, lines: string[]): TrainAndExport => ({ datasetDir: dir, runDir: dir, modelDir: path.join(dir, 'm'), modelVersion: 'v', budgetMs, log: (l) => lines.push(l) });

  it('runs train then export, logging their progress lines', async () => {
    const lines: string[] = [];
    await new PythonTrainer({ python: await fakePython('echo "$2 epoch 1 ndcg 0.05"'), root: ROOT }).trainAndExport(job(10_000, lines));
    expect(lines).toEqual(['train: recmesh_model.train epoch 1 ndcg 0.05', 'export: recmesh_model.export epoch 1 ndcg 0.05']);
  });

  it('kills a step that runs past the budget, with its children', async () => {
    const started = Date.now();
    const error = await new PythonTrainer({ python: await fakePython('echo starting; sleep 30 & wait'), root: ROOT }).trainAndExport(job(500, [])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingFailedError);
    expect(error).toMatchObject({ timedOut: true, message: 'train: killed after the training budget ran out' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reports a failing step with its last output lines', async () => {
    const error = await new PythonTrainer({ python: await fakePython('echo "loading"; echo "ValueError: empty dataset" >&2; exit 3'), root: ROOT }).trainAndExport(job(10_000, [])).catch((e: unknown) => e);
    expect(error).toMatchObject({ timedOut: false, message: 'train exited with 3:\nloading\nValueError: empty dataset' });
  });
});
