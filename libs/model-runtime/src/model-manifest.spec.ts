import { ModelLoadError } from './model-load-error';
import { parseModelManifest } from './model-manifest';

const HEX = 'ab'.repeat(32);

function validManifest(): Record<string, unknown> {
  return {
    format: 'recmesh-model/1',
    model_version: 'v1',
    created_at: '2025-01-01T00:00:00+00:00',
    dims: { hidden: 16, max_seq_len: 8, text_dim: 384 },
    num_items: 2,
    item_ids: ['a', 'b'],
    action_types: ['view', 'click', 'add_to_cart', 'remove_from_cart', 'purchase', 'rate'],
    side_info: { categories: ['gloves'], brands: [] },
    files: {
      user_encoder: 'user_encoder.onnx',
      item_embeddings: 'item_embeddings.onnx',
      item_from_side: 'item_from_side.onnx',
      text_encoder: null,
      tokenizer_vocab: null,
    },
    sha256: { 'user_encoder.onnx': HEX, 'item_embeddings.onnx': HEX, 'item_from_side.onnx': HEX.toUpperCase() },
    training_data_fingerprint: 'f00d',
    offline_metrics: { 'ndcg@10': 0.1 },
    tokenizer: { type: 'bert-wordpiece', lowercase: true, max_length: 64, cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', unk: '[UNK]' },
  };
}

function problemWith(mutate: (m: Record<string, unknown>) => void): string {
  const m = validManifest();
  mutate(m);
  try {
    parseModelManifest(m, '/models/x/manifest.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ModelLoadError);
    expect((e as ModelLoadError).file).toBe('/models/x/manifest.json');
    return (e as ModelLoadError).problem;
  }
  throw new Error('manifest was accepted');
}

describe('parseModelManifest', () => {
  it('camel-cases a valid manifest and lower-cases checksums', () => {
    const m = parseModelManifest(validManifest(), 'manifest.json');
    expect(m).toMatchObject({
      modelVersion: 'v1',
      dims: { hidden: 16, maxSeqLen: 8, textDim: 384 },
      numItems: 2,
      itemIds: ['a', 'b'],
      sideInfo: { categories: ['gloves'], brands: [], attributes: [] }, // older exports list no attributes
      files: { userEncoder: 'user_encoder.onnx', textEncoder: null, tokenizerVocab: null },
      trainingDataFingerprint: 'f00d',
      offlineMetrics: { 'ndcg@10': 0.1 },
      tokenizer: { maxLength: 64, lowercase: true },
    });
    expect(m.sha256['item_from_side.onnx']).toBe(HEX);
  });

  it('reads the attribute vocabulary of newer exports', () => {
    const json = validManifest();
    json.side_info = { categories: [], brands: [], attributes: ['173', '1', '162'] };
    expect(parseModelManifest(json, 'manifest.json').sideInfo).toEqual({ categories: [], brands: [], attributes: ['173', '1', '162'] });
  });

  it('rejects a non-object', () => {
    expect(() => parseModelManifest(['x'], 'manifest.json')).toThrow('manifest.json: must contain a JSON object');
  });

  type Json = Record<string, Record<string, unknown>>;
  it.each<[string, (m: Json) => void, string]>([
    ['a duplicate item id', (m) => (m.item_ids = ['a', 'a'] as never), 'item_ids[1] duplicates "a"'],
    ['a non-integer dim', (m) => (m.dims.max_seq_len = 8.5), 'dims.max_seq_len must be a positive integer (got 8.5)'],
    ['a path outside the directory', (m) => (m.files.user_encoder = '../evil.onnx'), 'files.user_encoder must be a plain file name (got "../evil.onnx")'],
    ['a text encoder without vocabulary', (m) => (m.files.text_encoder = 'text_encoder.onnx'), 'files.text_encoder and files.tokenizer_vocab must both be set or both be null'],
    ['a file without checksum', (m) => delete m.sha256['item_embeddings.onnx'], 'sha256["item_embeddings.onnx"] must be 64 hex digits (got nothing)'],
    ['an unknown tokenizer', (m) => (m.tokenizer.type = 'sentencepiece'), 'tokenizer.type must be "bert-wordpiece" (got "sentencepiece")'],
    ['no action types', (m) => (m.action_types = [] as never), 'action_types must not be empty'],
    ['a duplicate attribute', (m) => (m.side_info.attributes = ['7', '7']), 'side_info.attributes[1] duplicates "7"'],
  ])('rejects %s', (_name, mutate, problem) => {
    expect(problemWith((m) => mutate(m as Json))).toBe(problem);
  });

  it('requires the tokenizer section when a text encoder is shipped', () => {
    expect(
      problemWith((m) => {
        m.files = { ...(m.files as object), text_encoder: 'text_encoder.onnx', tokenizer_vocab: 'vocab.txt' };
        m.sha256 = { ...(m.sha256 as object), 'text_encoder.onnx': HEX, 'vocab.txt': HEX };
        delete m.tokenizer;
      }),
    ).toBe('tokenizer is required when files.text_encoder is set');
  });
});
