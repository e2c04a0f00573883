import { promises as fs } from 'fs';
import * as path from 'path';
import { errorMessage, isNotFound, ModelLoadError } from './model-load-error';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'recmesh-model/1';

export interface TokenizerConfig {
  type: 'bert-wordpiece';
  lowercase: boolean;
  /** Including [CLS] and [SEP]. */
  maxLength: number;
  cls: string;
  sep: string;
  pad: string;
  unk: string;
}

export interface ModelFiles {
  userEncoder: string;
  itemEmbeddings: string;
  itemFromSide: string;
  textEncoder: string | null;
  tokenizerVocab: string | null;
}

/** manifest.json of an exported model (recmesh-model/1), validated and camel-cased. */
export interface ModelManifest {
  format: typeof MANIFEST_FORMAT;
  modelVersion: string;
  createdAt: string;
  dims: { hidden: number; maxSeqLen: number; textDim: number };
  numItems: number;
  /** itemIds[i] is item-matrix row i + 1; row 0 is padding. */
  itemIds: readonly string[];
  /** actionTypes[i] has action id i + 1; 0 is padding. */
  actionTypes: readonly string[];
  /**
   * categories[i] / brands[i] / attributes[i] have id i + 1; 0 means unknown (or, for attributes,
   * padding). attributes is empty for models without attribute ids and for exports older than it.
   */
  sideInfo: { categories: readonly string[]; brands: readonly string[]; attributes: readonly string[] };
  files: ModelFiles;
  /** Expected sha256 (lower-case hex) of every file listed in `files`. */
  sha256: Readonly<Record<string, string>>;
  trainingDataFingerprint: string;
  offlineMetrics: Readonly<Record<string, unknown>>;
  tokenizer: TokenizerConfig | null;
}

type Json = Record<string, unknown>;

/** Field-by-field checks that report the JSON path of the first bad field. */
class ManifestReader {
  constructor(private readonly file: string) {}

  fail(problem: string): never {
    throw new ModelLoadError(this.file, problem);
  }

  object(obj: Json, key: string, where = ''): Json {
    const v = obj[key];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(`${where}${key} must be an object (got ${describe(v)})`);
    return v as Json;
  }

  string(obj: Json, key: string, where = ''): string {
    const v = obj[key];
    if (typeof v !== 'string' || v.length === 0) this.fail(`${where}${key} must be a non-empty string (got ${describe(v)})`);
    return v;
  }

  positiveInt(obj: Json, key: string, where = ''): number {
    const v = obj[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) this.fail(`${where}${key} must be a positive integer (got ${describe(v)})`);
    return v;
  }

  uniqueStrings(obj: Json, key: string, where = ''): string[] {
    const v = obj[key];
    if (!Array.isArray(v)) this.fail(`${where}${key} must be an array of strings (got ${describe(v)})`);
    const seen = new Set<string>();
    v.forEach((s, i) => {
      if (typeof s !== 'string' || s.length === 0) this.fail(`${where}${key}[${i}] must be a non-empty string (got ${describe(s)})`);
      if (seen.has(s)) this.fail(`${where}${key}[${i}] duplicates "${s}"`);
      seen.add(s);
    });
    return v as string[];
  }

