import { Logger } from '@nestjs/common';
import { attributeNames, categoryLabel, ensureTextEncoder, SequentialRecommenderModel, textEncoderDirSetting } from '@recmesh/model-runtime';
import { CatalogEntry, CatalogIndex } from './catalog-index';
import { ModelRegistry } from '@recmesh/persistence';
import { Counter, Gauge, Registry } from 'prom-client';
import { ServingModelConfig } from './serving.config';

/** Cold items encoded per step; small enough that a serving call never waits long behind one. */
const COLD_CHUNK = 32;

export interface ServingModelOptions {
  readonly registry: ModelRegistry;
  readonly load: (dir: string) => Promise<SequentialRecommenderModel>;
  /** Registered and served when the registry is empty (the demo model on the embedded default). */
  readonly initialDir: string;
  readonly metrics: Registry;
  /** How long a replaced model stays loaded for requests still using it. */
  readonly releaseAfterMs?: number;
}

/**
 * Gives the catalog items `model` was not trained on a vector from their text,
 * category, brand and attributes, a chunk at a time; returns how many it added.
 */
export async function addColdCatalogItems(model: SequentialRecommenderModel, catalog: CatalogIndex | Iterable<CatalogEntry>): Promise<number> {
  const entries = catalog instanceof CatalogIndex ? catalog.entries() : catalog;
  const missing = [...entries].filter((e) => model.rowOf(e.itemId) === undefined);
  for (let i = 0; i < missing.length; i += COLD_CHUNK) {
    await model.addColdItems(missing.slice(i, i + COLD_CHUNK).map((e) => ({ itemId: e.itemId, title: e.title, category: categoryLabel(e.categoryPath), brand: e.brand, attributes: attributeNames(e.attributes) })));
    // Tokenizing is synchronous: let calls in flight through between chunks.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return missing.length;
}

/**
 * The model a scorer serves, hot-reloaded: `refresh()` looks at the registry,
 * loads a newer active version in the background and swaps it in atomically.
 * Requests hold the model they started with, so a swap fails none of them; a
 * version that fails to load is logged and counted while the old one serves on.
 */
export class ServingModel {
  private readonly logger = new Logger(ServingModel.name);
  private readonly info: Gauge<'model_version' | 'execution_provider'>;
  private readonly loadFailures: Counter<'model_version'>;
  private readonly failedVersions = new Set<string>();
  private loading?: Promise<void>;

  private constructor(
    private readonly options: ServingModelOptions,
    private model: SequentialRecommenderModel,
    private location: string,
  ) {
    this.info = new Gauge({ name: 'recmesh_scorer_model_info', help: 'The served model (value 1) and where it runs.', labelNames: ['model_version', 'execution_provider'], registers: [options.metrics] });
    this.loadFailures = new Counter({ name: 'recmesh_scorer_model_load_failures_total', help: 'Model versions that failed to load.', labelNames: ['model_version'], registers: [options.metrics] });
    this.publishInfo();
  }

  static async start(options: ServingModelOptions): Promise<ServingModel> {
    const registered = await options.registry.current();
    if (!registered) {
      const model = await options.load(options.initialDir);
      await options.registry.register(model.modelVersion, options.initialDir);
      return new ServingModel(options, model, options.initialDir);
    }
    return new ServingModel(options, await options.load(registered.location), registered.location);
  }

  /**
   * Gives every catalog item the model was not trained on a vector from its
   * text, category and brand, so brand-new items can be recommended at once.
   * Runs after the catalog loads, for each catalog change, and after a model
   * swap (a new version starts without them).
   */
  async addColdItems(catalog: CatalogIndex | Iterable<CatalogEntry>): Promise<number> {
    return addColdCatalogItems(this.model, catalog);
  }

  current(): SequentialRecommenderModel {
    return this.model;
  }

  /** Loads another version the way this one was loaded (execution provider, text encoder), to serve next to it. */
  loadVersion(dir: string): Promise<SequentialRecommenderModel> {
    return this.options.load(dir);
  }

  /** The folder the served version was loaded from (what travels with it, e.g. its bundle weights, is there). */
  currentLocation(): string {
    return this.location;
  }

  /** Loads and swaps in the newest active version if it differs; resolves when done. */
  refresh(): Promise<void> {
    this.loading ??= this.reload().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async reload(): Promise<void> {
    const wanted = await this.options.registry.current();
    if (!wanted || wanted.modelVersion === this.model.modelVersion || this.failedVersions.has(wanted.modelVersion)) return;
    let next: SequentialRecommenderModel;
    try {
      next = await this.options.load(wanted.location);
    } catch (error) {
      this.failedVersions.add(wanted.modelVersion);
      this.loadFailures.inc({ model_version: wanted.modelVersion });
      this.logger.error(`model ${wanted.modelVersion} from ${wanted.location} failed to load, still serving ${this.model.modelVersion}: ${(error as Error).message}`);
      return;
    }
    if (next.modelVersion !== wanted.modelVersion) {
      this.logger.warn(`registry says ${wanted.modelVersion} but ${wanted.location} holds ${next.modelVersion}; serving it anyway`);
    }
    const previous = this.model;
    this.model = next;
    this.location = wanted.location;
    this.publishInfo();
    this.logger.log(`now serving model ${next.modelVersion} on ${next.executionProvider} (was ${previous.modelVersion})`);
    setTimeout(() => void previous.release(), this.options.releaseAfterMs ?? 30_000).unref();
  }

  private publishInfo(): void {
    this.info.reset();
    this.info.set({ model_version: this.model.modelVersion, execution_provider: this.model.executionProvider }, 1);
  }

  async close(): Promise<void> {
    await this.loading;
    await this.model.release();
  }
}

/**
 * The served model as scorer-bearing processes start it: registry first, else the configured folder.
 * The default text encoder folder is built on first use; a set but missing or corrupt one fails the start.
 */
export async function startServingModel(
  config: Pick<ServingModelConfig, 'SCORER_MODEL_DIR' | 'SCORER_PREFER_CUDA' | 'SCORER_TEXT_ENCODER_DIR'>,
  registry: ModelRegistry,
  metrics: Registry,
): Promise<ServingModel> {
  const logger = new Logger('ServingModel');
  const textEncoderDir = textEncoderDirSetting(config.SCORER_TEXT_ENCODER_DIR);
  if (textEncoderDir === undefined) {
    logger.warn('SCORER_TEXT_ENCODER_DIR is off: cold items are embedded from category and brand only (unless the model export ships its own text encoder)');
  } else {
    await ensureTextEncoder(textEncoderDir, { logger: { info: (m) => logger.log(m), warn: (m) => logger.warn(m) } });
  }
  return ServingModel.start({
    registry,
    load: (dir) => SequentialRecommenderModel.load(dir, { preferCuda: config.SCORER_PREFER_CUDA, textEncoderDir }),
    initialDir: config.SCORER_MODEL_DIR,
    metrics,
  });
}
