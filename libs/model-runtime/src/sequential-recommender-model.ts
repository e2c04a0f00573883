import type * as ort from 'onnxruntime-node';
import { ItemScoreKernel } from './item-score-kernel';
import { itemTextForEncoder } from './item-text';
import * as path from 'path';
import { exactTopK, TopKRows } from './exact-top-k';
import type { CudaProbe } from './cuda-availability';
import { ItemCatalog } from './item-catalog';
import { verifyModelFiles } from './model-files';
import { errorMessage, ModelLoadError } from './model-load-error';
import { ModelManifest, readModelManifest } from './model-manifest';
import {
  checkOutputDims,
  checkSignature,
  consoleLogger,
  ExecutionProvider,
  fixed,
  float32Output,
  float32Tensor,
  int64Tensor,
  ModelRuntimeLogger,
  QUIET_RUN,
  SessionFactory,
  TensorSpec,
} from './onnx-session';
import { SentenceEncoder } from './sentence-encoder';
import { ActionVocabulary, buildSequenceBatch, UserEvent } from './user-history';

export interface ModelLoadOptions {
  /** Ask onnxruntime for the CUDA execution provider first (default true); CPU is the fallback. */
  preferCuda?: boolean;
  /** Default: console. */
  logger?: ModelRuntimeLogger;
  /** Check every file's sha256 against the manifest (default true). */
  verifyChecksums?: boolean;
  /**
   * Folder with text_encoder.onnx + vocab.txt, used when the export ships no text encoder (the
   * ~90 MB MiniLM usually lives in a cache folder, not in every model export).
   */
  textEncoderDir?: string;
  /** onnxruntime intra-op threads per session (default: onnxruntime's choice). */
  intraOpNumThreads?: number;
  /** Where to look for a GPU and the CUDA provider library (default: this host's). */
  cudaProbe?: CudaProbe;
}

/** A brand-new item: no interactions, no trained embedding, only side information. */
export interface ColdItemInput {
  itemId: string;
  title?: string;
  /** A name from the manifest's side_info.categories; anything else counts as unknown (id 0). */
  category?: string;
  /** A name from the manifest's side_info.brands; anything else counts as unknown (id 0). */
  brand?: string;
  /**
   * Names from the manifest's side_info.attributes (the dataset's anonymous attribute ids as text,
   * or a shop's "key=value" pairs, see attributeNames); unknown ones and repeats are ignored, and so
   * are all of them for models without attributes.
   */
  attributes?: readonly string[];
}

export interface ColdItemVector {
  itemId: string;
  vector: Float32Array;
  /** False when there was no title or no text encoder: the vector comes from category/brand/attributes only. */
  usedText: boolean;
  categoryId: number;
  brandId: number;
  /** The known attributes' ids (in the order given); empty when none was known. */
  attributeIds: number[];
}

export interface AddedColdItem extends ColdItemVector {
  row: number;
  /** True when the item was already a cold item and its vector was replaced. */
  replaced: boolean;
}

/** Raw inputs of item_from_side.onnx for one item. */
export interface SideInformation {
  /** A text_dim sentence vector, or null for "no text" (zeros with has_text = 0). */
  textVec: Float32Array | null;
  categoryId: number;
  brandId: number;
  /** Ids from 1..side_info.attributes.length (none: no attributes); the graph averages their embeddings. */
  attributeIds?: readonly number[];
}

export interface ScoredItem {
  itemId: string;
  row: number;
  score: number;
}

export interface TopKOptions {
  /**
   * Per user (same order as the user vectors): items not to return, e.g. already seen ones.
   * Strings are item ids, numbers are rows; unknown ids are ignored.
   */
  exclude?: ReadonlyArray<Iterable<string | number> | undefined>;
  /** Shared by all users: mask[row] !== 0 drops the row (e.g. out of stock); rows past its end are kept. */
  mask?: Uint8Array;
}


/** item_from_side.onnx's attribute input: ids padded with 0, [batch, attributes per item]. */
const ATTR_IDS_INPUT: TensorSpec = { name: 'attr_ids', type: 'int64', shape: ['dynamic', 'dynamic'] };

/** Rows per item_embeddings run while materialising the matrix: bounds onnxruntime's buffers. */
const ITEM_MATRIX_CHUNK_ROWS = 16384;

