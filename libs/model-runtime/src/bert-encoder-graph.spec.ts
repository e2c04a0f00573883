import { promises as fs } from 'fs';
import * as path from 'path';
import { BertEncoderConfig, bertConfigFromJson, buildBertSentenceEncoderGraph } from './bert-encoder-graph';
import { encodeOnnxModel } from './onnx-graph-writer';
import { SessionFactory } from './onnx-session';
import { encodeSafetensors, SafetensorsFile } from './safetensors';
import { SentenceEncoder } from './sentence-encoder';
import { maxAbsDiff } from './testing/reference-fixtures';
import { recordingLogger, tempDirs } from './testing/temp-dirs';

// A tiny random BERT (2 layers, 2 heads, hidden 8) written to safetensors, turned into ONNX by the
// graph builder, run by onnxruntime through SentenceEncoder, and compared with a plain TypeScript
// forward pass of the same weights (HF BertModel semantics, mean pooling, L2 normalisation).

const config: BertEncoderConfig = { hiddenSize: 8, numHeads: 2, numLayers: 2, intermediateSize: 16, vocabSize: 20, maxPositions: 16, typeVocabSize: 2, layerNormEps: 1e-12 };
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...'abcdefghijklmno'.split('')];

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function tinyCheckpoint(): Record<string, { shape: number[]; data: Float32Array }> {
  const rand = seeded(7);
  const { hiddenSize: H, intermediateSize: I } = config;
  const t = (shape: number[], scale = 1, offset = 0) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => offset + scale * rand()) });
  const out: Record<string, { shape: number[]; data: Float32Array }> = {
    'embeddings.word_embeddings.weight': t([config.vocabSize, H]),
    'embeddings.position_embeddings.weight': t([config.maxPositions, H]),
    'embeddings.token_type_embeddings.weight': t([config.typeVocabSize, H]),
    'embeddings.LayerNorm.weight': t([H], 0.2, 1),
    'embeddings.LayerNorm.bias': t([H], 0.2),
    'pooler.dense.weight': t([H, H]),
  };
  for (let l = 0; l < config.numLayers; l++) {
    const p = `encoder.layer.${l}`;
    for (const name of ['query', 'key', 'value']) {
      out[`${p}.attention.self.${name}.weight`] = t([H, H], 1.5);
      out[`${p}.attention.self.${name}.bias`] = t([H], 0.2);
    }
    Object.assign(out, {
      [`${p}.attention.output.dense.weight`]: t([H, H]),
      [`${p}.attention.output.dense.bias`]: t([H], 0.2),
      [`${p}.attention.output.LayerNorm.weight`]: t([H], 0.2, 1),
      [`${p}.attention.output.LayerNorm.bias`]: t([H], 0.2),
      [`${p}.intermediate.dense.weight`]: t([I, H]),
      [`${p}.intermediate.dense.bias`]: t([I], 0.2),
      [`${p}.output.dense.weight`]: t([H, I]),
      [`${p}.output.dense.bias`]: t([H], 0.2),
      [`${p}.output.LayerNorm.weight`]: t([H], 0.2, 1),
      [`${p}.output.LayerNorm.bias`]: t([H], 0.2),
    });
  }
  return out;
}

