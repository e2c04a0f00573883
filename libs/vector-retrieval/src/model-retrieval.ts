import type { ScoredItem, SequentialRecommenderModel, TopKRows } from '@recmesh/model-runtime';
import type { ExactSearch } from './exact-item-retriever';
import { HnswItemRetriever } from './hnsw-item-retriever';
import type { RetrievalKind, VectorSource } from './item-retriever';
import { RetrievalSettings, usesAnn } from './retrieval.config';

/** The part of the served model that retrieval uses. */
export type RetrievableModel = Pick<SequentialRecommenderModel, 'modelVersion' | 'hidden' | 'rowCount' | 'itemMatrix' | 'itemIds' | 'topKBatch'>;

export interface RetrievalLogger {
  log(message: string): void;
  error(message: string): void;
}

export interface ModelTopKOptions {
  /** Per user: rows not to return. */
  exclude?: ReadonlyArray<Iterable<number> | undefined>;
  /** Shared by all users: mask[row] !== 0 drops the row. */
  mask?: Uint8Array;
}

/** Appended rows inserted in one go: about 0.1 s of inserts at 1M items on one core. */
const INSERT_CHUNK = 500;

interface ModelGraph {
  building?: Promise<void>;
  /** Inserting a backlog of appended rows in the background. */
  catchingUp?: Promise<void>;
  ready?: HnswItemRetriever;
  failed?: boolean;
}

/**
 * Top-K for the scorer, per served model: the model's exact kernel (topKBatch), or an HNSW graph
 * over its item matrix when the settings say so for its catalog size. A graph is built in the
 * background the first time a model needs one (exact answers until it is ready, so a start or a
 * hot reload never waits minutes for it) and dropped with the model. Cold items the model gains
 * later are inserted into the graph before the next search.
 */
export class ModelRetrieval {
  private readonly graphs = new WeakMap<RetrievableModel, ModelGraph>();

  constructor(
    readonly settings: RetrievalSettings,
    private readonly logger?: RetrievalLogger,
  ) {}

  async topK(model: RetrievableModel, users: Float32Array, k: number, options: ModelTopKOptions = {}): Promise<ScoredItem[][]> {
    const graph = this.graphOf(model);
    if (!graph) return model.topKBatch(users, k, options);
    this.catchUp(model, graph);
    const excludeRows = options.exclude?.map((rows) => (rows === undefined ? undefined : new Set(rows)));
    const ids = model.itemIds;
    return (await graph.topK(users, k, { excludeRows, mask: options.mask })).map(({ rows, scores }) => Array.from(rows, (row, i) => ({ itemId: ids[row - 1], row, score: scores[i] })));
  }

  /**
   * Cold items are appended rows: a few are inserted before this search; a large backlog (a catalog
   * load right after the build began) is inserted in the background, a chunk per turn of the event
   * loop, so no call waits seconds for it.
   */
  private catchUp(model: RetrievableModel, graph: HnswItemRetriever): void {
    const entry = this.graphs.get(model);
    const last = model.rowCount - 1;
    if (last <= graph.indexedThrough || entry?.catchingUp) return;
    if (last - graph.indexedThrough <= INSERT_CHUNK) {
      graph.insert(graph.indexedThrough + 1, last);
      return;
    }
    const run = async () => {
      while (model.rowCount - 1 > graph.indexedThrough) {
        graph.insert(graph.indexedThrough + 1, Math.min(model.rowCount - 1, graph.indexedThrough + INSERT_CHUNK));
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    if (entry) entry.catchingUp = run().finally(() => (entry.catchingUp = undefined));
  }

  /** What answers this model's queries right now (exact while its graph is being built). */
  kindFor(model: RetrievableModel): RetrievalKind {
    return this.graphOf(model) ? 'ann' : 'exact';
  }

  /** Resolves once the model's graph is built and holds every appended row (at once when it needs no graph). */
  async ready(model: RetrievableModel): Promise<RetrievalKind> {
    this.graphOf(model);
    await this.graphs.get(model)?.building;
    await this.graphs.get(model)?.catchingUp;
    return this.kindFor(model);
  }

  private graphOf(model: RetrievableModel): HnswItemRetriever | undefined {
    if (!usesAnn(this.settings, model.itemIds.length)) return undefined;
    let entry = this.graphs.get(model);
    if (!entry) {
      entry = {};
      entry.building = this.build(model, entry);
      this.graphs.set(model, entry);
    }
    return entry.ready;
  }

  private async build(model: RetrievableModel, entry: ModelGraph): Promise<void> {
    const started = Date.now();
    const items = model.itemIds.length;
    this.logger?.log(`building the HNSW graph of model ${model.modelVersion} (${items} items, M=${this.settings.hnsw.m}, efConstruction=${this.settings.hnsw.efConstruction}); exact top-K until it is ready`);
    try {
      entry.ready = await HnswItemRetriever.build(modelSource(model), this.settings.hnsw, { exact: modelExactSearch(model) });
      const { indexBytes } = entry.ready.stats();
      this.logger?.log(`HNSW graph of model ${model.modelVersion} ready: ${items} items in ${((Date.now() - started) / 1000).toFixed(1)} s, about ${Math.round(indexBytes / 2 ** 20)} MiB`);
    } catch (error) {
      entry.failed = true;
      this.logger?.error(`HNSW graph of model ${model.modelVersion} failed to build, serving exact top-K: ${(error as Error).message}`);
    }
  }
}

/** Top-K through `retrieval`, or straight through the model's exact kernel for a caller built without one (tests, benches). */
export function retrieveTopK(retrieval: ModelRetrieval | undefined, model: RetrievableModel, users: Float32Array, k: number, options: ModelTopKOptions = {}): Promise<ScoredItem[][]> {
  return retrieval ? retrieval.topK(model, users, k, options) : model.topKBatch(users, k, options);
}

const shared = new Map<string, ModelRetrieval>();

/**
 * One ModelRetrieval per settings in the process: the scorer and the bundler of one process
 * (`npm start`) then search one HNSW graph per model instead of building and holding two.
 */
export function sharedModelRetrieval(settings: RetrievalSettings, logger?: RetrievalLogger): ModelRetrieval {
  const key = JSON.stringify(settings);
  let retrieval = shared.get(key);
  if (!retrieval) shared.set(key, (retrieval = new ModelRetrieval(settings, logger)));
  return retrieval;
}

/** The model's item matrix as a live source: cold items append rows and may move the matrix. */
export function modelSource(model: RetrievableModel): VectorSource {
  return {
    get hidden() {
      return model.hidden;
    },
    get rowCount() {
      return model.rowCount;
    },
    get matrix() {
      return model.itemMatrix;
    },
  };
}

/** The model's own exact kernel (onnxruntime) as an ExactSearch. */
export function modelExactSearch(model: RetrievableModel): ExactSearch {
  return async (_source, users, k, options) => (await model.topKBatch(users, k, { exclude: options.excludeRows, mask: options.mask })).map(toRows);
}

function toRows(items: readonly ScoredItem[]): TopKRows {
  return { rows: Int32Array.from(items, (s) => s.row), scores: Float64Array.from(items, (s) => s.score) };
}