/**
 * The exported SASRec-style sequential recommender, served from ONNX: encodes user histories into
 * vectors, scores them exactly against the whole item matrix (held once in memory), and embeds
 * cold items from their title/category/brand without retraining.
 */
export class SequentialRecommenderModel {
  private constructor(
    readonly manifest: ModelManifest,
    readonly executionProvider: ExecutionProvider,
    /** Why it runs there, e.g. "CUDA requested but unavailable: no NVIDIA GPU found (...)". */
    readonly executionProviderReason: string,
    private readonly catalog: ItemCatalog,
    private readonly userEncoder: ort.InferenceSession,
    private readonly itemFromSide: ort.InferenceSession,
    private readonly sentenceEncoder: SentenceEncoder | null,
    private readonly files: { userEncoder: string; itemFromSide: string },
    /** False for exports older than the attr_ids input of item_from_side.onnx. */
    private readonly itemFromSideTakesAttributes: boolean,
  ) {
    this.actions = new ActionVocabulary(manifest.actionTypes);
    this.categoryIds = new Map(manifest.sideInfo.categories.map((c, i) => [c, i + 1]));
    this.brandIds = new Map(manifest.sideInfo.brands.map((b, i) => [b, i + 1]));
    this.attributeIds = new Map(manifest.sideInfo.attributes.map((a, i) => [a, i + 1]));
  }

  private readonly actions: ActionVocabulary;
  private scoreKernel?: Promise<ItemScoreKernel>;
  private readonly categoryIds: Map<string, number>;
  private readonly brandIds: Map<string, number>;
  private readonly attributeIds: Map<string, number>;

  /**
   * Loads and checks a recmesh-model/1 directory. Every problem (missing or corrupt file, bad
   * manifest, model that does not match the manifest) rejects with a ModelLoadError naming the file.
   */
  static async load(dir: string, options: ModelLoadOptions = {}): Promise<SequentialRecommenderModel> {
    const logger = options.logger ?? consoleLogger;
    const manifest = await readModelManifest(dir);
    await verifyModelFiles(dir, manifest, options.verifyChecksums ?? true);
    const sessions = new SessionFactory({ preferCuda: options.preferCuda ?? true, logger, intraOpNumThreads: options.intraOpNumThreads, cudaProbe: options.cudaProbe });
    const { hidden, maxSeqLen, textDim } = manifest.dims;
    const files = {
      userEncoder: path.join(dir, manifest.files.userEncoder),
      itemEmbeddings: path.join(dir, manifest.files.itemEmbeddings),
      itemFromSide: path.join(dir, manifest.files.itemFromSide),
    };
    const opened: { release(): Promise<void> }[] = [];
    try {
      const userEncoder = await sessions.open(files.userEncoder);
      opened.push(userEncoder);
      checkSignature(userEncoder, files.userEncoder, {
        inputs: [
          { name: 'item_seq', type: 'int64', shape: ['dynamic', fixed(maxSeqLen, 'dims.max_seq_len')] },
          { name: 'action_seq', type: 'int64', shape: ['dynamic', fixed(maxSeqLen, 'dims.max_seq_len')] },
        ],
        outputs: [{ name: 'user_vec', type: 'float32', shape: ['dynamic', fixed(hidden, 'dims.hidden')] }],
      });
      const itemFromSide = await sessions.open(files.itemFromSide);
      opened.push(itemFromSide);
      // attr_ids [batch, attributes] came later: exports without it (and without side_info.attributes) still load.
      const takesAttributes = itemFromSide.inputNames.includes('attr_ids');
      if (!takesAttributes && manifest.sideInfo.attributes.length > 0) {
        throw new ModelLoadError(files.itemFromSide, `has no attr_ids input, but the manifest lists ${manifest.sideInfo.attributes.length} side_info.attributes`);
      }
      checkSignature(itemFromSide, files.itemFromSide, {
        inputs: [
          { name: 'text_vec', type: 'float32', shape: ['dynamic', fixed(textDim, 'dims.text_dim')] },
          { name: 'has_text', type: 'float32', shape: ['dynamic', fixed(1, 'has_text width')] },
          { name: 'category_id', type: 'int64', shape: ['dynamic'] },
          { name: 'brand_id', type: 'int64', shape: ['dynamic'] },
          ...(takesAttributes ? [ATTR_IDS_INPUT] : []),
        ],
        outputs: [{ name: 'item_vec', type: 'float32', shape: ['dynamic', fixed(hidden, 'dims.hidden')] }],
      });
      const matrix = await loadItemMatrix(sessions, files.itemEmbeddings, manifest);
      const sentenceEncoder = await loadSentenceEncoder(dir, manifest, sessions, options, logger);
      if (sentenceEncoder) opened.push(sentenceEncoder);
      const model = new SequentialRecommenderModel(
        manifest,
        sessions.executionProvider ?? 'cpu',
        sessions.executionProviderReason ?? 'no session opened',
        new ItemCatalog(hidden, manifest.itemIds, matrix),
        userEncoder,
        itemFromSide,
        sentenceEncoder,
        files,
        takesAttributes,
      );
      await model.probe();
      return model;
    } catch (e) {
      await Promise.allSettled(opened.map((s) => s.release()));
      throw e;
    }
  }

