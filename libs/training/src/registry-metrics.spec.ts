import { ModelRegistry, openStore } from '@recmesh/persistence';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { RegistryMetrics } from './registry-metrics';

describe('RegistryMetrics', () => {
  let ds: DataSource;
  let registry: ModelRegistry;
  let metrics: Registry;
  let now: number;
  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
    now = 1_000;
    registry = new ModelRegistry(ds, () => (now += 10));
    metrics = new Registry();
  });
  afterEach(() => ds.destroy());

  const lines = async () => (await metrics.metrics()).split('\n').filter((l) => l.startsWith('recmesh_'));

  it('exposes versions by status, the serving version and the decisions of the log, whoever made them', async () => {
    const exporter = new RegistryMetrics(registry, metrics);
    await exporter.refresh();
    expect(await lines()).toEqual(expect.arrayContaining(['recmesh_model_registry_versions{status="active"} 0', 'recmesh_model_registry_decisions{decision="promoted"} 0']));
    expect((await lines()).filter((l) => l.startsWith('recmesh_model_registry_serving_info'))).toEqual([]);

    await registry.register('v1', '/m/v1');
    await registry.registerCandidate('v2', '/m/v2');
    await registry.reject('v2', 'worse');
    await registry.registerCandidate('v3', '/m/v3');
    await registry.promote('v3', 'better');
    await registry.pin('v3', 'hold');
    await exporter.refresh();
    expect(await lines()).toEqual(
      expect.arrayContaining([
        'recmesh_model_registry_versions{status="candidate"} 0',
        'recmesh_model_registry_versions{status="active"} 2',
        'recmesh_model_registry_versions{status="retired"} 1',
        'recmesh_model_registry_serving_info{model_version="v3",pinned="true"} 1',
        'recmesh_model_registry_decisions{decision="registered"} 2',
        'recmesh_model_registry_decisions{decision="promoted"} 2',
        'recmesh_model_registry_decisions{decision="rejected"} 1',
        'recmesh_model_registry_decisions{decision="pinned"} 1',
        'recmesh_model_registry_decisions{decision="rolled_back"} 0',
      ]),
    );

    // An operator's rollback (another process) shows at the next refresh; the old serving series goes.
    await registry.rollback('conversion dropped');
    await exporter.refresh();
    const after = await lines();
    expect(after).toEqual(expect.arrayContaining(['recmesh_model_registry_serving_info{model_version="v1",pinned="false"} 1', 'recmesh_model_registry_decisions{decision="rolled_back"} 1']));
    expect(after.filter((l) => l.startsWith('recmesh_model_registry_serving_info'))).toHaveLength(1);
  });

  it('keeps the last values when the store does not answer', async () => {
    const exporter = new RegistryMetrics(registry, metrics);
    await registry.register('v1', '/m/v1');
    await exporter.refresh();
    await ds.destroy();
    await expect(exporter.refresh()).resolves.toBeUndefined();
    expect(await lines()).toContain('recmesh_model_registry_serving_info{model_version="v1",pinned="false"} 1');
    ds = await openStore({ kind: 'embedded' });
  });
});
