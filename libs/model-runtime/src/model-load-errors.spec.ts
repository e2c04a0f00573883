import { promises as fs } from 'fs';
import * as path from 'path';
import { ModelLoadError } from './model-load-error';
import { SequentialRecommenderModel } from './sequential-recommender-model';
import { editManifest, f32, i64, replaceModelFile, writeFakeModelDir } from './testing/fake-model-dir';
import { encodeOnnxModel, int64Const } from './onnx-graph-writer';
import { recordingLogger, tempDirs } from './testing/temp-dirs';

// Every broken export must reject load() with a ModelLoadError whose message names the file and
// the problem; nothing may throw synchronously or crash the process.

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

const SPEC = { numItems: 12, hidden: 4, maxSeqLen: 3 };

async function freshModelDir(spec: Parameters<typeof writeFakeModelDir>[1] = SPEC): Promise<string> {
  const dir = path.join(await dirs.make(), 'model');
  await writeFakeModelDir(dir, spec);
  return dir;
}

async function loadError(dir: string): Promise<ModelLoadError> {
  const logger = recordingLogger();
  const result = await SequentialRecommenderModel.load(dir, { logger, preferCuda: false }).then(
    async (m) => {
      await m.release();
      return new Error('load succeeded');
    },
    (e: unknown) => e,
  );
  expect(result).toBeInstanceOf(ModelLoadError);
  return result as ModelLoadError;
}

it('loads the untouched fake model (the baseline every case below breaks)', async () => {
  const m = await SequentialRecommenderModel.load(await freshModelDir(), { logger: recordingLogger() });
  expect(m.rowCount).toBe(13);
  await m.release();
});

describe('missing or unreadable', () => {
  it('directory', async () => {
    const dir = path.join(await dirs.make(), 'does-not-exist');
    const e = await loadError(dir);
    expect(e.file).toBe(dir);
    expect(e.message).toBe(`${dir}: model directory does not exist`);
  });

  it('manifest.json', async () => {
    const dir = await freshModelDir();
    await fs.rm(path.join(dir, 'manifest.json'));
    expect((await loadError(dir)).message).toBe(`${path.join(dir, 'manifest.json')}: manifest is missing`);
  });

  it.each(['user_encoder.onnx', 'item_embeddings.onnx', 'item_from_side.onnx'])('%s', async (name) => {
    const dir = await freshModelDir();
    await fs.rm(path.join(dir, name));
    const e = await loadError(dir);
    expect(e.file).toBe(path.join(dir, name));
    expect(e.message).toContain('file is missing (listed in manifest.json)');
  });

  it('the text encoder vocabulary listed in the manifest', async () => {
    const dir = await freshModelDir({ ...SPEC, vocab: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'a'] });
    await fs.rm(path.join(dir, 'vocab.txt'));
    expect((await loadError(dir)).message).toBe(`${path.join(dir, 'vocab.txt')}: file is missing (listed in manifest.json)`);
  });

  it('a textEncoderDir without text_encoder.onnx', async () => {
    const dir = await freshModelDir();
    const empty = await dirs.make();
    const e = await SequentialRecommenderModel.load(dir, { logger: recordingLogger(), textEncoderDir: empty }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ModelLoadError);
    expect((e as ModelLoadError).file).toBe(path.join(empty, 'text_encoder.onnx'));
    expect((e as ModelLoadError).problem).toContain('a text encoder folder holds text_encoder.onnx + vocab.txt');
  });
});

describe('bad manifest', () => {
  it('not JSON', async () => {
    const dir = await freshModelDir();
    await fs.writeFile(path.join(dir, 'manifest.json'), '{"format": "recmesh-model/1",');
    expect((await loadError(dir)).message).toMatch(/manifest\.json: is not valid JSON \(.+\)$/);
  });

  it('wrong format', async () => {
    const dir = await freshModelDir();
    await editManifest(dir, (m) => (m.format = 'recmesh-model/2'));
    expect((await loadError(dir)).message).toContain('manifest.json: format must be "recmesh-model/1" (got "recmesh-model/2")');
  });

  it('item_ids length differs from num_items', async () => {
    const dir = await freshModelDir();
    await editManifest(dir, (m) => (m.item_ids = (m.item_ids as string[]).slice(1)));
    expect((await loadError(dir)).message).toContain('manifest.json: item_ids has 11 entries but num_items is 12');
  });

  it('missing field', async () => {
    const dir = await freshModelDir();
    await editManifest(dir, (m) => delete (m.dims as Record<string, unknown>).hidden);
    expect((await loadError(dir)).message).toContain('manifest.json: dims.hidden must be a positive integer (got nothing)');
  });
});