  get modelVersion(): string {
    return this.manifest.modelVersion;
  }

  get hidden(): number {
    return this.manifest.dims.hidden;
  }

  get maxSeqLen(): number {
    return this.manifest.dims.maxSeqLen;
  }

  /** itemIds[i] is row i + 1: the trained items, then cold items in the order they were added. */
  get itemIds(): readonly string[] {
    return this.catalog.itemIds;
  }

  /** Rows including padding row 0 (the length a per-row mask needs). */
  get rowCount(): number {
    return this.catalog.rowCount;
  }

  /** Row-major [rowCount, hidden]; row 0 is padding. A view: do not keep it across addColdItem. */
  get itemMatrix(): Float32Array {
    return this.catalog.matrix;
  }

  get hasTextEncoder(): boolean {
    return this.sentenceEncoder !== null;
  }

  rowOf(itemId: string): number | undefined {
    return this.catalog.rowOf(itemId);
  }

  itemIdOf(row: number): string | undefined {
    return this.catalog.itemIdOf(row);
  }

  isColdItem(itemId: string): boolean {
    return this.catalog.isColdItem(itemId);
  }

  /** A copy of the item's vector, or undefined for an unknown item. */
  itemVector(itemId: string): Float32Array | undefined {
    const row = this.catalog.rowOf(itemId);
    return row === undefined ? undefined : this.catalog.vectorOfRow(row);
  }

  /**
   * User vectors, row-major [histories.length, hidden]. Each history is oldest first; events with
   * items the user encoder was not trained on (including cold items) or unknown actions are
   * skipped, and only the most recent max_seq_len remaining events are used.
   */
  async encodeUsers(histories: ReadonlyArray<ReadonlyArray<UserEvent>>): Promise<Float32Array> {
    if (histories.length === 0) return new Float32Array(0);
    const batch = buildSequenceBatch(histories, this.maxSeqLen, (id) => this.catalog.trainedRowOf(id), this.actions);
    return (await this.runUserEncoder(batch.itemSeq, batch.actionSeq, batch.batchSize)).data;
  }

  /**
   * Exact top-K items per user vector over the whole catalog (cold items included), best first;
   * ties go to the lower row. userVecs is row-major [batch, hidden], e.g. from encodeUsers.
   */
  topK(userVecs: Float32Array, k: number, options: TopKOptions = {}): ScoredItem[][] {
    const excludeRows = options.exclude?.map((items) => (items === undefined ? undefined : this.rowSet(items)));
    return this.scoredItems(exactTopK(this.catalog.matrix, this.catalog.rowCount, this.hidden, userVecs, k, { excludeRows, mask: options.mask }));
  }

  /**
   * The same answer as topK (to float32 rounding of the scores), with the score matrix computed by
   * onnxruntime: the serving path for batches, where JavaScript multiply-adds would dominate.
   */
  async topKBatch(userVecs: Float32Array, k: number, options: TopKOptions = {}): Promise<ScoredItem[][]> {
    const excludeRows = options.exclude?.map((items) => (items === undefined ? undefined : this.rowSet(items)));
    this.scoreKernel ??= ItemScoreKernel.open(this.hidden, this.executionProvider);
    const kernel = await this.scoreKernel;
    // Trained rows (and padding row 0) never change; cold rows after them may be added or replaced.
    const immutableRows = this.catalog.trainedItemCount + 1;
    return this.scoredItems(await kernel.topK(this.catalog.matrix, this.catalog.rowCount, this.hidden, userVecs, k, { excludeRows, mask: options.mask, immutableRows }));
  }

