import { mulberry32 } from '@recmesh/numerics';
// Test helper: a complete recmesh-model/1 directory built from simple, hand-checkable graphs, so the
// loader, the encoders and the catalog can be tested against plain TypeScript reference maths.
//
//   user_encoder:    user_vec[b]   = sum_t (t+1) * (item_table[item_seq[b,t]] + action_table[action_seq[b,t]])
//   item_embeddings: item_vec[n]   = item_table[item_rows[n]]
//   item_from_side:  item_vec[b]   = has_text[b] * (text_vec[b] @ text_proj) + cat_table[cat[b]] + brand_table[brand[b]]
//   text_encoder:    sentence_vec  = l2normalize(sum_s attention_mask[b,s] * word_table[input_ids[b,s]])
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { encodeOnnxModel, int64Const, OnnxGraph, OnnxValueInfo } from '../onnx-graph-writer';

export const ACTION_TYPES = ['view', 'click', 'add_to_cart', 'remove_from_cart', 'purchase', 'rate'];

export interface FakeModelSpec {
  numItems: number;
  hidden: number;
  maxSeqLen: number;
  textDim?: number;
  categories?: string[];
  brands?: string[];
  /** When set, text_encoder.onnx + vocab.txt are written and listed in the manifest. */
  vocab?: string[];
  seed?: number;
  /** Renames the user encoder's first input (to test signature checks). */
  userEncoderItemInputName?: string;
}

export interface FakeModel {
  dir: string;
  spec: Required<Omit<FakeModelSpec, 'vocab' | 'userEncoderItemInputName'>>;
  itemIds: string[];
  itemTable: Float32Array;
  actionTable: Float32Array;
  textProj: Float32Array;
  categoryTable: Float32Array;
  brandTable: Float32Array;
  wordTable: Float32Array | null;
  /** Reference user vector for one left-padded sequence of rows / action ids. */
  referenceUserVec(rows: number[], actions: number[]): Float32Array;
  referenceSideVec(textVec: Float32Array | null, categoryId: number, brandId: number): Float32Array;
}

export function randomMatrix(rand: () => number, rows: number, cols: number, zeroFirstRow: boolean): Float32Array {
  const m = new Float32Array(rows * cols);
  for (let i = zeroFirstRow ? cols : 0; i < m.length; i++) m[i] = rand() * 2 - 1;
  return m;
}

export const f32 = (name: string, shape: (number | string)[]): OnnxValueInfo => ({ name, type: 'float32', shape });
export const i64 = (name: string, shape: (number | string)[]): OnnxValueInfo => ({ name, type: 'int64', shape });

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface ModelTables {
  readonly itemTable: Float32Array;
  readonly actionTable: Float32Array;
  readonly positionWeights: Float32Array;
  readonly textProj: Float32Array;
  readonly categoryTable: Float32Array;
  readonly brandTable: Float32Array;
  readonly hidden: number;
  readonly maxSeqLen: number;
  readonly textDim: number;
  /** Another name for the user encoder's item input, to test mismatched exports. */
  readonly itemInputName?: string;
}

