import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createMetricsRegistry } from '@recmesh/observability';
import { ClickstreamEventStore, ModelRegistry, TrainingRunRecord } from '@recmesh/persistence';
import { loadConfig } from '@recmesh/service-config';
import { openInfrastructure, serviceRootModule } from '@recmesh/service-runtime';
import { ShopExporter } from './retraining-job';
import { TrainerConfigSchema } from './trainer.config';
import { TrainerModule } from './trainer.module';

jest.setTimeout(60_000);
const ROOT = path.resolve(__dirname, '../../..');
const TINY = path.join(ROOT, 'tools/model/fixtures/tiny');

/** Writes a small shop of the tiny model's items, as the store export would. */
const exporter: ShopExporter = async (outDir, window) => {
  await fs.mkdir(outDir, { recursive: true });
  const items = Array.from({ length: 20 }, (_, i) => `item-${String(i).padStart(2, '0')}`);
  await fs.writeFile(path.join(outDir, 'items.jsonl'), items.map((id) => JSON.stringify({ item_id: id })).join('\n') + '\n');
  const rows = ['user_id,item_id,ts,action'];
  for (let u = 0; u < 40; u++) for (let n = 0; n < 6; n++) rows.push(`u${u},${items[(u * 7 + n * 3) % 20]},${Math.floor(window.toMs / 1000) - 3600 * (6 - n) - u},view`);
  await fs.writeFile(path.join(outDir, 'events.csv'), rows.join('\n') + '\n');
  return { fingerprint: 'sha256:spec', events: rows.length - 1, items: items.length };
};

describe('trainer service', () => {
  let app: INestApplication;
  let dir: string;
  let registry: ModelRegistry;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recmesh-trainer-app-'));
    // A stand-in for tools/model's venv: "export" copies the tiny fixture model to --out.
    const python = path.join(dir, 'python');
    await fs.writeFile(python, `#!/bin/sh\nif [ "$2" = "recmesh_model.export" ]; then while [ $# -gt 0 ]; do if [ "$1" = "--out" ]; then cp -r "${TINY}" "$2"; fi; shift; done; fi\necho "$2 done"\n`, { mode: 0o755 });
    const config = loadConfig(TrainerConfigSchema, { TRAINER_PYTHON: python, TRAINER_WORK_DIR: path.join(dir, 'work'), TRAINER_MODELS_DIR: path.join(dir, 'models'), TRAINER_MIN_NEW_EVENTS: '5', RECMESH_DATA_DIR: ':memory:' });
    const infra = await openInfrastructure(config, 'spec-trainer');
    registry = new ModelRegistry(infra.dataSource);
    await registry.register('demo', path.join(ROOT, 'tools/model/demo-model'));
    await new ClickstreamEventStore(infra.dataSource).storeBatch(
      Array.from({ length: 10 }, (_, i) => ({ eventId: `e${i}`, userId: 'u1', sessionId: '', itemId: 'item-01', action: 1, quantity: 1, price: null, currency: '', rating: null, tsMs: Date.now(), recId: '', context: null, ingestedAtMs: Date.now() })),
    );
    app = await NestFactory.create(serviceRootModule({ infra, registry: createMetricsRegistry('trainer') }, TrainerModule.register(config, () => exporter)), { logger: false });
    await app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('retrains on an admin call, reports the run, and serves the promoted candidate', async () => {
    const url = await app.getUrl();
    const accepted = await fetch(`${url}/v1/admin/retrain`, { method: 'POST' });
    expect(accepted.status).toBe(202);
    expect((await fetch(`${url}/v1/admin/retrain`, { method: 'POST' })).status).toBe(409);
    let runs: TrainingRunRecord[] = [];
    for (let i = 0; i < 200 && !runs.some((r) => r.status !== 'running'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      runs = (await (await fetch(`${url}/v1/admin/training-runs`)).json()) as TrainingRunRecord[];
    }
    expect(runs[0]).toMatchObject({ status: 'promoted', trigger: 'admin', candidateVersion: expect.stringMatching(/^shop-/) });
    expect((await registry.current())?.modelVersion).toBe(runs[0].candidateVersion);
    // The run's row is final before the job cleans its work folder and counts the outcome: poll briefly.
    let metrics = '';
    for (let i = 0; i < 50 && !metrics.includes('recmesh_trainer_runs_total{status="promoted"'); i++) {
      metrics = await (await fetch(`${url}/metrics`)).text();
      if (!metrics.includes('recmesh_trainer_runs_total{status="promoted"')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(metrics).toContain('recmesh_trainer_runs_total{status="promoted",service="trainer"} 1');
    // The registry's metrics are read again once the run has ended.
    const serving = `recmesh_model_registry_serving_info{model_version="${runs[0].candidateVersion}",pinned="false",service="trainer"} 1`;
    for (let i = 0; i < 50 && !metrics.includes(serving); i++) {
      await new Promise((r) => setTimeout(r, 100));
      metrics = await (await fetch(`${url}/metrics`)).text();
    }
    expect(metrics).toContain(serving);
    expect(metrics).toContain('recmesh_model_registry_decisions{decision="promoted",service="trainer"} 2');
    expect((await fetch(`${url}/ready`)).status).toBe(200);
  });
});
