import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { CatalogStore, ModelRegistry, openStore } from '@recmesh/persistence';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { CatalogEntry, CatalogIndex } from './catalog-index';
import { ModelVersionPool } from './model-version-pool';
import { ServingError, ServingErrorCode } from './serving-error';

jest.setTimeout(30_000);
const DEMO = path.resolve(__dirname, '../../../tools/model/demo-model');
const TINY = path.resolve(__dirname, '../../../tools/model/fixtures/tiny');

/** The tiny fixture under another version name (as a retrained candidate would be). */
function tinyAs(root: string, modelVersion: string): string {
  const dir = path.join(root, modelVersion);
  fs.cpSync(TINY, dir, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, model_version: modelVersion }));
  return dir;
}

const entry = (itemId: string): CatalogEntry => ({ itemId, title: `Shieldy ${itemId}`, categoryPath: ['Electronics', 'Phone Cases'], leafCategory: 'Phone Cases', brand: 'Shieldy', price: 10, inStock: true, attributes: {} });

describe('ModelVersionPool', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'model-versions-'));
  const dirs = Object.fromEntries(['tiny-a', 'tiny-b', 'tiny-c'].map((v) => [v, tinyAs(root, v)]));
  let ds: DataSource;
  let registry: ModelRegistry;
  let catalog: CatalogIndex;
  let serving: SequentialRecommenderModel;
  let pool: ModelVersionPool | undefined;
  let metrics: Registry;
  let loaded: SequentialRecommenderModel[];

  const load = async (dir: string) => {
    const model = await SequentialRecommenderModel.load(dir, { preferCuda: false, logger: { info: () => undefined, warn: () => undefined } });
    jest.spyOn(model, 'release');
    loaded.push(model);
    return model;
  };
  const openPool = (maxVersions: number, registryCheckMs = 60_000) =>
    (pool = new ModelVersionPool({ registry, load, serving: () => serving, catalog, maxVersions, metrics, registryCheckMs, retryFailedAfterMs: 60_000 }));
  const versionOf = (p: ModelVersionPool, v: string) => p.use(v, async (m) => m.modelVersion);
  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: ServingError) => e.code);

  beforeAll(async () => {
    serving = await SequentialRecommenderModel.load(DEMO, { preferCuda: false });
    ds = await openStore({ kind: 'embedded' });
    const items = ['fresh-1', 'item-00', 'item-01'];
    await new CatalogStore(ds).applyBatch(
      items.map((itemId, n) => ({ eventId: `c${n}`, itemId, kind: 'upsert', tsMs: 1, payload: '{}', ingestedAtMs: 1 })),
      items.map((itemId, n) => ({
        kind: 'upsert' as const, eventId: `c${n}`, tsMs: 1,
        item: { itemId, title: `Shieldy ${itemId}`, description: '', categoryPath: ['Electronics', 'Phone Cases'], brand: 'Shieldy', price: 10, currency: 'EUR', inStock: 1, attributes: {} },
      })),
    );
    catalog = new CatalogIndex(new CatalogStore(ds));
    await catalog.reload();
    registry = new ModelRegistry(ds);
    await registry.register(serving.modelVersion, DEMO);
    for (const [v, dir] of Object.entries(dirs)) await registry.registerCandidate(v, dir);
  });
  beforeEach(() => {
    metrics = new Registry();
    loaded = [];
  });
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });
  afterAll(async () => {
    await serving.release();
    await ds.destroy();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('loads a registered candidate once for concurrent requests, with cold items for the catalog, and leaves the serving model alone', async () => {
    const p = openPool(2);
    expect(await Promise.all([versionOf(p, 'tiny-a'), versionOf(p, 'tiny-a'), versionOf(p, 'tiny-a')])).toEqual(['tiny-a', 'tiny-a', 'tiny-a']);
    expect(await p.use(serving.modelVersion, async (m) => m)).toBe(serving);
    expect(loaded).toHaveLength(1);
    await p.settled();
    expect(await p.use('tiny-a', async (m) => m.rowOf('fresh-1') !== undefined)).toBe(true);
    expect(serving.rowOf('fresh-1')).toBeUndefined();
    await p.addColdItems([entry('fresh-2')]);
    expect(await p.use('tiny-a', async (m) => m.rowOf('fresh-2') !== undefined)).toBe(true);
    const text = await metrics.metrics();
    expect(text).toContain('recmesh_scorer_extra_model_loads_total{model_version="tiny-a"} 1');
    expect(text).toContain('recmesh_scorer_extra_model_versions_loaded 1');
  });

  it('keeps at most maxVersions, evicting the least recently used once its requests are done', async () => {
    const p = openPool(2);
    await versionOf(p, 'tiny-a');
    let finish!: () => void;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const inFlight = p.use('tiny-b', () => (started(), new Promise<string>((resolve) => (finish = () => resolve('done')))));
    await running;
    await versionOf(p, 'tiny-a'); // now tiny-b is the least recently used
    await versionOf(p, 'tiny-c');
    expect(p.loaded()).toEqual(['tiny-a', 'tiny-c']);
    const b = loaded.find((m) => m.modelVersion === 'tiny-b')!;
    expect(b.release).not.toHaveBeenCalled();
    finish();
    expect(await inFlight).toBe('done');
    await p.settled();
    expect(b.release).toHaveBeenCalledTimes(1);
    expect(await metrics.metrics()).toContain('recmesh_scorer_extra_model_evictions_total{model_version="tiny-b",reason="lru"} 1');
    // Asked again, it loads again.
    expect(await versionOf(p, 'tiny-b')).toBe('tiny-b');
    expect(p.loaded()).toEqual(['tiny-c', 'tiny-b']);
  });

  it('refuses versions the registry does not know or retired with NotFound, and unloads one retired while loaded', async () => {
    const p = openPool(2, 0);
    expect(await failure(versionOf(p, 'no-such-version'))).toBe(ServingErrorCode.NotFound);
    await registry.registerCandidate('tiny-retired', dirs['tiny-a']);
    await registry.retire('tiny-retired');
    await expect(versionOf(p, 'tiny-retired')).rejects.toThrow('model version tiny-retired is retired');
    await registry.registerCandidate('tiny-d', tinyAs(root, 'tiny-d'));
    expect(await versionOf(p, 'tiny-d')).toBe('tiny-d');
    await registry.retire('tiny-d');
    expect(await failure(versionOf(p, 'tiny-d'))).toBe(ServingErrorCode.NotFound);
    expect(p.loaded()).toEqual([]);
    await p.settled();
    expect(loaded[0].release).toHaveBeenCalled();
  });

  it('answers Unavailable for a version that fails to load, counts it, and does not retry it at once', async () => {
    const broken = fs.mkdtempSync(path.join(root, 'broken-'));
    fs.writeFileSync(path.join(broken, 'manifest.json'), '{ not json');
    await registry.registerCandidate('broken-v2', broken);
    const p = openPool(2);
    expect(await failure(versionOf(p, 'broken-v2'))).toBe(ServingErrorCode.Unavailable);
    expect(await failure(versionOf(p, 'broken-v2'))).toBe(ServingErrorCode.Unavailable);
    expect(await metrics.metrics()).toContain('recmesh_scorer_extra_model_load_failures_total{model_version="broken-v2"} 1');
    expect(await versionOf(p, 'tiny-a')).toBe('tiny-a');
    expect(p.loaded()).toEqual(['tiny-a']);
  });

  it('refuses other versions when none may be loaded', async () => {
    const p = openPool(0);
    expect(await failure(versionOf(p, 'tiny-a'))).toBe(ServingErrorCode.FailedPrecondition);
    expect(await versionOf(p, serving.modelVersion)).toBe(serving.modelVersion);
  });
});