describe('corrupt files', () => {
  it('sha256 mismatch', async () => {
    const dir = await freshModelDir();
    const file = path.join(dir, 'user_encoder.onnx');
    const bytes = await fs.readFile(file);
    bytes[bytes.length - 1] ^= 0xff;
    await fs.writeFile(file, bytes);
    const e = await loadError(dir);
    expect(e.file).toBe(file);
    expect(e.message).toContain('sha256 mismatch: the file is corrupt or not the exported one');
  });

  it('garbage .onnx whose sha256 the manifest agrees with', async () => {
    const dir = await freshModelDir();
    await replaceModelFile(dir, 'item_from_side.onnx', 'this is not an onnx model', true);
    const e = await loadError(dir);
    expect(e.file).toBe(path.join(dir, 'item_from_side.onnx'));
    expect(e.message).toMatch(/not a loadable ONNX model \(.+\)/);
  });

  // Found by fuzzing (issue 13): a damaged text_encoder.onnx that onnxruntime opens but cannot run
  // (here an LpNormalization axis out of range) rejected load() with onnxruntime's bare Error.
  it('a text encoder that opens but fails when run', async () => {
    const dir = await freshModelDir({ ...SPEC, vocab: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'probe'] });
    const broken = encodeOnnxModel({
      inputs: [i64('input_ids', ['batch', 'seq']), i64('attention_mask', ['batch', 'seq']), i64('token_type_ids', ['batch', 'seq'])],
      outputs: [f32('sentence_vec', ['batch', 384])],
      initializers: [{ name: 'word_table', dims: [5, 384], data: new Float32Array(5 * 384) }, int64Const('axis_1', [1])],
      nodes: [
        { op: 'Gather', inputs: ['word_table', 'input_ids'], outputs: ['words'] },
        { op: 'ReduceSum', inputs: ['words', 'axis_1'], outputs: ['pooled'], intAttrs: { keepdims: 0 } },
        { op: 'LpNormalization', inputs: ['pooled'], outputs: ['sentence_vec'], intAttrs: { axis: 5, p: 2 } },
      ],
    });
    await replaceModelFile(dir, 'text_encoder.onnx', broken, true);
    const e = await loadError(dir);
    expect(e.file).toBe(path.join(dir, 'text_encoder.onnx'));
    expect(e.message).toMatch(/inference on a probe sentence failed; the text encoder does not work \(.*axis 5.*\)/s);
  });

  it('can skip the checksum pass when asked (still refuses the garbage, via onnxruntime)', async () => {
    const dir = await freshModelDir();
    await replaceModelFile(dir, 'user_encoder.onnx', 'garbage', false);
    const e = await SequentialRecommenderModel.load(dir, { verifyChecksums: false, logger: recordingLogger() }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ModelLoadError);
    expect((e as ModelLoadError).message).toContain('user_encoder.onnx: not a loadable ONNX model');
  });
});

describe('manifest and model disagree', () => {
  it('dims.hidden', async () => {
    const dir = await freshModelDir();
    await editManifest(dir, (m) => ((m.dims as Record<string, number>).hidden = 5));
    const e = await loadError(dir);
    expect(e.file).toBe(path.join(dir, 'user_encoder.onnx'));
    expect(e.message).toContain('output "user_vec" has shape [batch, 4]: dimension 1 is 4 but manifest dims.hidden is 5');
  });

  it('dims.max_seq_len', async () => {
    const dir = await freshModelDir();
    await editManifest(dir, (m) => ((m.dims as Record<string, number>).max_seq_len = 50));
    expect((await loadError(dir)).message).toContain('input "item_seq" has shape [batch, 3]: dimension 1 is 3 but manifest dims.max_seq_len is 50');
  });

  it('dims.text_dim', async () => {
    const dir = await freshModelDir();
    await editManifest(dir, (m) => ((m.dims as Record<string, number>).text_dim = 768));
    const e = await loadError(dir);
    expect(e.file).toBe(path.join(dir, 'item_from_side.onnx'));
    expect(e.message).toContain('dimension 1 is 384 but manifest dims.text_dim is 768');
  });

  it('input names', async () => {
    const dir = path.join(await dirs.make(), 'model');
    await writeFakeModelDir(dir, { ...SPEC, userEncoderItemInputName: 'history' });
    expect((await loadError(dir)).message).toContain('inputs are [history, action_seq] but the recmesh-model/1 layout requires [item_seq, action_seq]');
  });

  it('num_items larger than the exported item table', async () => {
    const dir = await freshModelDir();
    await editManifest(dir, (m) => {
      m.num_items = 13;
      (m.item_ids as string[]).push('extra');
    });
    const e = await loadError(dir);
    expect(e.file).toBe(path.join(dir, 'item_embeddings.onnx'));
    expect(e.message).toContain('manifest num_items (13) exceeds the model');
  });

  it('num_items smaller than the exported item table', async () => {
    const dir = await freshModelDir();
    await editManifest(dir, (m) => {
      m.num_items = 11;
      (m.item_ids as string[]).pop();
    });
    expect((await loadError(dir)).message).toContain('item_embeddings.onnx: has more than num_items + 1 = 12 rows');
  });

  it('more categories in the manifest than the model has embeddings for', async () => {
    const dir = await freshModelDir();
    await editManifest(dir, (m) => (m.side_info as Record<string, string[]>).categories.push('one-too-many'));
    const e = await loadError(dir);
    expect(e.file).toBe(path.join(dir, 'item_from_side.onnx'));
    expect(e.message).toContain('inference with category id 4 and brand id 2 failed; the model does not match manifest.json');
  });

  it('attributes in the manifest but no attr_ids input in item_from_side.onnx', async () => {
    const dir = await freshModelDir();
    await editManifest(dir, (m) => ((m.side_info as Record<string, string[]>).attributes = ['173', '1']));
    const e = await loadError(dir);
    expect(e.file).toBe(path.join(dir, 'item_from_side.onnx'));
    expect(e.message).toContain('has no attr_ids input, but the manifest lists 2 side_info.attributes');
  });

  it('a batch dimension exported as fixed', async () => {
    const dir = await freshModelDir();
    const fixedBatch = encodeOnnxModel({
      inputs: [{ name: 'item_rows', type: 'int64', shape: [13] }],
      outputs: [{ name: 'item_vec', type: 'float32', shape: [13, 4] }],
      initializers: [{ name: 'table', dims: [13, 4], data: new Float32Array(52) }],
      nodes: [{ op: 'Gather', inputs: ['table', 'item_rows'], outputs: ['item_vec'] }],
    });
    await replaceModelFile(dir, 'item_embeddings.onnx', fixedBatch, true);
    expect((await loadError(dir)).message).toContain('input "item_rows" has shape [13]: dimension 0 is fixed to 13 but must be dynamic (batch)');
  });
});
