import type * as ort from 'onnxruntime-node';
import { requireModelFile } from './model-files';
import { TokenizerConfig } from './model-manifest';
import { errorMessage, ModelLoadError } from './model-load-error';
import { checkOutputDims, checkSignature, consoleLogger, fixed, float32Output, int64Tensor, ModelRuntimeLogger, QUIET_RUN, SessionFactory } from './onnx-session';
import { EncodedBatch, WordPieceTokenizer } from './wordpiece-tokenizer';

export const TEXT_ENCODER_FILE = 'text_encoder.onnx';
export const TOKENIZER_VOCAB_FILE = 'vocab.txt';

/** The exporter's tokenizer settings (manifest "tokenizer"), used when loading a bare encoder folder. */
export const DEFAULT_TOKENIZER_CONFIG: TokenizerConfig = {
  type: 'bert-wordpiece',
  lowercase: true,
  maxLength: 64,
  cls: '[CLS]',
  sep: '[SEP]',
  pad: '[PAD]',
  unk: '[UNK]',
};

export interface SentenceEncoderLoadOptions {
  /** Expected width of sentence_vec. Default 384 (MiniLM). */
  dim?: number;
  tokenizer?: TokenizerConfig;
  preferCuda?: boolean;
  logger?: ModelRuntimeLogger;
  intraOpNumThreads?: number;
  /** Share the execution-provider decision of a model being loaded. */
  sessions?: SessionFactory;
}

export interface SentenceEncoderFiles {
  modelFile: string;
  vocabFile: string;
  tokenizer?: TokenizerConfig;
  /** Expected width of sentence_vec (manifest dims.text_dim). */
  dim: number;
}

/**
 * text_encoder.onnx (MiniLM: mean pooling + L2 normalisation inside the graph) plus its WordPiece
 * tokenizer: text in, 384-d sentence vectors out. Not named TextEncoder so that it does not shadow
 * the global WHATWG TextEncoder in modules that import it.
 */
export class SentenceEncoder {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly tokenizer: WordPieceTokenizer,
    readonly dim: number,
    private readonly file: string,
  ) {}

  /** Loads and checks the encoder; every failure is a ModelLoadError naming the file. */
  static async load(files: SentenceEncoderFiles, sessions: SessionFactory): Promise<SentenceEncoder> {
    const config = files.tokenizer ?? DEFAULT_TOKENIZER_CONFIG;
    const tokenizer = await WordPieceTokenizer.fromVocabFile(files.vocabFile, {
      lowercase: config.lowercase,
      maxLength: config.maxLength,
      cls: config.cls,
      sep: config.sep,
      pad: config.pad,
      unk: config.unk,
    });
    const session = await sessions.open(files.modelFile);
    try {
      const batchBySeq = ['dynamic', 'dynamic'] as const;
      checkSignature(session, files.modelFile, {
        inputs: [
          { name: 'input_ids', type: 'int64', shape: [...batchBySeq] },
          { name: 'attention_mask', type: 'int64', shape: [...batchBySeq] },
          { name: 'token_type_ids', type: 'int64', shape: [...batchBySeq] },
        ],
        outputs: [{ name: 'sentence_vec', type: 'float32', shape: ['dynamic', fixed(files.dim, 'dims.text_dim')] }],
      });
      const encoder = new SentenceEncoder(session, tokenizer, files.dim, files.modelFile);
      // A graph onnxruntime opens can still fail when run (found by fuzzing: a damaged LpNormalization
      // axis): that is the file's problem, a ModelLoadError, not onnxruntime's bare error.
      const probe = await encoder.runBatch(tokenizer.padBatch([tokenizer.encode('probe')]), QUIET_RUN).catch((e: unknown) => {
        if (e instanceof ModelLoadError) throw e;
        throw new ModelLoadError(files.modelFile, `inference on a probe sentence failed; the text encoder does not work (${errorMessage(e)})`, { cause: e });
      });
      checkOutputDims(files.modelFile, 'sentence_vec', probe.dims, [1, files.dim], 'manifest dims.text_dim');
      return encoder;
    } catch (e) {
      await session.release();
      throw e;
    }
  }

  /** A folder holding text_encoder.onnx + vocab.txt (as written by export_text_encoder). */
  static async loadFromDir(dir: string, options: SentenceEncoderLoadOptions = {}): Promise<SentenceEncoder> {
    const expectedBy = 'a text encoder folder holds text_encoder.onnx + vocab.txt: npm run model:text-encoder:build writes one';
    const modelFile = await requireModelFile(dir, TEXT_ENCODER_FILE, expectedBy);
    const vocabFile = await requireModelFile(dir, TOKENIZER_VOCAB_FILE, expectedBy);
    const sessions =
      options.sessions ??
      new SessionFactory({ preferCuda: options.preferCuda ?? true, logger: options.logger ?? consoleLogger, intraOpNumThreads: options.intraOpNumThreads });
    return SentenceEncoder.load({ modelFile, vocabFile, dim: options.dim ?? 384, tokenizer: options.tokenizer }, sessions);
  }

  /**
   * Sentence vectors, row-major [texts.length, dim]. Texts are batched by similar token length so
   * short titles are not padded up to the longest one in the input.
   */
  async encode(texts: readonly string[], batchSize = 32): Promise<Float32Array> {
    const out = new Float32Array(texts.length * this.dim);
    const encoded = texts.map((t) => this.tokenizer.encode(t));
    const order = encoded.map((_, i) => i).sort((a, b) => encoded[a].length - encoded[b].length);
    for (let start = 0; start < order.length; start += batchSize) {
      const indices = order.slice(start, start + batchSize);
      const { data } = await this.runBatch(this.tokenizer.padBatch(indices.map((i) => encoded[i])));
      indices.forEach((textIndex, b) => out.set(data.subarray(b * this.dim, (b + 1) * this.dim), textIndex * this.dim));
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  private async runBatch(batch: EncodedBatch, runOptions: ort.InferenceSession.RunOptions = {}) {
    const dims = [batch.batchSize, batch.sequenceLength];
    const results = await this.session.run(
      {
        input_ids: int64Tensor(batch.inputIds, dims),
        attention_mask: int64Tensor(batch.attentionMask, dims),
        token_type_ids: int64Tensor(batch.tokenTypeIds, dims),
      },
      runOptions,
    );
    return float32Output(results, 'sentence_vec', this.file);
  }
}
