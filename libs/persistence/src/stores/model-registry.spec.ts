import { DataSource } from 'typeorm';
import { openStore } from '../data-source';
import { ModelRegistry, ModelRegistryError } from './model-registry';

describe('ModelRegistry', () => {
  let ds: DataSource;
  let now: number;
  let registry: ModelRegistry;
  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
    now = 1_000;
    registry = new ModelRegistry(ds, () => (now += 10));
  });
  afterEach(() => ds.destroy());

  const serving = async () => (await registry.current())?.modelVersion;

  it('serves a directly registered version, but a candidate only once it is promoted', async () => {
    expect(await registry.current()).toBeNull();
    await registry.register('demo', '/models/demo');
    expect(await serving()).toBe('demo');
    await registry.registerCandidate('shop-1', '/models/shop-1', { ndcg10: 0.05, fingerprint: 'abc' });
    expect(await serving()).toBe('demo');
    expect((await registry.get('shop-1'))?.details).toEqual({ ndcg10: 0.05, fingerprint: 'abc' });
    await registry.promote('shop-1', 'beats demo by 40% NDCG@10');
    expect(await serving()).toBe('shop-1');
    await expect(registry.registerCandidate('shop-1', '/elsewhere')).rejects.toThrow(ModelRegistryError);
  });

  it('keeps a pinned version serving whatever is promoted later, until unpinned', async () => {
    await registry.register('v1', '/m/v1');
    await registry.pin('v1', 'freeze during the sale');
    await registry.registerCandidate('v2', '/m/v2');
    await registry.promote('v2', 'better');
    expect(await serving()).toBe('v1');
    await registry.unpin('sale over');
    expect(await serving()).toBe('v2');
    await expect(registry.unpin('again')).rejects.toThrow('no version is pinned');
    await expect(registry.pin('nope', 'x')).rejects.toThrow('unknown model version nope');
  });

  it('rolls back to the previously promoted version and never serves the rolled-back one again', async () => {
    await registry.register('v1', '/m/v1');
    await registry.registerCandidate('v2', '/m/v2');
    await registry.promote('v2', 'gate passed');
    const back = await registry.rollback('conversion dropped');
    expect(back.modelVersion).toBe('v1');
    expect(await serving()).toBe('v1');
    await expect(registry.promote('v2', 'retry')).rejects.toThrow('retired');
    await expect(registry.rollback('again')).rejects.toThrow('nothing to roll back to');
  });

  it('re-promoting an older version makes it serve again', async () => {
    await registry.register('v1', '/m/v1');
    await registry.register('v2', '/m/v2');
    expect(await serving()).toBe('v2');
    await registry.promote('v1', 'operator prefers v1');
    expect(await serving()).toBe('v1');
  });

  it('records every decision with its reason, newest first, and a rejected candidate never serves', async () => {
    await registry.register('v1', '/m/v1');
    await registry.registerCandidate('v2', '/m/v2');
    await registry.reject('v2', 'NDCG@10 0.031 is below 0.034 (current + 2%)');
    expect(await serving()).toBe('v1');
    expect((await registry.get('v2'))?.status).toBe('retired');
    expect((await registry.decisions()).map((d) => [d.modelVersion, d.decision, d.reason])).toEqual([
      ['v2', 'rejected', 'NDCG@10 0.031 is below 0.034 (current + 2%)'],
      ['v2', 'registered', 'candidate waiting for the promotion gate'],
      ['v1', 'promoted', 'registered for serving directly'],
    ]);
    expect((await registry.list()).map((v) => [v.modelVersion, v.status])).toEqual([
      ['v2', 'retired'],
      ['v1', 'active'],
    ]);
  });

  it('counts the decisions of each kind in the log', async () => {
    expect(await registry.decisionCounts()).toEqual(new Map());
    await registry.register('v1', '/m/v1');
    await registry.registerCandidate('v2', '/m/v2');
    await registry.reject('v2', 'worse');
    await registry.registerCandidate('v3', '/m/v3');
    await registry.promote('v3', 'better');
    await registry.rollback('conversion dropped');
    expect(Object.fromEntries(await registry.decisionCounts())).toEqual({ promoted: 2, registered: 2, rejected: 1, rolled_back: 1 });
  });
});
