// The ONNX graph of a BERT sentence encoder as export_text_encoder.py writes it with torch
// (HF BertModel, eager attention, + attention-masked mean pooling + L2 normalisation), built from the
// checkpoint's weights in TypeScript. Same signature: input_ids, attention_mask, token_type_ids
// (int64 [batch, seq]) -> sentence_vec (float32 [batch, hidden]). Opset 17 (LayerNormalization; GELU
// is spelled with Erf, as torch exports it).
import { float32Scalar, int64Const, OnnxGraph, OnnxInitializer, OnnxNode } from './onnx-graph-writer';

export interface BertEncoderConfig {
  hiddenSize: number;
  numHeads: number;
  numLayers: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
}

/** Reads a float32 tensor by its HF checkpoint name; must check the shape. */
export type BertWeightSource = (name: string, shape: readonly number[]) => Float32Array;

/** HF config.json -> BertEncoderConfig; refuses what this graph does not implement. */
export function bertConfigFromJson(json: Record<string, unknown>): BertEncoderConfig {
  const need = (key: string) => {
    const v = json[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`config.json: ${key} must be a number`);
    return v;
  };
  if (json.model_type !== 'bert') throw new Error(`config.json: model_type ${String(json.model_type)} is not bert`);
  if ((json.hidden_act ?? 'gelu') !== 'gelu') throw new Error(`config.json: hidden_act ${String(json.hidden_act)} is not gelu`);
  if ((json.position_embedding_type ?? 'absolute') !== 'absolute') throw new Error('config.json: only absolute position embeddings are supported');
  const config: BertEncoderConfig = {
    hiddenSize: need('hidden_size'),
    numHeads: need('num_attention_heads'),
    numLayers: need('num_hidden_layers'),
    intermediateSize: need('intermediate_size'),
    vocabSize: need('vocab_size'),
    maxPositions: need('max_position_embeddings'),
    typeVocabSize: need('type_vocab_size'),
    layerNormEps: need('layer_norm_eps'),
  };
  if (config.hiddenSize % config.numHeads !== 0) throw new Error('config.json: hidden_size is not a multiple of num_attention_heads');
  return config;
}

/** [out, in] (torch Linear) -> [in, out] (MatMul's right operand). */
function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
}

