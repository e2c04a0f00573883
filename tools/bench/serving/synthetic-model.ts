// A recmesh-model/1 directory with N items, the same graphs as libs/model-runtime/src/testing/fake-model-dir.ts
// (user_encoder / item_embeddings / item_from_side), random weights, written with the same ONNX encoder.
import { promises as fs } from 'fs';
import * as path from 'path';
import { ACTION_TYPES, encodeOnnxModel, f32, modelGraphs, randomMatrix, sha256Hex } from '@recmesh/model-runtime/testing';
import { mulberry32 as seededRandom } from '@recmesh/numerics';


export const benchItemId = (i: number): string => `item-${i}`;

export async function writeSyntheticModel(dir: string, numItems: number, hidden = 64, maxSeqLen = 50, textDim = 16, seed = 7): Promise<void> {
  const rand = seededRandom(seed);
  const n = numItems;
  const h = hidden;
  const categories = ['c0', 'c1', 'c2'];
  const brands = ['b0', 'b1'];
  const itemTable = randomMatrix(rand, n + 1, h, true);
  const actionTable = randomMatrix(rand, ACTION_TYPES.length + 1, h, true);
  // Keep user vectors on the same scale whatever the sequence length (the fake model weights by t+1).
  const positionWeights = Float32Array.from({ length: maxSeqLen }, () => 1 / maxSeqLen);
  const { userEncoder, itemEmbeddings, itemFromSide } = modelGraphs({
    itemTable, actionTable, positionWeights, hidden: h, maxSeqLen, textDim,
    textProj: randomMatrix(rand, textDim, h, false),
    categoryTable: randomMatrix(rand, categories.length + 1, h, false),
    brandTable: randomMatrix(rand, brands.length + 1, h, false),
  });
  await fs.mkdir(dir, { recursive: true });
  const sha256: Record<string, string> = {};
  for (const [name, graph] of Object.entries({ 'user_encoder.onnx': userEncoder, 'item_embeddings.onnx': itemEmbeddings, 'item_from_side.onnx': itemFromSide })) {
    const bytes = encodeOnnxModel(graph);
    await fs.writeFile(path.join(dir, name), bytes);
    sha256[name] = sha256Hex(bytes);
  }
  const manifest = {
    format: 'recmesh-model/1',
    model_version: `bench-${n}`,
    created_at: '2025-01-01T00:00:00+00:00',
    dims: { hidden: h, max_seq_len: maxSeqLen, text_dim: textDim },
    num_items: n,
    item_ids: Array.from({ length: n }, (_, i) => benchItemId(i)),
    action_types: ACTION_TYPES,
    side_info: { categories, brands },
    files: { user_encoder: 'user_encoder.onnx', item_embeddings: 'item_embeddings.onnx', item_from_side: 'item_from_side.onnx', text_encoder: null, tokenizer_vocab: null },
    sha256,
    training_data_fingerprint: sha256Hex('bench'),
    offline_metrics: {},
    tokenizer: { type: 'bert-wordpiece', lowercase: true, max_length: 16, cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', unk: '[UNK]' },
  };
  await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
}

/** A single-MatMul graph [B,hidden] x [hidden,N] with a random [hidden,N] weight: the scoring GEMM alone. */
export function gemmModel(numItems: number, hidden: number, seed = 11): Buffer {
  const rand = seededRandom(seed);
  return encodeOnnxModel({
    inputs: [f32('users', ['batch', hidden])],
    outputs: [f32('scores', ['batch', numItems])],
    initializers: [{ name: 'items_t', dims: [hidden, numItems], data: randomMatrix(rand, hidden, numItems, false) }],
    nodes: [{ op: 'MatMul', inputs: ['users', 'items_t'], outputs: ['scores'] }],
  });
}
