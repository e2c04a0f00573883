import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BUNDLE_MODEL_FILE_NAME, BUNDLE_MODEL_FORMAT } from '@recmesh/bundling';
import { Registry } from 'prom-client';
import { ServingBundleModel } from './serving-bundle-model';

const weights = (version: string) => JSON.stringify({ format: BUNDLE_MODEL_FORMAT, version, pairFeatures: ['log_lift'], pairWeights: [1], itemFeatures: [], itemWeights: [], fittedOn: {} });

describe('ServingBundleModel', () => {
  let dir: string;
  let configured: string;
  let metrics: Registry;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recmesh-bundles-'));
    configured = path.join(dir, 'configured.json');
    await fs.writeFile(configured, weights('configured'));
    metrics = new Registry();
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  const modelDir = async (name: string, content?: string) => {
    const d = path.join(dir, name);
    await fs.mkdir(d, { recursive: true });
    if (content !== undefined) await fs.writeFile(path.join(d, BUNDLE_MODEL_FILE_NAME), content);
    return d;
  };

  it('serves the weights that travel with the served model version, else the configured file', async () => {
    const served = await ServingBundleModel.load(configured, metrics);
    await served.refresh(await modelDir('demo'));
    expect(served.current().version).toBe('configured');

    const shopDir = await modelDir('shop-1', weights('bundles-shop-1'));
    await served.refresh(shopDir);
    expect(served.current().version).toBe('bundles-shop-1');
    expect(served.source).toBe(path.join(shopDir, BUNDLE_MODEL_FILE_NAME));
    expect(await metrics.metrics()).toContain('recmesh_bundler_model_info{bundle_model_version="bundles-shop-1"} 1');

    // A rollback to a version without its own weights goes back to the configured file.
    await served.refresh(path.join(dir, 'demo'));
    expect(served.current().version).toBe('configured');
  });

  it('keeps serving the previous weights when a version ships a file that does not load', async () => {
    const served = await ServingBundleModel.load(configured, metrics);
    await served.refresh(await modelDir('broken', '{"format": "nope"}'));
    expect(served.current().version).toBe('configured');
    expect(await metrics.metrics()).toContain('recmesh_bundler_model_load_failures_total 1');
    // Checked again only when the file changes: no error per poll.
    await served.refresh(path.join(dir, 'broken'));
    expect(await metrics.metrics()).toContain('recmesh_bundler_model_load_failures_total 1');
  });

  it('fails start-up with the reason when the configured file is missing', async () => {
    await expect(ServingBundleModel.load(path.join(dir, 'missing.json'), metrics)).rejects.toThrow(/cannot load the bundle model .*missing\.json/);
  });
});