  fileName(obj: Json, key: string, orNull = ''): string {
    const v = obj[key];
    // Plain names only: a manifest must not point outside its own directory.
    if (typeof v !== 'string' || v.length === 0 || path.basename(v) !== v || v === '.' || v === '..') {
      this.fail(`files.${key} must be a plain file name${orNull} (got ${describe(v)})`);
    }
    return v;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Validates a parsed manifest.json; `file` is used in error messages. */
export function parseModelManifest(json: unknown, file: string): ModelManifest {
  const r: ManifestReader = new ManifestReader(file); // annotated so that r.fail() narrows types
  if (typeof json !== 'object' || json === null || Array.isArray(json)) r.fail('must contain a JSON object');
  const m = json as Json;
  if (m.format !== MANIFEST_FORMAT) r.fail(`format must be "${MANIFEST_FORMAT}" (got ${describe(m.format)})`);

  const dimsJson = r.object(m, 'dims');
  const dims = {
    hidden: r.positiveInt(dimsJson, 'hidden', 'dims.'),
    maxSeqLen: r.positiveInt(dimsJson, 'max_seq_len', 'dims.'),
    textDim: r.positiveInt(dimsJson, 'text_dim', 'dims.'),
  };
  const numItems = r.positiveInt(m, 'num_items');
  const itemIds = r.uniqueStrings(m, 'item_ids');
  if (itemIds.length !== numItems) r.fail(`item_ids has ${itemIds.length} entries but num_items is ${numItems}`);
  const actionTypes = r.uniqueStrings(m, 'action_types');
  if (actionTypes.length === 0) r.fail('action_types must not be empty');
  const sideJson = r.object(m, 'side_info');
  const sideInfo = {
    categories: r.uniqueStrings(sideJson, 'categories', 'side_info.'),
    brands: r.uniqueStrings(sideJson, 'brands', 'side_info.'),
    // Added with the attr_ids input of item_from_side.onnx; older exports have neither.
    attributes: sideJson.attributes === undefined ? [] : r.uniqueStrings(sideJson, 'attributes', 'side_info.'),
  };

  const filesJson = r.object(m, 'files');
  const files: ModelFiles = {
    userEncoder: r.fileName(filesJson, 'user_encoder'),
    itemEmbeddings: r.fileName(filesJson, 'item_embeddings'),
    itemFromSide: r.fileName(filesJson, 'item_from_side'),
    textEncoder: filesJson.text_encoder === null ? null : r.fileName(filesJson, 'text_encoder', ' or null'),
    tokenizerVocab: filesJson.tokenizer_vocab === null ? null : r.fileName(filesJson, 'tokenizer_vocab', ' or null'),
  };
  if ((files.textEncoder === null) !== (files.tokenizerVocab === null)) {
    r.fail('files.text_encoder and files.tokenizer_vocab must both be set or both be null');
  }

  const shaJson = r.object(m, 'sha256');
  const sha256: Record<string, string> = {};
  for (const name of Object.values(files)) {
    if (name === null) continue;
    const hex = shaJson[name];
    if (typeof hex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hex)) r.fail(`sha256["${name}"] must be 64 hex digits (got ${describe(hex)})`);
    sha256[name] = hex.toLowerCase();
  }

  let tokenizer: TokenizerConfig | null = null;
  if (m.tokenizer !== undefined && m.tokenizer !== null) {
    const t = r.object(m, 'tokenizer');
    if (t.type !== 'bert-wordpiece') r.fail(`tokenizer.type must be "bert-wordpiece" (got ${describe(t.type)})`);
    if (typeof t.lowercase !== 'boolean') r.fail(`tokenizer.lowercase must be a boolean (got ${describe(t.lowercase)})`);
    tokenizer = {
      type: 'bert-wordpiece',
      lowercase: t.lowercase,
      maxLength: r.positiveInt(t, 'max_length', 'tokenizer.'),
      cls: r.string(t, 'cls', 'tokenizer.'),
      sep: r.string(t, 'sep', 'tokenizer.'),
      pad: r.string(t, 'pad', 'tokenizer.'),
      unk: r.string(t, 'unk', 'tokenizer.'),
    };
    if (tokenizer.maxLength < 2) r.fail('tokenizer.max_length must leave room for [CLS] and [SEP]');
  }
  if (files.textEncoder !== null && tokenizer === null) r.fail('tokenizer is required when files.text_encoder is set');

  const metrics = m.offline_metrics;
  return {
    format: MANIFEST_FORMAT,
    modelVersion: r.string(m, 'model_version'),
    createdAt: r.string(m, 'created_at'),
    dims,
    numItems,
    itemIds,
    actionTypes,
    sideInfo,
    files,
    sha256,
    trainingDataFingerprint: typeof m.training_data_fingerprint === 'string' ? m.training_data_fingerprint : '',
    offlineMetrics: typeof metrics === 'object' && metrics !== null && !Array.isArray(metrics) ? (metrics as Json) : {},
    tokenizer,
  };
}

/** Reads and validates `<dir>/manifest.json`; every failure is a ModelLoadError naming the path. */
export async function readModelManifest(dir: string): Promise<ModelManifest> {
  let stat;
  try {
    stat = await fs.stat(dir);
  } catch (e) {
    const problem = isNotFound(e) ? 'model directory does not exist' : `model directory is not readable (${errorMessage(e)})`;
    throw new ModelLoadError(dir, problem, { cause: e });
  }
  if (!stat.isDirectory()) throw new ModelLoadError(dir, 'is not a directory');
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const problem = isNotFound(e) ? 'manifest is missing' : `cannot read the manifest (${errorMessage(e)})`;
    throw new ModelLoadError(file, problem, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelLoadError(file, `is not valid JSON (${errorMessage(e)})`, { cause: e });
  }
  return parseModelManifest(json, file);
}
