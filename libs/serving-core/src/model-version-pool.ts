import { Logger } from '@nestjs/common';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { ModelRegistry, ModelVersionRecord } from '@recmesh/persistence';
import { Counter, Gauge, Registry } from 'prom-client';
import { CatalogEntry, CatalogIndex } from './catalog-index';
import { ServingError, ServingErrorCode } from './serving-error';
import { addColdCatalogItems } from './serving-model';

export interface ModelVersionPoolOptions {
  readonly registry: ModelRegistry;
  /** Loads a version's folder (as the serving model was loaded: same execution provider and text encoder). */
  readonly load: (dir: string) => Promise<SequentialRecommenderModel>;
  /** The version the registry serves now (hot-reloaded); asking for it never loads a second copy. */
  readonly serving: () => SequentialRecommenderModel;
  /** The live catalog: each loaded version gets vectors for the items it was not trained on. */
  readonly catalog: CatalogIndex;
  /** Versions kept loaded next to the serving one; 0 refuses every other version. */
  readonly maxVersions: number;
  readonly metrics: Registry;
  /** How long a registry answer about a version is trusted (a retirement takes effect within it). */
  readonly registryCheckMs: number;
  /** How long a version that failed to load is refused before it is tried again. */
  readonly retryFailedAfterMs?: number;
  readonly clock?: () => number;
}

export type EvictionReason = 'lru' | 'retired' | 'serving';

interface PooledVersion {
  readonly modelVersion: string;
  ready: Promise<SequentialRecommenderModel>;
  model?: SequentialRecommenderModel;
  /** Requests (and cold-item passes) using the model; an evicted one is released when it drops to 0. */
  inUse: number;
  evicted: boolean;
  released: boolean;
  /** Cold-item passes, one after another. */
  cold: Promise<void>;
}

/** Registry answers kept at most this many versions (a caller naming many unknown versions grows nothing else). */
const MAX_LOOKUPS = 1024;

/**
 * Registered model versions served next to the registry's serving one, for
 * experiment arms: each is loaded on its first request from its registry
 * location (any status but retired), given vectors for the live catalog's
 * cold items like the serving model, and kept while it is among the
 * `maxVersions` most recently used; the least recently used is evicted and
 * released once the requests using it have finished. Loading is single-flight
 * per version and blocks only the requests for that version.
 */
export class ModelVersionPool {
  private readonly logger = new Logger(ModelVersionPool.name);
  /** Least recently used first (a use moves a version to the end). */
  private readonly versions = new Map<string, PooledVersion>();
  private readonly lookups = new Map<string, { readonly atMs: number; readonly record: Promise<ModelVersionRecord | null> }>();
  private readonly failures = new Map<string, number>();
  /** Loads and cold-item passes not finished yet (of evicted versions too). */
  private readonly pending = new Set<Promise<unknown>>();
  private readonly clock: () => number;
  private readonly loadedGauge: Gauge;
  private readonly loads: Counter<'model_version'>;
  private readonly evictions: Counter<'model_version' | 'reason'>;
  private readonly loadFailures: Counter<'model_version'>;
  private closed = false;

  constructor(private readonly options: ModelVersionPoolOptions) {
    this.clock = options.clock ?? Date.now;
    const registers = [options.metrics];
    this.loadedGauge = new Gauge({ name: 'recmesh_scorer_extra_model_versions_loaded', help: 'Model versions loaded next to the serving one (experiment arms).', registers });
    this.loads = new Counter({ name: 'recmesh_scorer_extra_model_loads_total', help: 'Extra model versions loaded on request.', labelNames: ['model_version'], registers });
    this.evictions = new Counter({
      name: 'recmesh_scorer_extra_model_evictions_total',
      help: 'Extra model versions unloaded: lru (over SCORER_EXTRA_MODEL_VERSIONS), retired, or serving (the registry serves it now).',
      labelNames: ['model_version', 'reason'],
      registers,
    });
    this.loadFailures = new Counter({ name: 'recmesh_scorer_extra_model_load_failures_total', help: 'Extra model versions that failed to load.', labelNames: ['model_version'], registers });
  }

