import { promises as fs } from 'fs';
import * as path from 'path';
import { Logger } from '@nestjs/common';
import { BUNDLE_MODEL_FILE_NAME, BundleModel } from '@recmesh/bundling';
import { Counter, Gauge, Registry } from 'prom-client';

/**
 * The fitted bundle model, reloaded when it changes. The weights that travel
 * with the served model version (its folder's bundle-model.json, written by
 * the retraining job) win, since behaviour cosines live in that model's space;
 * a version without them gets the configured file. A file that does not load
 * is logged and counted while the previous weights keep serving.
 */
export class ServingBundleModel {
  private readonly logger = new Logger('ServingBundleModel');
  private file: string;
  private modifiedMs = 0;
  private readonly info: Gauge<'bundle_model_version'>;
  private readonly failures: Counter;

  private constructor(
    private readonly configuredFile: string,
    private model: BundleModel,
    metrics: Registry,
  ) {
    this.file = configuredFile;
    this.info = new Gauge({ name: 'recmesh_bundler_model_info', help: 'The served bundle model (value 1).', labelNames: ['bundle_model_version'], registers: [metrics] });
    this.failures = new Counter({ name: 'recmesh_bundler_model_load_failures_total', help: 'Bundle model files that failed to load.', registers: [metrics] });
    this.publish();
  }

  /** Fails start-up with the loader's message when the configured file is missing or invalid. */
  static async load(file: string, metrics: Registry): Promise<ServingBundleModel> {
    const model = await BundleModel.load(file).catch((error: Error) => {
      throw new Error(`cannot load the bundle model ${file}: ${error.message}`);
    });
    const served = new ServingBundleModel(file, model, metrics);
    served.modifiedMs = (await fs.stat(file)).mtimeMs;
    return served;
  }

  current(): BundleModel {
    return this.model;
  }

  /** Which file serves now: the served model version's own weights, else the configured file. */
  get source(): string {
    return this.file;
  }

  /** Picks the weights for the served model's folder and reloads them when they changed. */
  async refresh(modelDir?: string): Promise<void> {
    const own = modelDir === undefined ? undefined : path.join(modelDir, BUNDLE_MODEL_FILE_NAME);
    const file = own && (await fs.stat(own).then(() => true, () => false)) ? own : this.configuredFile;
    const modifiedMs = await fs.stat(file).then((s) => s.mtimeMs, () => (file === this.file ? this.modifiedMs : NaN));
    if (file === this.file && modifiedMs === this.modifiedMs) return;
    this.file = file;
    this.modifiedMs = modifiedMs;
    try {
      const next = await BundleModel.load(file);
      this.logger.log(`now serving bundle model ${next.version} from ${file} (was ${this.model.version})`);
      this.model = next;
      this.publish();
    } catch (error) {
      this.failures.inc();
      this.logger.error(`bundle model ${file} failed to load, still serving ${this.model.version}: ${(error as Error).message}`);
    }
  }

  private publish(): void {
    this.info.reset();
    this.info.set({ bundle_model_version: this.model.version }, 1);
  }
}