  private scoredItems(results: TopKRows[]): ScoredItem[][] {
    const ids = this.catalog.itemIds; // ids[row - 1]: returned rows are always >= 1
    return results.map(({ rows, scores }) => Array.from(rows, (row, i) => ({ itemId: ids[row - 1], row, score: scores[i] })));
  }

  /** item_from_side.onnx on raw side information: row-major [inputs.length, hidden]. */
  async itemVectorsFromSide(inputs: readonly SideInformation[]): Promise<Float32Array> {
    return (await this.runItemFromSide(inputs)).data;
  }

  private async runItemFromSide(inputs: readonly SideInformation[], runOptions: ort.InferenceSession.RunOptions = {}): Promise<{ data: Float32Array; dims: readonly number[] }> {
    const n = inputs.length;
    if (n === 0) return { data: new Float32Array(0), dims: [0, this.hidden] };
    const textDim = this.manifest.dims.textDim;
    const textVec = new Float32Array(n * textDim);
    const hasText = new Float32Array(n);
    const categoryId = new BigInt64Array(n);
    const brandId = new BigInt64Array(n);
    // Left-aligned ids padded with 0 to the longest list (at least one column).
    const width = Math.max(1, ...inputs.map((input) => input.attributeIds?.length ?? 0));
    const attrIds = new BigInt64Array(n * width);
    const attributeCount = this.manifest.sideInfo.attributes.length;
    inputs.forEach((input, i) => {
      if (input.textVec) {
        if (input.textVec.length !== textDim) throw new RangeError(`textVec has ${input.textVec.length} values, expected ${textDim}`);
        textVec.set(input.textVec, i * textDim);
        hasText[i] = 1;
      }
      categoryId[i] = BigInt(checkSideId(input.categoryId, this.manifest.sideInfo.categories.length, 'categoryId'));
      brandId[i] = BigInt(checkSideId(input.brandId, this.manifest.sideInfo.brands.length, 'brandId'));
      input.attributeIds?.forEach((id, j) => {
        if (id === 0) throw new RangeError('attributeId 0 is padding, not an attribute');
        attrIds[i * width + j] = BigInt(checkSideId(id, attributeCount, 'attributeId'));
      });
    });
    const feeds: Record<string, ort.Tensor> = {
      text_vec: float32Tensor(textVec, [n, textDim]),
      has_text: float32Tensor(hasText, [n, 1]),
      category_id: int64Tensor(categoryId, [n]),
      brand_id: int64Tensor(brandId, [n]),
    };
    if (this.itemFromSideTakesAttributes) feeds.attr_ids = int64Tensor(attrIds, [n, width]);
    const results = await this.itemFromSide.run(feeds, runOptions);
    return float32Output(results, 'item_vec', this.files.itemFromSide);
  }

  /**
   * Vectors for brand-new items from title (through the text encoder, when one is loaded),
   * category, brand and attributes, computed entirely in this process. Does not add them to the catalog.
   */
  async coldItemVectors(items: readonly ColdItemInput[]): Promise<ColdItemVector[]> {
    const textDim = this.manifest.dims.textDim;
    const encoder = this.sentenceEncoder;
    // Same text template as training, or the projection sees text it never learned from.
    const titled = encoder ? items.map((item, i) => ({ i, text: itemTextForEncoder(item) ?? '' })).filter((t) => t.text !== '') : [];
    const textVecs = encoder && titled.length > 0 ? await encoder.encode(titled.map((t) => t.text)) : new Float32Array(0);
    const textByItem = new Map(titled.map((t, j) => [t.i, textVecs.subarray(j * textDim, (j + 1) * textDim)]));
    const sides = items.map((item, i) => ({
      textVec: textByItem.get(i) ?? null,
      categoryId: (item.category !== undefined && this.categoryIds.get(item.category)) || 0,
      brandId: (item.brand !== undefined && this.brandIds.get(item.brand)) || 0,
      attributeIds: this.knownAttributeIds(item.attributes),
    }));
    const vectors = await this.itemVectorsFromSide(sides);
    return items.map((item, i) => ({
      itemId: item.itemId,
      vector: vectors.slice(i * this.hidden, (i + 1) * this.hidden),
      usedText: sides[i].textVec !== null,
      categoryId: sides[i].categoryId,
      brandId: sides[i].brandId,
      attributeIds: sides[i].attributeIds,
    }));
  }