  /**
   * Runs `work` with the model of `modelVersion`: the serving model if it is
   * that version, else the pooled one (loaded first if need be). Fails with
   * NotFound for a version the registry does not know or retired, Unavailable
   * for one that fails to load, FailedPrecondition when no extra versions are allowed.
   */
  async use<T>(modelVersion: string, work: (model: SequentialRecommenderModel) => Promise<T>): Promise<T> {
    const serving = this.options.serving();
    if (serving.modelVersion === modelVersion) {
      // Promoted since it was loaded here: a second copy is waste.
      this.evict(modelVersion, 'serving');
      return work(serving);
    }
    let record: ModelVersionRecord | null;
    try {
      record = await this.lookup(modelVersion);
    } catch (error) {
      throw new ServingError(ServingErrorCode.Unavailable, `the model registry could not be read: ${(error as Error).message}`);
    }
    if (!record || record.status === 'retired') {
      this.evict(modelVersion, 'retired');
      throw new ServingError(ServingErrorCode.NotFound, record ? `model version ${modelVersion} is retired` : `model version ${modelVersion} is not registered`);
    }
    const entry = this.acquire(record);
    try {
      return await work(await entry.ready);
    } finally {
      this.done(entry);
    }
  }

  /** The versions loaded now, least recently used first. */
  loaded(): string[] {
    return [...this.versions.values()].filter((e) => e.model !== undefined).map((e) => e.modelVersion);
  }

  /** New or changed catalog items get vectors in every loaded version (in the background, one pass at a time per version). */
  addColdItems(changed: readonly CatalogEntry[]): Promise<void> {
    return Promise.all([...this.versions.values()].filter((e) => e.model !== undefined).map((e) => this.scoreColdItems(e, () => changed))).then(() => undefined);
  }

  /** Resolves when the loads and cold-item passes started so far have finished. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.versions.values()];
    this.versions.clear();
    for (const e of entries) e.evicted = true;
    this.publishGauge();
    await this.settled();
    for (const e of entries) {
      e.inUse = 0;
      this.releaseIfIdle(e);
    }
  }

  private lookup(modelVersion: string): Promise<ModelVersionRecord | null> {
    const now = this.clock();
    const cached = this.lookups.get(modelVersion);
    if (cached && now - cached.atMs < this.options.registryCheckMs) return cached.record;
    if (this.lookups.size >= MAX_LOOKUPS) {
      for (const [version, l] of this.lookups) if (now - l.atMs >= this.options.registryCheckMs) this.lookups.delete(version);
      if (this.lookups.size >= MAX_LOOKUPS) this.lookups.clear();
    }
    const record = this.options.registry.get(modelVersion);
    this.lookups.set(modelVersion, { atMs: now, record });
    // A failed lookup is not remembered: the next request asks again.
    record.catch(() => this.lookups.get(modelVersion)?.record === record && this.lookups.delete(modelVersion));
    return record;
  }

  /** The pooled version, loading it if needed; counts the caller as using it (undo with done()). */
  private acquire(record: ModelVersionRecord): PooledVersion {
    const { modelVersion } = record;
    let entry = this.versions.get(modelVersion);
    if (entry) {
      this.versions.delete(modelVersion);
      this.versions.set(modelVersion, entry);
    } else {
      if (this.closed) throw new ServingError(ServingErrorCode.Unavailable, 'the scorer is shutting down');
      if (this.options.maxVersions === 0) {
        throw new ServingError(ServingErrorCode.FailedPrecondition, `this scorer serves only model ${this.options.serving().modelVersion} (SCORER_EXTRA_MODEL_VERSIONS=0)`);
      }
      const failedAt = this.failures.get(modelVersion);
      const retryAfterMs = this.options.retryFailedAfterMs ?? 60_000;
      if (failedAt !== undefined && this.clock() - failedAt < retryAfterMs) {
        throw new ServingError(ServingErrorCode.Unavailable, `model version ${modelVersion} failed to load; retried in ${Math.ceil((failedAt + retryAfterMs - this.clock()) / 1000)} s`);
      }
      const created: PooledVersion = { modelVersion, ready: Promise.resolve(undefined as never), inUse: 0, evicted: false, released: false, cold: Promise.resolve() };
      created.ready = this.track(this.load(created, record.location));
      this.versions.set(modelVersion, created);
      entry = created;
    }
    entry.inUse++;
    return entry;
  }

