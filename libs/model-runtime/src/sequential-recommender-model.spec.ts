import * as path from 'path';
import { itemTextForEncoder } from './item-text';
import { exactTopK } from './exact-top-k';
import { SequentialRecommenderModel } from './sequential-recommender-model';
import { FakeModel, writeFakeModelDir } from './testing/fake-model-dir';
import { machineCuda } from './testing/machine-cuda';
import { recordingLogger, tempDirs } from './testing/temp-dirs';
import { WordPieceTokenizer } from './wordpiece-tokenizer';

// The fake graphs are simple enough to recompute in TypeScript (see testing/fake-model-dir.ts), so
// these tests check the runtime's own logic: id/row mapping, padding, truncation, batching, cold items.

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'red', 'blue', 'glove', 'tape', '##s', ',', '!'];
const dirs = tempDirs();
let withText: FakeModel;
let withoutText: FakeModel;
let model: SequentialRecommenderModel;

beforeAll(async () => {
  withText = await writeFakeModelDir(path.join(await dirs.make(), 'model'), { numItems: 50, hidden: 8, maxSeqLen: 5, vocab: VOCAB });
  withoutText = await writeFakeModelDir(path.join(await dirs.make(), 'model'), { numItems: 30, hidden: 6, maxSeqLen: 4, seed: 7 });
  model = await SequentialRecommenderModel.load(withText.dir, { logger: recordingLogger() });
});
afterAll(async () => {
  await model?.release();
  await dirs.cleanup();
});

function expectClose(actual: Float32Array, expected: Float32Array, tolerance = 1e-4) {
  expect(actual).toHaveLength(expected.length);
  const worst = actual.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i])), 0);
  expect(worst).toBeLessThanOrEqual(tolerance);
}

describe('SequentialRecommenderModel.load', () => {
  it('runs on what the machine can do (CUDA with a GPU, the provider and its libraries; else CPU) and says so in one line', async () => {
    const machine = machineCuda();
    const logger = recordingLogger();
    const m = await SequentialRecommenderModel.load(withoutText.dir, { logger });
    try {
      const cudaLines = logger.lines.filter((l) => l.message.includes('CUDA'));
      expect(cudaLines).toHaveLength(1);
      if (machine.canRunCuda) {
        expect(m.executionProvider).toBe('cuda');
        expect(cudaLines[0]).toEqual({ level: 'info', message: 'onnxruntime: using the CUDA execution provider' });
        expect(m.executionProviderReason).toBe('CUDA requested, GPU found and CUDA provider loaded');
      } else {
        expect(m.executionProvider).toBe('cpu');
        expect(cudaLines[0]).toEqual({ level: 'warn', message: expect.stringMatching(/^CUDA execution provider unavailable \(.+\); running on CPU$/) });
        // The first thing the machine lacks is the reason given.
        const cause = !machine.providerInstalled ? /^CUDA provider library not installed/ : !machine.gpu ? /^no NVIDIA GPU found/ : /Failed to load|CUDA/;
        expect(m.executionProviderReason.replace('CUDA requested but unavailable: ', '')).toMatch(cause);
      }
    } finally {
      await m.release();
    }
  });

  it('does not mention CUDA when preferCuda is false', async () => {
    const logger = recordingLogger();
    const m = await SequentialRecommenderModel.load(withoutText.dir, { preferCuda: false, logger });
    await m.release();
    expect(m.executionProvider).toBe('cpu');
    expect(m.executionProviderReason).toBe('CUDA not requested');
    expect(logger.lines.filter((l) => l.message.includes('CUDA'))).toHaveLength(0);
  });

  it('exposes the manifest, the row/id maps and the full item matrix', () => {
    expect(model.modelVersion).toBe('fake-1');
    expect(model.hidden).toBe(8);
    expect(model.maxSeqLen).toBe(5);
    expect(model.itemIds).toEqual(withText.itemIds);
    expect(model.rowCount).toBe(51);
    expect(model.rowOf('item-0')).toBe(1);
    expect(model.rowOf('nope')).toBeUndefined();
    expect(model.itemIdOf(50)).toBe('item-49');
    expect(model.itemIdOf(0)).toBeUndefined();
    expect(Array.from(model.itemMatrix)).toEqual(Array.from(withText.itemTable));
    expect(Array.from(model.itemVector('item-3')!)).toEqual(Array.from(withText.itemTable.subarray(4 * 8, 5 * 8)));
    expect(model.itemVector('nope')).toBeUndefined();
    expect(model.hasTextEncoder).toBe(true);
  });
});

