import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { machineCuda, recordingLogger } from '@recmesh/model-runtime/testing';
import { ModelRegistry, openStore } from '@recmesh/persistence';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { ServingModel } from './serving-model';

jest.setTimeout(30_000);
const DEMO = path.resolve(__dirname, '../../../tools/model/demo-model');
const TINY = path.resolve(__dirname, '../../../tools/model/fixtures/tiny');
const TINY_ATTR = path.resolve(__dirname, '../../../tools/model/fixtures/tiny-attr');

describe('ServingModel hot reload', () => {
  let ds: DataSource;
  let serving: ServingModel | undefined;
  const load = (dir: string) => SequentialRecommenderModel.load(dir, { preferCuda: false });
  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
  });
  afterEach(async () => {
    await serving?.close();
    await ds.destroy();
  });

  it('registers and serves the initial model when the registry is empty, and labels where it runs', async () => {
    const metrics = new Registry();
    serving = await ServingModel.start({ registry: new ModelRegistry(ds), load, initialDir: DEMO, metrics, releaseAfterMs: 10 });
    expect((await new ModelRegistry(ds).current())?.location).toBe(DEMO);
    expect(await metrics.metrics()).toContain(`recmesh_scorer_model_info{model_version="${serving.current().modelVersion}",execution_provider="cpu"} 1`);
  });

  it('labels the provider this machine can run when CUDA is preferred (cuda with a GPU and cuda:install, else cpu)', async () => {
    const metrics = new Registry();
    const preferCuda = (dir: string) => SequentialRecommenderModel.load(dir, { preferCuda: true, logger: recordingLogger() });
    serving = await ServingModel.start({ registry: new ModelRegistry(ds), load: preferCuda, initialDir: DEMO, metrics, releaseAfterMs: 10 });
    const provider = machineCuda().canRunCuda ? 'cuda' : 'cpu';
    expect(serving.current().executionProvider).toBe(provider);
    expect(await metrics.metrics()).toContain(`recmesh_scorer_model_info{model_version="${serving.current().modelVersion}",execution_provider="${provider}"} 1`);
  });

  it('swaps in a newly registered version while a request keeps the model it started with', async () => {
    const registry = new ModelRegistry(ds);
    serving = await ServingModel.start({ registry, load, initialDir: DEMO, metrics: new Registry(), releaseAfterMs: 50 });
    const before = serving.current();
    expect(serving.currentLocation()).toBe(DEMO);
    const inFlight = before.encodeUsers([[{ itemId: before.itemIds[0], action: 'view' }]]);
    const tiny = await load(TINY);
    await registry.register(tiny.modelVersion, TINY, Date.now() + 1000);
    await tiny.release();
    await serving.refresh();
    expect(serving.current().modelVersion).not.toBe(before.modelVersion);
    expect(serving.currentLocation()).toBe(TINY);
    expect((await inFlight).length).toBe(before.hidden);
  });

  it('keeps serving the old model when a registered version is corrupt', async () => {
    const registry = new ModelRegistry(ds);
    const metrics = new Registry();
    serving = await ServingModel.start({ registry, load, initialDir: DEMO, metrics, releaseAfterMs: 10 });
    const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'broken-model-'));
    fs.writeFileSync(path.join(broken, 'manifest.json'), '{ not json');
    await registry.register('broken-v2', broken, Date.now() + 1000);
    await serving.refresh();
    expect(serving.current().modelVersion).not.toBe('broken-v2');
    expect(serving.currentLocation()).toBe(DEMO);
    expect(await metrics.metrics()).toContain('recmesh_scorer_model_load_failures_total{model_version="broken-v2"} 1');
    fs.rmSync(broken, { recursive: true, force: true });
  });

  it('keeps serving the old model when a registry row points at a folder that is gone', async () => {
    const registry = new ModelRegistry(ds);
    const metrics = new Registry();
    serving = await ServingModel.start({ registry, load, initialDir: DEMO, metrics, releaseAfterMs: 10 });
    const before = serving.current().modelVersion;
    await registry.register('vanished-v3', path.join(os.tmpdir(), 'recmesh-no-such-model-folder'), Date.now() + 1000);
    await serving.refresh();
    expect(serving.current().modelVersion).toBe(before);
    expect(await metrics.metrics()).toContain('recmesh_scorer_model_load_failures_total{model_version="vanished-v3"} 1');
  });

  it('gives a new catalog item a vector from the shop attributes the model was trained with', async () => {
    // The attribute-only fixture, its attributes named as a shop's export makes them ("key=value").
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-attr-model-'));
    fs.cpSync(TINY_ATTR, dir, { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    manifest.side_info.attributes = manifest.side_info.attributes.map((a: string) => `tag=${a}`);
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const [first, second] = manifest.side_info.attributes.map((a: string) => a.slice('tag='.length));
    serving = await ServingModel.start({ registry: new ModelRegistry(ds), load, initialDir: dir, metrics: new Registry() });
    const entry = (itemId: string, attributes: Record<string, string>) => ({ itemId, title: '', categoryPath: [], leafCategory: '', brand: '', price: null, inStock: true, attributes });
    expect(await serving.addColdItems([entry('with-tag', { tag: first }), entry('with-other-tag', { tag: second }), entry('unknown-tag', { tag: 'never-seen' })])).toBe(3);
    const reference = await load(dir);
    const [want] = await reference.addColdItems([{ itemId: 'x', attributes: [`tag=${first}`] }]);
    await reference.release();
    const vector = (id: string) => Array.from(serving!.current().itemVector(id) as Float32Array);
    expect(vector('with-tag')).toEqual(Array.from(want.vector));
    expect(vector('with-other-tag')).not.toEqual(vector('with-tag'));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