  private async load(entry: PooledVersion, location: string): Promise<SequentialRecommenderModel> {
    const { modelVersion } = entry;
    const started = this.clock();
    let model: SequentialRecommenderModel;
    try {
      model = await this.options.load(location);
    } catch (error) {
      if (this.versions.get(modelVersion) === entry) this.versions.delete(modelVersion);
      this.failures.set(modelVersion, this.clock());
      this.loadFailures.inc({ model_version: modelVersion });
      this.logger.error(`model version ${modelVersion} from ${location} failed to load: ${(error as Error).message}`);
      throw new ServingError(ServingErrorCode.Unavailable, `model version ${modelVersion} failed to load`);
    }
    if (model.modelVersion !== modelVersion) this.logger.warn(`registry says ${modelVersion} but ${location} holds ${model.modelVersion}; serving it anyway`);
    entry.model = model;
    this.failures.delete(modelVersion);
    this.loads.inc({ model_version: modelVersion });
    if (entry.evicted) {
      // Retired (or shut down) while it loaded: hand it to whoever waits, then let it go.
      this.releaseIfIdle(entry);
      return model;
    }
    this.logger.log(`model version ${modelVersion} loaded next to ${this.options.serving().modelVersion} in ${this.clock() - started} ms`);
    void this.scoreColdItems(entry, () => this.options.catalog.entries());
    this.enforceBound(entry);
    this.publishGauge();
    return model;
  }

  /**
   * Cold items for one version, after its previous pass; the pass counts as a
   * use, so an eviction meanwhile releases the model only after it. Serving the
   * trained items meanwhile beats waiting, as for the serving model at start.
   */
  private scoreColdItems(entry: PooledVersion, items: () => Iterable<CatalogEntry>): Promise<void> {
    entry.inUse++;
    entry.cold = entry.cold
      .then(async () => {
        if (entry.evicted || !entry.model) return;
        const started = this.clock();
        const added = await addColdCatalogItems(entry.model, items());
        if (added > 0) this.logger.log(`${added} catalog items scored from their text and category for model version ${entry.modelVersion} (${this.clock() - started} ms)`);
      })
      .catch((error) => this.logger.error(`scoring new items for model version ${entry.modelVersion} failed: ${(error as Error).message}`))
      .finally(() => this.done(entry));
    return this.track(entry.cold);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const forget = () => this.pending.delete(work);
    work.then(forget, forget);
    return work;
  }

  private enforceBound(keep: PooledVersion): void {
    let excess = this.loaded().length - this.options.maxVersions;
    for (const entry of [...this.versions.values()]) {
      if (excess <= 0) break;
      if (entry === keep || !entry.model) continue;
      this.evict(entry.modelVersion, 'lru');
      excess--;
    }
  }

  private evict(modelVersion: string, reason: EvictionReason): void {
    const entry = this.versions.get(modelVersion);
    if (!entry) return;
    this.versions.delete(modelVersion);
    entry.evicted = true;
    if (entry.model) {
      this.evictions.inc({ model_version: modelVersion, reason });
      this.logger.log(`model version ${modelVersion} unloaded (${reason}), released after the ${entry.inUse} use(s) in flight`);
    }
    this.releaseIfIdle(entry);
    this.publishGauge();
  }

  private done(entry: PooledVersion): void {
    entry.inUse--;
    this.releaseIfIdle(entry);
  }

  private releaseIfIdle(entry: PooledVersion): void {
    if (!entry.evicted || entry.inUse > 0 || !entry.model || entry.released) return;
    entry.released = true;
    entry.model.release().catch((error) => this.logger.warn(`releasing model version ${entry.modelVersion} failed: ${(error as Error).message}`));
  }

  private publishGauge(): void {
    this.loadedGauge.set(this.loaded().length);
  }
}