describe('encodeUsers', () => {
  it('maps ids and actions, skips unknown ones, keeps the most recent max_seq_len events, left-pads', async () => {
    const vecs = await model.encodeUsers([
      // 7 known events (window is 5) with unknown items/actions in between
      [
        { itemId: 'item-0', action: 'view' },
        { itemId: 'item-1', action: 'click' },
        { itemId: 'unknown', action: 'view' },
        { itemId: 'item-2', action: 'purchase' },
        { itemId: 'item-3', action: 6 },
        { itemId: 'item-4', action: 'not-an-action' },
        { itemId: 'item-5', action: 'add_to_cart' },
        { itemId: 'item-6', action: 'view' },
        { itemId: 'item-49', action: 'rate' },
      ],
      [{ itemId: 'item-10', action: 'view' }],
      [],
    ]);
    expect(vecs).toHaveLength(3 * 8);
    expectClose(vecs.subarray(0, 8), withText.referenceUserVec([3, 4, 6, 7, 50], [5, 6, 3, 1, 6]));
    expectClose(vecs.subarray(8, 16), withText.referenceUserVec([0, 0, 0, 0, 11], [0, 0, 0, 0, 1]));
    expectClose(vecs.subarray(16, 24), withText.referenceUserVec([0, 0, 0, 0, 0], [0, 0, 0, 0, 0]));
  });

  it('gives the same vector for a user alone or inside a batch', async () => {
    const history = [
      { itemId: 'item-7', action: 'view' },
      { itemId: 'item-8', action: 'click' },
    ];
    const alone = await model.encodeUsers([history]);
    const batched = await model.encodeUsers([[{ itemId: 'item-1', action: 'view' }], history]);
    expectClose(batched.subarray(8, 16), alone, 1e-6);
    expect(await model.encodeUsers([])).toHaveLength(0);
  });
});

describe('topK', () => {
  it('scores the whole catalog exactly and maps rows to item ids', async () => {
    const users = await model.encodeUsers([[{ itemId: 'item-7', action: 'view' }], [{ itemId: 'item-9', action: 'purchase' }]]);
    const top = model.topK(users, 5);
    const reference = exactTopK(withText.itemTable, 51, 8, users, 5);
    top.forEach((items, u) => {
      expect(items.map((i) => i.row)).toEqual(Array.from(reference[u].rows));
      expect(items.map((i) => i.itemId)).toEqual(Array.from(reference[u].rows, (r) => `item-${r - 1}`));
      expect(items.map((i) => i.score)).toEqual(Array.from(reference[u].scores));
    });
  });

  it('drops excluded item ids / rows per user and masked rows for everyone', async () => {
    const users = await model.encodeUsers([[{ itemId: 'item-7', action: 'view' }], [{ itemId: 'item-9', action: 'view' }]]);
    const plain = model.topK(users, 3);
    const mask = new Uint8Array(model.rowCount);
    mask[plain[1][0].row] = 1;
    const filtered = model.topK(users, 3, { exclude: [[plain[0][0].itemId, plain[0][1].row, 'unknown-id'], undefined], mask });
    expect(filtered[0].map((i) => i.itemId)).not.toContain(plain[0][0].itemId);
    expect(filtered[0].map((i) => i.row)).not.toContain(plain[0][1].row);
    expect(filtered[1].map((i) => i.row)).not.toContain(plain[1][0].row);
    expect(filtered[1][0]).toEqual(plain[1][1]);
  });
});