export function buildBertSentenceEncoderGraph(config: BertEncoderConfig, weight: BertWeightSource): OnnxGraph {
  const { hiddenSize: H, numHeads, numLayers, intermediateSize: I, layerNormEps } = config;
  const headDim = H / numHeads;
  const initializers: OnnxInitializer[] = [];
  const nodes: OnnxNode[] = [];
  const init = (name: string, dims: number[], data: Float32Array) => {
    initializers.push({ name, dims, data });
    return name;
  };
  const fromCheckpoint = (name: string, dims: number[]) => init(name, dims, weight(name, dims));
  const node = (op: string, inputs: string[], output: string, attrs: Omit<OnnxNode, 'op' | 'inputs' | 'outputs'> = {}) => {
    nodes.push({ op, inputs, outputs: [output], ...attrs });
    return output;
  };
  const linear = (x: string, prefix: string, inDim: number, outDim: number, out: string) => {
    const w = init(`${prefix}.weight.T`, [inDim, outDim], transpose(weight(`${prefix}.weight`, [outDim, inDim]), outDim, inDim));
    const b = fromCheckpoint(`${prefix}.bias`, [outDim]);
    return node('Add', [node('MatMul', [x, w], `${out}/matmul`), b], out);
  };
  const layerNorm = (x: string, prefix: string, out: string) =>
    node('LayerNormalization', [x, fromCheckpoint(`${prefix}.weight`, [H]), fromCheckpoint(`${prefix}.bias`, [H])], out, {
      intAttrs: { axis: -1 },
      floatAttrs: { epsilon: layerNormEps },
    });

  initializers.push(
    int64Const('axes_0', [0]),
    int64Const('axes_1', [1]),
    int64Const('axes_1_2', [1, 2]),
    int64Const('axes_2', [2]),
    int64Const('zero', [0]),
    int64Const('heads_shape', [0, 0, numHeads, headDim]),
    int64Const('hidden_shape', [0, 0, H]),
    float32Scalar('one', 1),
    float32Scalar('half', 0.5),
    float32Scalar('inv_sqrt2', Math.SQRT1_2),
    float32Scalar('attn_scale', 1 / Math.sqrt(headDim)),
    // torch.finfo(float32).min, what HF adds at masked key positions.
    float32Scalar('mask_fill', -3.4028234663852886e38),
    float32Scalar('count_floor', 1e-9),
    float32Scalar('norm_floor', 1e-12),
  );

  // Embeddings: word + position (the first seq rows of the table) + token type, then LayerNorm.
  const words = node('Gather', [fromCheckpoint('embeddings.word_embeddings.weight', [config.vocabSize, H]), 'input_ids'], 'emb/words');
  const seqLen = node('Shape', ['input_ids'], 'seq_len', { intAttrs: { start: 1, end: 2 } });
  const positionTable = fromCheckpoint('embeddings.position_embeddings.weight', [config.maxPositions, H]);
  const positions = node('Slice', [positionTable, 'zero', seqLen, 'axes_0'], 'emb/positions');
  const types = node('Gather', [fromCheckpoint('embeddings.token_type_embeddings.weight', [config.typeVocabSize, H]), 'token_type_ids'], 'emb/types');
  const summed = node('Add', [node('Add', [words, positions], 'emb/words_positions'), types], 'emb/sum');
  let hidden = layerNorm(summed, 'embeddings.LayerNorm', 'emb/out');

  // Additive attention mask [batch, 1, 1, seq]: 0 where attended, finfo.min where padded.
  const maskF = node('Cast', ['attention_mask'], 'mask_f', { intAttrs: { to: 1 } });
  const keyMask = node('Unsqueeze', [maskF, 'axes_1_2'], 'mask_keys');
  const additiveMask = node('Mul', [node('Sub', ['one', keyMask], 'mask_inverted'), 'mask_fill'], 'mask_additive');

  for (let l = 0; l < numLayers; l++) {
    const p = `encoder.layer.${l}`;
    const heads = (name: string, perm: number[]) =>
      node('Transpose', [node('Reshape', [linear(hidden, `${p}.attention.self.${name}`, H, H, `${p}/${name}`), 'heads_shape'], `${p}/${name}_heads`)], `${p}/${name}_t`, {
        intsAttrs: { perm },
      });
    const q = heads('query', [0, 2, 1, 3]);
    const kT = heads('key', [0, 2, 3, 1]);
    const v = heads('value', [0, 2, 1, 3]);
    const scores = node('Add', [node('Mul', [node('MatMul', [q, kT], `${p}/qk`), 'attn_scale'], `${p}/qk_scaled`), additiveMask], `${p}/scores`);
    const probs = node('Softmax', [scores], `${p}/probs`, { intAttrs: { axis: -1 } });
    const context = node('Transpose', [node('MatMul', [probs, v], `${p}/context_heads`)], `${p}/context_t`, { intsAttrs: { perm: [0, 2, 1, 3] } });
    const merged = node('Reshape', [context, 'hidden_shape'], `${p}/context`);
    const attnOut = linear(merged, `${p}.attention.output.dense`, H, H, `${p}/attn_dense`);
    const attended = layerNorm(node('Add', [attnOut, hidden], `${p}/attn_residual`), `${p}.attention.output.LayerNorm`, `${p}/attn_out`);
    const up = linear(attended, `${p}.intermediate.dense`, H, I, `${p}/up`);
    // Exact GELU: 0.5 * x * (1 + erf(x / sqrt(2))).
    const erf = node('Erf', [node('Mul', [up, 'inv_sqrt2'], `${p}/gelu_scaled`)], `${p}/gelu_erf`);
    const gelu = node('Mul', [node('Mul', [up, 'half'], `${p}/gelu_half`), node('Add', [erf, 'one'], `${p}/gelu_1p`)], `${p}/gelu`);
    const down = linear(gelu, `${p}.output.dense`, I, H, `${p}/down`);
    hidden = layerNorm(node('Add', [down, attended], `${p}/ffn_residual`), `${p}.output.LayerNorm`, `${p}/out`);
  }

  // Mean over attended tokens (count clamped at 1e-9), then x / max(||x||, 1e-12).
  const tokenMask = node('Unsqueeze', [maskF, 'axes_2'], 'pool/mask');
  const summedTokens = node('ReduceSum', [node('Mul', [hidden, tokenMask], 'pool/masked'), 'axes_1'], 'pool/sum', { intAttrs: { keepdims: 0 } });
  const count = node('Max', [node('ReduceSum', [tokenMask, 'axes_1'], 'pool/count_raw', { intAttrs: { keepdims: 0 } }), 'count_floor'], 'pool/count');
  const pooled = node('Div', [summedTokens, count], 'pool/mean');
  const squares = node('ReduceSum', [node('Mul', [pooled, pooled], 'norm/sq'), 'axes_1'], 'norm/sum_sq', { intAttrs: { keepdims: 1 } });
  const norm = node('Max', [node('Sqrt', [squares], 'norm/l2'), 'norm_floor'], 'norm/l2_floor');
  node('Div', [pooled, norm], 'sentence_vec');

  const batchBySeq = ['batch', 'seq'];
  return {
    inputs: [
      { name: 'input_ids', type: 'int64', shape: batchBySeq },
      { name: 'attention_mask', type: 'int64', shape: batchBySeq },
      { name: 'token_type_ids', type: 'int64', shape: batchBySeq },
    ],
    outputs: [{ name: 'sentence_vec', type: 'float32', shape: ['batch', H] }],
    initializers,
    nodes,
  };
}
