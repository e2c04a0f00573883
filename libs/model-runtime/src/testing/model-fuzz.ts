// Model exports under property-based fuzzing (issue 13): mutated and arbitrary manifest.json, and
// truncated, damaged or garbage .onnx files (with the manifest's sha256 made to agree, so the bytes
// reach onnxruntime), each loaded through the real SequentialRecommenderModel.load. A load must
// resolve or reject with a ModelLoadError naming a file of the folder and the problem, within a time
// budget; nothing else may be thrown. Used by model-load.fuzz.spec.ts and tools/bench/fuzz.
import { promises as fs } from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { ModelLoadError } from '../model-load-error';
import { SequentialRecommenderModel } from '../sequential-recommender-model';
import { sha256Hex, writeFakeModelDir } from './fake-model-dir';

const MODEL_FILES = ['user_encoder.onnx', 'item_embeddings.onnx', 'item_from_side.onnx', 'text_encoder.onnx', 'vocab.txt'] as const;
type ModelFileName = (typeof MODEL_FILES)[number];

export type ModelFuzzInput =
  | { readonly kind: 'manifest-edits'; readonly edits: ReadonlyArray<{ readonly path: readonly string[]; readonly value: unknown }> }
  | { readonly kind: 'manifest-text'; readonly text: string }
  | { readonly kind: 'file-bytes'; readonly file: ModelFileName; readonly edit: FileEdit; readonly updateSha: boolean };

type FileEdit =
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'flip'; readonly at: readonly number[]; readonly value: number }
  | { readonly op: 'garbage'; readonly bytes: Uint8Array }
  | { readonly op: 'append'; readonly bytes: Uint8Array };

/** Paths into manifest.json ('.'-free keys); `undefined` as the value deletes the key. */
const MANIFEST_PATHS: readonly string[][] = [
  ['format'], ['model_version'], ['created_at'], ['dims'], ['dims', 'hidden'], ['dims', 'max_seq_len'], ['dims', 'text_dim'], ['num_items'],
  ['item_ids'], ['item_ids', '0'], ['item_ids', '11'], ['action_types'], ['action_types', '0'], ['side_info'], ['side_info', 'categories'], ['side_info', 'brands'],
  ['side_info', 'attributes'], ['side_info', 'categories', '0'], ['files'], ['files', 'user_encoder'], ['files', 'item_embeddings'], ['files', 'item_from_side'],
  ['files', 'text_encoder'], ['files', 'tokenizer_vocab'], ['sha256'], ['sha256', 'user_encoder.onnx'], ['sha256', 'vocab.txt'], ['training_data_fingerprint'],
  ['offline_metrics'], ['tokenizer'], ['tokenizer', 'type'], ['tokenizer', 'lowercase'], ['tokenizer', 'max_length'], ['tokenizer', 'cls'], ['tokenizer', 'unk'], ['__proto__'], ['unknown_key'],
];

const manifestValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  {
    arbitrary: fc.constantFrom<unknown>(
      0, -1, 1, 2, 3, 4, 5, 11, 12, 13, 384, 385, 2 ** 31, 2 ** 53, 1e308, 1.5, '', ' ', '..', '.', '../manifest.json', '/etc/hostname', 'manifest.json',
      'user_encoder.onnx', 'item_embeddings.onnx', 'vocab.txt', '__proto__', 'recmesh-model/1', 'recmesh-model/2', 'bert-wordpiece', null, true, [], {}, ['a', 'a'], ['view'],
      Array.from({ length: 13 }, (_, i) => `item-${i}`), Array.from({ length: 11 }, (_, i) => `item-${i}`), 'f'.repeat(64), 'F'.repeat(64), 'g'.repeat(64),
    ),
    weight: 6,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 2 },
);

const fileEdit: fc.Arbitrary<FileEdit> = fc.oneof(
  { arbitrary: fc.nat().map((at): FileEdit => ({ op: 'truncate', at })), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), value: fc.integer({ min: 0, max: 255 }) }), weight: 4 },
  { arbitrary: fc.uint8Array({ maxLength: 128 }).map((bytes): FileEdit => ({ op: 'garbage', bytes })), weight: 2 },
  { arbitrary: fc.uint8Array({ minLength: 1, maxLength: 32 }).map((bytes): FileEdit => ({ op: 'append', bytes })), weight: 1 },
);