  private knownAttributeIds(names: readonly string[] | undefined): number[] {
    const ids = new Set<number>();
    for (const name of names ?? []) {
      const id = this.attributeIds.get(name);
      if (id !== undefined) ids.add(id);
    }
    return [...ids];
  }

  async coldItemVector(item: ColdItemInput): Promise<ColdItemVector> {
    return (await this.coldItemVectors([item]))[0];
  }

  /**
   * Computes and adds brand-new items so that topK can return them right away (re-adding a cold
   * item replaces its vector). Trained items are refused: they already have better vectors.
   */
  async addColdItems(items: readonly ColdItemInput[]): Promise<AddedColdItem[]> {
    for (const item of items) {
      if (typeof item.itemId !== 'string' || item.itemId === '') throw new RangeError('a cold item needs a non-empty itemId');
      const row = this.catalog.rowOf(item.itemId);
      if (row !== undefined && !this.catalog.isColdItem(item.itemId)) throw new RangeError(`item ${item.itemId} is a trained item (row ${row})`);
    }
    const vectors = await this.coldItemVectors(items);
    return vectors.map((v) => ({ ...v, ...this.catalog.upsertColdItem(v.itemId, v.vector) }));
  }

  async addColdItem(item: ColdItemInput): Promise<AddedColdItem> {
    return (await this.addColdItems([item]))[0];
  }

  /** Frees the onnxruntime sessions; the model must not be used afterwards. */
  async release(): Promise<void> {
    const kernel = this.scoreKernel?.then((k) => k.release());
    await Promise.allSettled([this.userEncoder.release(), this.itemFromSide.release(), this.sentenceEncoder?.release(), kernel]);
  }

  private rowSet(items: Iterable<string | number>): Set<number> {
    const rows = new Set<number>();
    for (const item of items) {
      const row = typeof item === 'number' ? item : this.catalog.rowOf(item);
      if (row !== undefined) rows.add(row);
    }
    return rows;
  }

  private async runUserEncoder(itemSeq: BigInt64Array, actionSeq: BigInt64Array, batchSize: number, runOptions: ort.InferenceSession.RunOptions = {}) {
    const dims = [batchSize, this.maxSeqLen];
    const results = await this.userEncoder.run({ item_seq: int64Tensor(itemSeq, dims), action_seq: int64Tensor(actionSeq, dims) }, runOptions);
    return float32Output(results, 'user_vec', this.files.userEncoder);
  }

  /**
   * One tiny inference per graph at load time: catches sizes the graphs leave symbolic and tables
   * smaller than the manifest's vocabularies before the first real request does.
   */
  private async probe(): Promise<void> {
    const { numItems, dims, actionTypes, sideInfo } = this.manifest;
    const itemSeq = new BigInt64Array(dims.maxSeqLen);
    const actionSeq = new BigInt64Array(dims.maxSeqLen);
    itemSeq[dims.maxSeqLen - 1] = BigInt(numItems); // the last item row must exist
    actionSeq[dims.maxSeqLen - 1] = BigInt(actionTypes.length); // and so must the last action id
    await runProbe(this.files.userEncoder, `with item row ${numItems} and action id ${actionTypes.length}`, async () => {
      const out = await this.runUserEncoder(itemSeq, actionSeq, 1, QUIET_RUN);
      checkOutputDims(this.files.userEncoder, 'user_vec', out.dims, [1, dims.hidden], 'manifest dims.hidden');
    });
    const lastAttribute = sideInfo.attributes.length;
    const last = { textVec: null, categoryId: sideInfo.categories.length, brandId: sideInfo.brands.length, attributeIds: lastAttribute > 0 ? [lastAttribute] : [] };
    const ids = lastAttribute > 0 ? `category id ${last.categoryId}, brand id ${last.brandId} and attribute id ${lastAttribute}` : `category id ${last.categoryId} and brand id ${last.brandId}`;
    await runProbe(this.files.itemFromSide, `with ${ids}`, async () => {
      const out = await this.runItemFromSide([last], QUIET_RUN);
      checkOutputDims(this.files.itemFromSide, 'item_vec', out.dims, [1, dims.hidden], 'manifest dims.hidden');
    });
  }
}