/** The three graphs of the export layout over the given weight tables (see the formulas at the top). */
export function modelGraphs(t: ModelTables): { userEncoder: OnnxGraph; itemEmbeddings: OnnxGraph; itemFromSide: OnnxGraph } {
  const userEncoder: OnnxGraph = {
    inputs: [i64(t.itemInputName ?? 'item_seq', ['batch', t.maxSeqLen]), i64('action_seq', ['batch', t.maxSeqLen])],
    outputs: [f32('user_vec', ['batch', t.hidden])],
    initializers: [
      { name: 'item_table', dims: [t.itemTable.length / t.hidden, t.hidden], data: t.itemTable },
      { name: 'action_table', dims: [ACTION_TYPES.length + 1, t.hidden], data: t.actionTable },
      { name: 'position_weights', dims: [t.maxSeqLen, 1], data: t.positionWeights },
      int64Const('axis_1', [1]),
    ],
    nodes: [
      { op: 'Gather', inputs: ['item_table', t.itemInputName ?? 'item_seq'], outputs: ['items'] },
      { op: 'Gather', inputs: ['action_table', 'action_seq'], outputs: ['actions'] },
      { op: 'Add', inputs: ['items', 'actions'], outputs: ['tokens'] },
      { op: 'Mul', inputs: ['tokens', 'position_weights'], outputs: ['weighted'] },
      { op: 'ReduceSum', inputs: ['weighted', 'axis_1'], outputs: ['user_vec'], intAttrs: { keepdims: 0 } },
    ],
  };
  const itemEmbeddings: OnnxGraph = {
    inputs: [i64('item_rows', ['n'])],
    outputs: [f32('item_vec', ['n', t.hidden])],
    initializers: [{ name: 'item_table', dims: [t.itemTable.length / t.hidden, t.hidden], data: t.itemTable }],
    nodes: [{ op: 'Gather', inputs: ['item_table', 'item_rows'], outputs: ['item_vec'] }],
  };
  const itemFromSide: OnnxGraph = {
    inputs: [
      f32('text_vec', ['batch', t.textDim]),
      f32('has_text', ['batch', 1]),
      i64('category_id', ['batch']),
      i64('brand_id', ['batch']),
    ],
    outputs: [f32('item_vec', ['batch', t.hidden])],
    initializers: [
      { name: 'text_proj', dims: [t.textDim, t.hidden], data: t.textProj },
      { name: 'cat_table', dims: [t.categoryTable.length / t.hidden, t.hidden], data: t.categoryTable },
      { name: 'brand_table', dims: [t.brandTable.length / t.hidden, t.hidden], data: t.brandTable },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['text_vec', 'text_proj'], outputs: ['text_part'] },
      { op: 'Mul', inputs: ['text_part', 'has_text'], outputs: ['text_gated'] },
      { op: 'Gather', inputs: ['cat_table', 'category_id'], outputs: ['cat_part'] },
      { op: 'Gather', inputs: ['brand_table', 'brand_id'], outputs: ['brand_part'] },
      { op: 'Add', inputs: ['text_gated', 'cat_part'], outputs: ['partial'] },
      { op: 'Add', inputs: ['partial', 'brand_part'], outputs: ['item_vec'] },
    ],
  };
  return { userEncoder, itemEmbeddings, itemFromSide };
}

