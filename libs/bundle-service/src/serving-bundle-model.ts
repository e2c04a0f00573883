import { promises as fs } from 'fs';
import { Logger } from '@nestjs/common';
import { BundleModel } from '@recmesh/bundling';
import { Counter, Gauge, Registry } from 'prom-client';

/**
 * The fitted bundle model, reloaded when its file changes; a file that does
 * not load is logged and counted while the previous weights keep serving.
 */
export class ServingBundleModel {
  private readonly logger = new Logger('ServingBundleModel');
  private modifiedMs = 0;
  private readonly info: Gauge<'bundle_model_version'>;
  private readonly failures: Counter;

  private constructor(
    private readonly file: string,
    private model: BundleModel,
    metrics: Registry,
  ) {
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

  async refresh(): Promise<void> {
    const modifiedMs = await fs.stat(this.file).then((s) => s.mtimeMs, () => this.modifiedMs);
    if (modifiedMs === this.modifiedMs) return;
    this.modifiedMs = modifiedMs;
    try {
      const next = await BundleModel.load(this.file);
      this.logger.log(`now serving bundle model ${next.version} (was ${this.model.version})`);
      this.model = next;
      this.publish();
    } catch (error) {
      this.failures.inc();
      this.logger.error(`bundle model ${this.file} failed to load, still serving ${this.model.version}: ${(error as Error).message}`);
    }
  }

  private publish(): void {
    this.info.reset();
    this.info.set({ bundle_model_version: this.model.version }, 1);
  }
}