/** Every kind of broken export, mostly one or two edits away from a good one. */
export const modelInputs: fc.Arbitrary<ModelFuzzInput> = fc.oneof(
  {
    arbitrary: fc
      .array(fc.record({ path: fc.constantFrom(...MANIFEST_PATHS), value: manifestValue }), { minLength: 1, maxLength: 3 })
      .map((edits): ModelFuzzInput => ({ kind: 'manifest-edits', edits })),
    weight: 5,
  },
  {
    arbitrary: fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''), fc.constantFrom('', '{', '{"format": "recmesh-model/1",', '\u0000', '\ufeff{}')).map((text): ModelFuzzInput => ({ kind: 'manifest-text', text })),
    weight: 1,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('file-bytes' as const), file: fc.constantFrom(...MODEL_FILES), edit: fileEdit, updateSha: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }) }),
    weight: 4,
  },
);

function applyEdit(base: Uint8Array, edit: FileEdit): Uint8Array {
  switch (edit.op) {
    case 'truncate':
      return base.subarray(0, base.length === 0 ? 0 : edit.at % base.length);
    case 'flip': {
      const out = Uint8Array.from(base);
      for (const at of edit.at) if (out.length > 0) out[at % out.length] = edit.value;
      return out;
    }
    case 'garbage':
      return edit.bytes;
    case 'append':
      return Uint8Array.from([...base, ...edit.bytes]);
  }
}

function setPath(root: Record<string, unknown>, keys: readonly string[], value: unknown): void {
  let node: unknown = root;
  for (const key of keys.slice(0, -1)) {
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, key)) return;
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node !== 'object' || node === null) return;
  const last = keys[keys.length - 1];
  if (value === undefined) delete (node as Record<string, unknown>)[last];
  else Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true }); // "__proto__" too, as JSON.parse would
}

const quiet = { info: () => undefined, warn: () => undefined };

/**
 * One model folder, reset to a known-good fake export (with a text encoder and vocabulary) before
 * each input; `check` loads it and classifies the outcome.
 */
export class ModelFuzzTarget {
  private dirty = new Set<string>();

  private constructor(
    readonly dir: string,
    private readonly manifest: string,
    private readonly files: ReadonlyMap<string, Uint8Array>,
    private readonly budgetMs: number,
  ) {}

  static async create(dir: string, options: { budgetMs?: number } = {}): Promise<ModelFuzzTarget> {
    await writeFakeModelDir(dir, { numItems: 12, hidden: 4, maxSeqLen: 3, textDim: 8, vocab: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'phone', 'case', '##s'] });
    const files = new Map<string, Uint8Array>();
    for (const name of MODEL_FILES) files.set(name, await fs.readFile(path.join(dir, name)));
    return new ModelFuzzTarget(dir, await fs.readFile(path.join(dir, 'manifest.json'), 'utf8'), files, options.budgetMs ?? 5000);
  }

  /** 'loaded', or `rejected:<problem>` with numbers and paths left out; throws on a crash or a hang. */
  async check(input: ModelFuzzInput): Promise<string> {
    await this.write(input);
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`load did not settle within ${this.budgetMs} ms`)), this.budgetMs);
    });
    try {
      const model = await Promise.race([SequentialRecommenderModel.load(this.dir, { preferCuda: false, logger: quiet, intraOpNumThreads: 1 }), hang]);
      await model.release();
      return 'loaded';
    } catch (error) {
      if (!(error instanceof ModelLoadError)) throw error;
      if (error.problem.trim() === '') throw new Error(`ModelLoadError without a problem for ${error.file}`);
      if (error.file !== this.dir && path.dirname(error.file) !== this.dir) throw new Error(`ModelLoadError names ${error.file}, outside the model folder`);
      return `rejected:${error.problem.replace(/\(.*$/s, '').replace(/"[^"]*"|\[[^\]]*\]|\d+/g, '_').trim().slice(0, 80)}`;
    } finally {
      clearTimeout(timer);
    }
  }

  private original(name: string): Uint8Array {
    const bytes = this.files.get(name);
    if (!bytes) throw new Error(`${name} is not a file of the fake export`);
    return bytes;
  }

  private async write(input: ModelFuzzInput): Promise<void> {
    const manifest = JSON.parse(this.manifest) as Record<string, unknown>;
    for (const name of this.dirty) await fs.writeFile(path.join(this.dir, name), this.original(name));
    this.dirty.clear();
    let text: string;
    switch (input.kind) {
      case 'manifest-edits':
        for (const edit of input.edits) setPath(manifest, edit.path, edit.value);
        text = JSON.stringify(manifest);
        break;
      case 'manifest-text':
        text = input.text;
        break;
      case 'file-bytes': {
        const bytes = applyEdit(this.original(input.file), input.edit);
        await fs.writeFile(path.join(this.dir, input.file), bytes);
        this.dirty.add(input.file);
        if (input.updateSha) (manifest.sha256 as Record<string, string>)[input.file] = sha256Hex(bytes);
        text = JSON.stringify(manifest);
        break;
      }
    }
    await fs.writeFile(path.join(this.dir, 'manifest.json'), text);
  }
}