export async function writeFakeModelDir(dir: string, specIn: FakeModelSpec): Promise<FakeModel> {
  const spec = {
    textDim: 384,
    categories: ['gloves', 'pipettes', 'tape'],
    brands: ['acme', 'esun'],
    seed: 42,
    ...specIn,
  };
  const { numItems: n, hidden: h, maxSeqLen: len, textDim } = spec;
  const rand = mulberry32(spec.seed);
  const itemTable = randomMatrix(rand, n + 1, h, true);
  const actionTable = randomMatrix(rand, ACTION_TYPES.length + 1, h, true);
  const textProj = randomMatrix(rand, textDim, h, false);
  const categoryTable = randomMatrix(rand, spec.categories.length + 1, h, false);
  const brandTable = randomMatrix(rand, spec.brands.length + 1, h, false);
  const positionWeights = Float32Array.from({ length: len }, (_, t) => t + 1);
  const wordTable = spec.vocab ? randomMatrix(rand, spec.vocab.length, textDim, false) : null;

  const { userEncoder, itemEmbeddings, itemFromSide } = modelGraphs({
    itemTable, actionTable, positionWeights, textProj, categoryTable, brandTable,
    hidden: h, maxSeqLen: len, textDim, itemInputName: spec.userEncoderItemInputName,
  });

  const files: Record<string, Uint8Array | string> = {
    'user_encoder.onnx': encodeOnnxModel(userEncoder),
    'item_embeddings.onnx': encodeOnnxModel(itemEmbeddings),
    'item_from_side.onnx': encodeOnnxModel(itemFromSide),
  };
  if (spec.vocab && wordTable) {
    files['text_encoder.onnx'] = encodeOnnxModel({
      inputs: [i64('input_ids', ['batch', 'seq']), i64('attention_mask', ['batch', 'seq']), i64('token_type_ids', ['batch', 'seq'])],
      outputs: [f32('sentence_vec', ['batch', textDim])],
      initializers: [
        { name: 'word_table', dims: [spec.vocab.length, textDim], data: wordTable },
        int64Const('axis_1', [1]),
        int64Const('axis_2', [2]),
      ],
      nodes: [
        { op: 'Gather', inputs: ['word_table', 'input_ids'], outputs: ['words'] },
        { op: 'Cast', inputs: ['attention_mask'], outputs: ['mask_f'], intAttrs: { to: 1 } },
        { op: 'Unsqueeze', inputs: ['mask_f', 'axis_2'], outputs: ['mask_3d'] },
        { op: 'Mul', inputs: ['words', 'mask_3d'], outputs: ['masked'] },
        { op: 'ReduceSum', inputs: ['masked', 'axis_1'], outputs: ['pooled'], intAttrs: { keepdims: 0 } },
        { op: 'LpNormalization', inputs: ['pooled'], outputs: ['sentence_vec'], intAttrs: { axis: 1, p: 2 } },
      ],
    });
    files['vocab.txt'] = spec.vocab.join('\n') + '\n';
  }

  await fs.mkdir(dir, { recursive: true });
  const sha256: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(files)) {
    await fs.writeFile(path.join(dir, name), bytes);
    sha256[name] = sha256Hex(bytes);
  }
  const itemIds = Array.from({ length: n }, (_, i) => `item-${i}`);
  const manifest = {
    format: 'recmesh-model/1',
    model_version: 'fake-1',
    created_at: '2025-01-01T00:00:00+00:00',
    dims: { hidden: h, max_seq_len: len, text_dim: textDim },
    num_items: n,
    item_ids: itemIds,
    action_types: ACTION_TYPES,
    side_info: { categories: spec.categories, brands: spec.brands },
    files: {
      user_encoder: 'user_encoder.onnx',
      item_embeddings: 'item_embeddings.onnx',
      item_from_side: 'item_from_side.onnx',
      text_encoder: spec.vocab ? 'text_encoder.onnx' : null,
      tokenizer_vocab: spec.vocab ? 'vocab.txt' : null,
    },
    sha256,
    training_data_fingerprint: sha256Hex('fake'),
    offline_metrics: {},
    tokenizer: { type: 'bert-wordpiece', lowercase: true, max_length: 16, cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', unk: '[UNK]' },
  };
  await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));

  const row = (m: Float32Array, r: number) => m.subarray(r * h, (r + 1) * h);
  return {
    dir,
    spec: { numItems: n, hidden: h, maxSeqLen: len, textDim, categories: spec.categories, brands: spec.brands, seed: spec.seed },
    itemIds,
    itemTable,
    actionTable,
    textProj,
    categoryTable,
    brandTable,
    wordTable,
    referenceUserVec(rows, actions) {
      const out = new Float32Array(h);
      for (let t = 0; t < len; t++) {
        const item = row(itemTable, rows[t]);
        const action = row(actionTable, actions[t]);
        for (let j = 0; j < h; j++) out[j] += (t + 1) * (item[j] + action[j]);
      }
      return out;
    },
    referenceSideVec(textVec, categoryId, brandId) {
      const out = new Float32Array(h);
      for (let j = 0; j < h; j++) {
        let text = 0;
        if (textVec) for (let i = 0; i < textDim; i++) text += textVec[i] * textProj[i * h + j];
        out[j] = text + categoryTable[categoryId * h + j] + brandTable[brandId * h + j];
      }
      return out;
    },
  };
}

/** Applies `mutate` to manifest.json in place (sha256 entries cover the model files, not the manifest). */
export async function editManifest(dir: string, mutate: (m: Record<string, unknown>) => void): Promise<void> {
  const file = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  mutate(manifest);
  await fs.writeFile(file, JSON.stringify(manifest, null, 2));
}

/** Overwrites a model file; with `updateSha` the manifest is made to agree (a "consistently wrong" export). */
export async function replaceModelFile(dir: string, name: string, bytes: Uint8Array | string, updateSha: boolean): Promise<void> {
  await fs.writeFile(path.join(dir, name), bytes);
  if (updateSha) {
    await editManifest(dir, (m) => {
      (m.sha256 as Record<string, string>)[name] = sha256Hex(bytes);
    });
  }
}