// ---- reference forward pass, one unpadded sentence, float64 ----
type Mat = number[][];
const erf = (x: number) => {
  // Abramowitz-Stegun 7.1.26 is too coarse (1.5e-7 abs); use the series / continued fraction split.
  const t = Math.abs(x);
  if (t < 2.5) {
    let sum = 0;
    let term = t;
    for (let n = 0; n < 60; n++) {
      sum += term / (2 * n + 1);
      term *= (-t * t) / (n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (t + f);
  return Math.sign(x) * (1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f));
};

function referenceVector(ids: number[], w: (name: string) => Float32Array): number[] {
  const { hiddenSize: H, numHeads, intermediateSize: I } = config;
  const d = H / numHeads;
  const row = (name: string, r: number, width: number) => Array.from(w(name).subarray(r * width, (r + 1) * width));
  const linear = (x: Mat, name: string, inDim: number, outDim: number): Mat => {
    const W = w(`${name}.weight`);
    const b = w(`${name}.bias`);
    return x.map((v) => Array.from({ length: outDim }, (_, o) => b[o] + v.reduce((s, xi, i) => s + xi * W[o * inDim + i], 0)));
  };
  const layerNorm = (x: Mat, name: string): Mat =>
    x.map((v) => {
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
      return v.map((xi, i) => ((xi - mean) / Math.sqrt(variance + config.layerNormEps)) * w(`${name}.weight`)[i] + w(`${name}.bias`)[i]);
    });
  const add = (a: Mat, b: Mat): Mat => a.map((v, i) => v.map((x, j) => x + b[i][j]));
  let h: Mat = ids.map((id, pos) => {
    const [word, position, type] = [row('embeddings.word_embeddings.weight', id, H), row('embeddings.position_embeddings.weight', pos, H), row('embeddings.token_type_embeddings.weight', 0, H)];
    return word.map((x, i) => x + position[i] + type[i]);
  });
  h = layerNorm(h, 'embeddings.LayerNorm');
  for (let l = 0; l < config.numLayers; l++) {
    const p = `encoder.layer.${l}`;
    const [q, k, v] = ['query', 'key', 'value'].map((n) => linear(h, `${p}.attention.self.${n}`, H, H));
    const context: Mat = h.map(() => new Array<number>(H).fill(0));
    for (let head = 0; head < numHeads; head++) {
      for (let i = 0; i < ids.length; i++) {
        const scores = ids.map((_, j) => q[i].slice(head * d, (head + 1) * d).reduce((s, x, c) => s + x * k[j][head * d + c], 0) / Math.sqrt(d));
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j < ids.length; j++) for (let c = 0; c < d; c++) context[i][head * d + c] += (e[j] / z) * v[j][head * d + c];
      }
    }
    const attended = layerNorm(add(linear(context, `${p}.attention.output.dense`, H, H), h), `${p}.attention.output.LayerNorm`);
    const up = linear(attended, `${p}.intermediate.dense`, H, I).map((r) => r.map((x) => 0.5 * x * (1 + erf(x / Math.SQRT2))));
    h = layerNorm(add(linear(up, `${p}.output.dense`, I, H), attended), `${p}.output.LayerNorm`);
  }
  const mean = h[0].map((_, c) => h.reduce((s, r) => s + r[c], 0) / h.length);
  const norm = Math.sqrt(mean.reduce((s, x) => s + x * x, 0));
  return mean.map((x) => x / norm);
}

describe('buildBertSentenceEncoderGraph', () => {
  const dirs = tempDirs();
  afterAll(() => dirs.cleanup());

  it('runs in onnxruntime with the exporter signature and matches a reference forward pass, padding excluded', async () => {
    const weights = SafetensorsFile.parse(encodeSafetensors(tinyCheckpoint(), { format: 'pt' }));
    const graph = buildBertSentenceEncoderGraph(config, (name, shape) => weights.float32(name, shape));
    expect(graph.initializers.map((i) => i.name)).not.toContain('pooler.dense.weight');

    const dir = await dirs.make();
    const modelFile = path.join(dir, 'text_encoder.onnx');
    const vocabFile = path.join(dir, 'vocab.txt');
    await fs.writeFile(modelFile, encodeOnnxModel(graph));
    await fs.writeFile(vocabFile, VOCAB.join('\n') + '\n');
    const encoder = await SentenceEncoder.load({ modelFile, vocabFile, dim: config.hiddenSize }, new SessionFactory({ preferCuda: false, logger: recordingLogger() }));
    try {
      const texts = ['a b c', 'o', 'a b c d e f g h i j', 'n m zz'];
      const got = await encoder.encode(texts); // one batch: the short ones are padded
      texts.forEach((text, i) => {
        const expected = referenceVector(encoder.tokenizer.encode(text), (n) => weights.float32(n));
        expect(maxAbsDiff(got.subarray(i * 8, (i + 1) * 8), expected)).toBeLessThan(2e-6);
      });
    } finally {
      await encoder.release();
    }
  });

  it('refuses a checkpoint whose tensors have the wrong shape', () => {
    const weights = SafetensorsFile.parse(encodeSafetensors(tinyCheckpoint()));
    expect(() => buildBertSentenceEncoderGraph({ ...config, vocabSize: 21 }, (name, shape) => weights.float32(name, shape))).toThrow(
      'tensor embeddings.word_embeddings.weight has shape [20, 8], expected [21, 8]',
    );
  });

  it('reads HF config.json and refuses what the graph does not implement', () => {
    const json = {
      model_type: 'bert',
      hidden_act: 'gelu',
      hidden_size: 384,
      num_attention_heads: 12,
      num_hidden_layers: 6,
      intermediate_size: 1536,
      vocab_size: 30522,
      max_position_embeddings: 512,
      type_vocab_size: 2,
      layer_norm_eps: 1e-12,
    };
    expect(bertConfigFromJson(json)).toEqual({ hiddenSize: 384, numHeads: 12, numLayers: 6, intermediateSize: 1536, vocabSize: 30522, maxPositions: 512, typeVocabSize: 2, layerNormEps: 1e-12 });
    expect(() => bertConfigFromJson({ ...json, hidden_act: 'relu' })).toThrow('hidden_act relu is not gelu');
    expect(() => bertConfigFromJson({ ...json, model_type: 'roberta' })).toThrow('is not bert');
    expect(() => bertConfigFromJson({ ...json, hidden_size: 100 })).toThrow('not a multiple');
  });
});