async function runProbe(file: string, what: string, probe: () => Promise<void>): Promise<void> {
  try {
    await probe();
  } catch (e) {
    if (e instanceof ModelLoadError) throw e;
    throw new ModelLoadError(file, `inference ${what} failed; the model does not match manifest.json (${errorMessage(e)})`, { cause: e });
  }
}

function checkSideId(id: number, vocabularySize: number, what: string): number {
  if (!Number.isInteger(id) || id < 0 || id > vocabularySize) throw new RangeError(`${what} ${id} is outside 0..${vocabularySize}`);
  return id;
}

/**
 * Materialises the full item matrix once through item_embeddings.onnx (on CPU: a one-off lookup),
 * then releases that session. Also checks the table ends exactly at num_items, so item_ids and
 * rows cannot silently disagree.
 */
async function loadItemMatrix(sessions: SessionFactory, file: string, manifest: ModelManifest): Promise<Float32Array> {
  const session = await sessions.openOnCpu(file);
  try {
    checkSignature(session, file, {
      inputs: [{ name: 'item_rows', type: 'int64', shape: ['dynamic'] }],
      outputs: [{ name: 'item_vec', type: 'float32', shape: ['dynamic', fixed(manifest.dims.hidden, 'dims.hidden')] }],
    });
    const { hidden } = manifest.dims;
    const rows = manifest.numItems + 1;
    const matrix = new Float32Array(rows * hidden);
    for (let start = 0; start < rows; start += ITEM_MATRIX_CHUNK_ROWS) {
      const n = Math.min(ITEM_MATRIX_CHUNK_ROWS, rows - start);
      const ids = BigInt64Array.from({ length: n }, (_, i) => BigInt(start + i));
      let results: ort.InferenceSession.ReturnType;
      try {
        results = await session.run({ item_rows: int64Tensor(ids, [n]) }, QUIET_RUN);
      } catch (e) {
        throw new ModelLoadError(file, `cannot produce item rows ${start}..${start + n - 1}: manifest num_items (${manifest.numItems}) exceeds the model's table (${errorMessage(e)})`, { cause: e });
      }
      const { data, dims } = float32Output(results, 'item_vec', file);
      checkOutputDims(file, 'item_vec', dims, [n, hidden], 'manifest dims.hidden');
      matrix.set(data, start * hidden);
    }
    // A row past num_items must not exist (Gather rejects out-of-range rows).
    const beyond = await session
      .run({ item_rows: int64Tensor(BigInt64Array.of(BigInt(rows)), [1]) }, QUIET_RUN)
      .then(() => true)
      .catch(() => false);
    if (beyond) throw new ModelLoadError(file, `has more than num_items + 1 = ${rows} rows: manifest num_items / item_ids do not match the model`);
    return matrix;
  } finally {
    await session.release();
  }
}

async function loadSentenceEncoder(
  dir: string,
  manifest: ModelManifest,
  sessions: SessionFactory,
  options: ModelLoadOptions,
  logger: ModelRuntimeLogger,
): Promise<SentenceEncoder | null> {
  const { textEncoder, tokenizerVocab } = manifest.files;
  if (textEncoder !== null && tokenizerVocab !== null) {
    return SentenceEncoder.load(
      { modelFile: path.join(dir, textEncoder), vocabFile: path.join(dir, tokenizerVocab), tokenizer: manifest.tokenizer ?? undefined, dim: manifest.dims.textDim },
      sessions,
    );
  }
  if (options.textEncoderDir !== undefined) {
    const encoder = await SentenceEncoder.loadFromDir(options.textEncoderDir, {
      sessions,
      dim: manifest.dims.textDim,
      tokenizer: manifest.tokenizer ?? undefined,
    });
    logger.info(`text encoder loaded from ${options.textEncoderDir} (not part of the model export)`);
    return encoder;
  }
  logger.info('no text encoder available: cold items will be embedded from category/brand/attributes only (has_text=0)');
  return null;
}
