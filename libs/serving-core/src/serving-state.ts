import { hostname } from 'os';
import { randomUUID } from 'crypto';
import { fromBinary } from '@bufbuild/protobuf';
import { Logger } from '@nestjs/common';
import { CatalogEventSchema, TopicNames, Topics } from '@recmesh/contracts';
import { BusMessage, MessageBus, Subscription } from '@recmesh/messaging';
import { CatalogStore, ModelRegistry } from '@recmesh/persistence';
import { DataSource } from 'typeorm';
import { Registry } from 'prom-client';
import { CatalogIndex } from './catalog-index';
import { ModelVersionPool } from './model-version-pool';
import { ServingModel, startServingModel } from './serving-model';
import { ServingModelConfig } from './serving.config';

/** Changes this much older than the full load are in it already (margin for clock skew between hosts). */
const LOAD_OVERLAP_MS = 60_000;
/** New items per batch of changes scored right away; more wait for the background pass. */
const INLINE_COLD_ITEMS = 256;

export interface ServingStateOptions {
  readonly bus: MessageBus;
  readonly dataSource: DataSource;
  readonly topics: TopicNames;
  /** How often the model registry is checked for a newer version. */
  readonly modelPollSeconds: number;
  /** Versions other than the serving one kept loaded for experiment arms (default 0: none). */
  readonly extraModelVersions?: number;
  /** Where the extra versions' metrics go (default: a registry of its own). */
  readonly metrics?: Registry;
}

/**
 * What every serving process holds: the live catalog and the served model.
 * The catalog is loaded once and then follows recmesh.catalog.normalized.v1
 * (upserts, deletes and stock changes reach answers within a batch, not a
 * poll); brand-new items get a vector from their text at once; the model is
 * hot-reloaded from the registry. Scorer and bundler share one in a process.
 */
export class ServingState {
  readonly catalog: CatalogIndex;
  /** Other registered versions, loaded on request (experiment arms), bounded. */
  readonly versions: ModelVersionPool;
  private readonly logger = new Logger('ServingState');
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private loadStartedMs = Number.POSITIVE_INFINITY;
  private loaded: Promise<number> = Promise.resolve(0);
  private coldPass: Promise<void> = Promise.resolve();

  constructor(
    readonly model: ServingModel,
    private readonly options: ServingStateOptions,
  ) {
    this.catalog = new CatalogIndex(new CatalogStore(options.dataSource));
    this.versions = new ModelVersionPool({
      registry: new ModelRegistry(options.dataSource),
      load: (dir) => model.loadVersion(dir),
      serving: () => model.current(),
      catalog: this.catalog,
      maxVersions: options.extraModelVersions ?? 0,
      metrics: options.metrics ?? new Registry(),
      // A retirement reaches the pool within a poll, as a promotion reaches the serving model.
      registryCheckMs: options.modelPollSeconds * 1000,
    });
  }

  /** Loads the model the registry names (or the configured folder) and builds the state around it. */
  static async open(config: ServingModelConfig, infra: { bus: MessageBus; dataSource: DataSource }, topics: TopicNames, metrics: Registry): Promise<ServingState> {
    const model = await startServingModel(config, new ModelRegistry(infra.dataSource), metrics);
    return new ServingState(model, {
      bus: infra.bus,
      dataSource: infra.dataSource,
      topics,
      modelPollSeconds: config.SCORER_MODEL_POLL_SECONDS,
      extraModelVersions: config.SCORER_EXTRA_MODEL_VERSIONS,
      metrics,
    });
  }

  /** Follows catalog changes, then loads the catalog: a change in between is applied either way. */
  async start(): Promise<void> {
    const { bus, topics } = this.options;
    await bus.ensureTopics([{ name: topics.catalogNormalized, partitions: Topics.catalogNormalized.partitions }]);
    this.subscription = await bus.subscribe({
      // Every serving process needs every change: a group of its own.
      groupId: `recmesh-serving-catalog-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      topics: [topics.catalogNormalized],
      fromBeginning: true,
      maxBatchMessages: 500,
      handler: async (batch) => this.applyChanges(batch.messages),
    });
    this.loadStartedMs = Date.now();
    this.loaded = this.catalog.reload();
    const items = await this.loaded;
    const served = this.model.current();
    // The one line that says where inference runs and why (CUDA fallbacks included).
    this.logger.log(`serving model ${served.modelVersion} on ${served.executionProvider} (${served.executionProviderReason}); catalog of ${items} items`);
    this.scoreColdItems('at start');
    this.timer = setInterval(() => void this.refreshModel(), this.options.modelPollSeconds * 1000).unref();
  }

  /**
   * Gives every catalog item the model was not trained on a vector from its
   * text and category, in the background: a real shop on the demo model has
   * a whole catalog of them (minutes of text encoding), and serving the
   * trained items meanwhile beats not serving. Passes run one after another.
   */
  private scoreColdItems(when: string): void {
    this.coldPass = this.coldPass
      .then(async () => {
        const started = Date.now();
        const added = await this.model.addColdItems(this.catalog);
        if (added > 0) this.logger.log(`${added} catalog items the model was not trained on scored from their text and category ${when} (${Date.now() - started} ms)`);
      })
      .catch((error) => this.logger.error(`scoring new items from their text failed: ${(error as Error).message}`));
  }

  /** The catalog is loaded and the model can score: answers are correct from here on. */
  isReady(): boolean {
    return this.catalog.isLoaded && this.model.current().itemIds.length > 0;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.subscription?.stop();
    this.subscription = undefined;
    await this.coldPass;
    await this.versions.close();
    await this.model.close();
  }

  private async applyChanges(messages: readonly BusMessage[]): Promise<void> {
    const ids: string[] = [];
    for (const m of messages) {
      // Replayed history from before the full load: already in it.
      if (m.timestampMs < this.loadStartedMs - LOAD_OVERLAP_MS || !m.value) continue;
      try {
        const event = fromBinary(CatalogEventSchema, m.value);
        const itemId = event.change.case === undefined ? '' : event.change.value.itemId;
        if (itemId) ids.push(itemId);
      } catch (error) {
        // Ingest forwards only valid events; one that is not is skipped rather than blocking the catalog.
        this.logger.warn(`skipping undecodable catalog change at ${m.topic}[${m.partition}]@${m.offset}: ${(error as Error).message}`);
      }
    }
    if (ids.length === 0) return;
    // A change read before the full load finished would be overwritten by it.
    await this.loaded;
    const changed = await this.catalog.refreshItems(ids);
    const unscored = changed.filter((e) => this.model.current().rowOf(e.itemId) === undefined);
    // A few new items are scored at once (answerable within the second); a catalog-sized wave goes to the background pass.
    if (unscored.length > INLINE_COLD_ITEMS) this.scoreColdItems(`after ${unscored.length} catalog changes`);
    else if (unscored.length > 0) this.logger.log(`${await this.model.addColdItems(unscored)} new catalog items scored from their text and category`);
    // The other loaded versions (experiment arms) need them too; in the background, one pass at a time per version.
    void this.versions.addColdItems(changed);
  }

  private async refreshModel(): Promise<void> {
    const before = this.model.current().modelVersion;
    try {
      await this.model.refresh();
    } catch (error) {
      this.logger.error(`model refresh failed: ${(error as Error).message}`);
    }
    // A new version starts without the catalog's cold items.
    if (this.model.current().modelVersion !== before) this.scoreColdItems(`for model ${this.model.current().modelVersion}`);
  }
}