describe('cold items', () => {
  it('embeds a new item from its title through the text encoder plus category and brand', async () => {
    const tokenizer = new WordPieceTokenizer(VOCAB, { maxLength: 16 });
    expect(tokenizer.tokenize('Red Gloves!')).toEqual(['red', 'glove', '##s', '!']);
    // The encoder sees the trainer's template, not the bare title.
    const text = itemTextForEncoder({ title: 'Red Gloves!', category: 'gloves', brand: 'esun' })!;
    expect(text).toBe('Red Gloves!. gloves. esun');
    const ids = tokenizer.encode(text);
    const textVec = new Float32Array(384);
    for (const id of ids) for (let j = 0; j < 384; j++) textVec[j] += withText.wordTable![id * 384 + j];
    const norm = Math.hypot(...textVec);
    textVec.forEach((v, j) => (textVec[j] = v / norm));

    const cold = await model.coldItemVector({ itemId: 'new-1', title: 'Red Gloves!', category: 'gloves', brand: 'esun' });
    expect(cold).toMatchObject({ itemId: 'new-1', usedText: true, categoryId: 1, brandId: 2 });
    expectClose(cold.vector, withText.referenceSideVec(textVec, 1, 2));
    expect(model.rowOf('new-1')).toBeUndefined(); // computing a vector does not add the item
  });

  it('treats unknown category/brand names and a missing title as "unknown" (id 0, has_text 0)', async () => {
    const cold = await model.coldItemVector({ itemId: 'new-2', category: 'no-such-category', brand: 'acme' });
    expect(cold).toMatchObject({ usedText: false, categoryId: 0, brandId: 1 });
    expectClose(cold.vector, withText.referenceSideVec(null, 0, 1));
  });

  it('adds cold items to the catalog so topK can return them, and keeps them out of user histories', async () => {
    const m = await SequentialRecommenderModel.load(withText.dir, { logger: recordingLogger() });
    try {
      const added = await m.addColdItems([
        { itemId: 'cold-a', title: 'blue tape', category: 'tape' },
        { itemId: 'cold-b', title: 'red glove', brand: 'acme' },
      ]);
      expect(added.map((a) => a.row)).toEqual([51, 52]);
      expect(m.rowCount).toBe(53);
      expect(m.itemIds.slice(-2)).toEqual(['cold-a', 'cold-b']);
      expect(m.isColdItem('cold-a')).toBe(true);
      expect(m.isColdItem('item-0')).toBe(false);
      // A user vector pointing along the cold item's vector ranks it first.
      const top = m.topK(added[1].vector, 1);
      expect(top[0][0]).toMatchObject({ itemId: 'cold-b', row: 52 });
      // The user encoder has no row for cold items: they are skipped like unknown items.
      const [withCold, without] = [
        await m.encodeUsers([[{ itemId: 'item-1', action: 'view' }, { itemId: 'cold-a', action: 'view' }]]),
        await m.encodeUsers([[{ itemId: 'item-1', action: 'view' }]]),
      ];
      expect(Array.from(withCold)).toEqual(Array.from(without));
      // Re-adding replaces the vector in place; trained items are refused.
      const again = await m.addColdItem({ itemId: 'cold-a', title: 'red tape' });
      expect(again).toMatchObject({ row: 51, replaced: true });
      expect(Array.from(m.itemVector('cold-a')!)).toEqual(Array.from(again.vector));
      await expect(m.addColdItem({ itemId: 'item-3', title: 'x' })).rejects.toThrow('trained item');
      await expect(m.addColdItem({ itemId: '', title: 'x' })).rejects.toThrow(RangeError);
    } finally {
      await m.release();
    }
  });

  it('works without a text encoder, from category/brand only, and says so', async () => {
    const logger = recordingLogger();
    const m = await SequentialRecommenderModel.load(withoutText.dir, { logger });
    try {
      expect(m.hasTextEncoder).toBe(false);
      expect(logger.lines).toContainEqual({ level: 'info', message: expect.stringContaining('no text encoder available') });
      const cold = await m.addColdItem({ itemId: 'new', title: 'A title that cannot be used', category: 'pipettes', brand: 'esun' });
      expect(cold).toMatchObject({ usedText: false, categoryId: 2, brandId: 2, row: 31 });
      expectClose(cold.vector, withoutText.referenceSideVec(null, 2, 2));
    } finally {
      await m.release();
    }
  });

  it('can borrow a text encoder from a separate folder when the export has none', async () => {
    const logger = recordingLogger();
    // withText's folder holds text_encoder.onnx + vocab.txt, like the cache folder would.
    const m = await SequentialRecommenderModel.load(withoutText.dir, { logger, textEncoderDir: withText.dir });
    try {
      expect(m.hasTextEncoder).toBe(true);
      expect((await m.coldItemVector({ itemId: 'x', title: 'red tape' })).usedText).toBe(true);
      expect(logger.lines).toContainEqual({ level: 'info', message: expect.stringContaining(`text encoder loaded from ${withText.dir}`) });
    } finally {
      await m.release();
    }
  });

  it('loads an export that predates attributes (no attr_ids input) and ignores attributes there', async () => {
    expect(model.manifest.sideInfo.attributes).toEqual([]);
    const plain = await model.coldItemVector({ itemId: 'a', category: 'tape', brand: 'acme' });
    const withAttributes = await model.coldItemVector({ itemId: 'a', category: 'tape', brand: 'acme', attributes: ['173', 'red'] });
    expect(withAttributes.attributeIds).toEqual([]);
    expect(Array.from(withAttributes.vector)).toEqual(Array.from(plain.vector));
    await expect(model.itemVectorsFromSide([{ textVec: null, categoryId: 0, brandId: 0, attributeIds: [1] }])).rejects.toThrow('attributeId 1 is outside 0..0');
  });

  it('rejects raw side ids outside the manifest vocabularies', async () => {
    await expect(model.itemVectorsFromSide([{ textVec: null, categoryId: 4, brandId: 0 }])).rejects.toThrow('categoryId 4 is outside 0..3');
    await expect(model.itemVectorsFromSide([{ textVec: new Float32Array(3), categoryId: 0, brandId: 0 }])).rejects.toThrow('textVec has 3 values');
  });
});
