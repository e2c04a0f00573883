import { attributeNames } from './item-text';
import { SequentialRecommenderModel } from './sequential-recommender-model';
import { describeWithFixtures, findTextEncoderDir, requireFiles, TINY_ATTR_MODEL_DIR, TINY_MODEL_DIR } from './testing/reference-fixtures';
import { recordingLogger } from './testing/temp-dirs';
import * as path from 'path';

// A brand-new item on the real (tiny) exported model: it gets a finite vector from its side
// information alone and can be recommended right away, without retraining and without Python.

function scoreRank(model: SequentialRecommenderModel, userVec: Float32Array, itemId: string): number {
  const all = model.topK(userVec, model.rowCount);
  return all[0].findIndex((i) => i.itemId === itemId);
}

const fixture = requireFiles(path.join(TINY_MODEL_DIR, 'manifest.json'));

describeWithFixtures('cold item on the tiny fixture model', fixture, () => {
  let model: SequentialRecommenderModel;
  beforeAll(async () => {
    model = await SequentialRecommenderModel.load(TINY_MODEL_DIR, { logger: recordingLogger() });
  });
  afterAll(() => model?.release());

  it('is embedded from category/brand alone and reaches the top-K of a user aligned with it', async () => {
    const added = await model.addColdItem({ itemId: 'brand-new-1', title: 'Nitrile gloves, size M', category: 'gloves', brand: 'uxcell' });
    expect(added).toMatchObject({ row: 21, categoryId: 1, brandId: 4, usedText: model.hasTextEncoder });
    expect(added.vector).toHaveLength(model.hidden);
    expect(added.vector.every(Number.isFinite)).toBe(true);
    expect(added.vector.some((v) => v !== 0)).toBe(true);

    const top = model.topK(added.vector, 5);
    expect(top[0].map((i) => i.itemId)).toContain('brand-new-1');
    expect(scoreRank(model, added.vector, 'brand-new-1')).toBeLessThan(5);
    // Scoring it is plain dot-product scoring like any trained item.
    const hit = top[0].find((i) => i.itemId === 'brand-new-1')!;
    expect(hit.score).toBeCloseTo(added.vector.reduce((s, v) => s + v * v, 0), 4);
    // And it can still be filtered like any other row.
    const excluded = model.topK(added.vector, 5, { exclude: [['brand-new-1']] });
    expect(excluded[0].map((i) => i.itemId)).not.toContain('brand-new-1');
  });

  it('different side information gives a different vector', async () => {
    const [a, b] = await model.coldItemVectors([
      { itemId: 'x', category: 'gloves', brand: 'uxcell' },
      { itemId: 'y', category: 'tape', brand: 'acme' },
    ]);
    expect(Array.from(a.vector)).not.toEqual(Array.from(b.vector));
  });
});

describeWithFixtures('cold item on the attribute-only tiny fixture model', requireFiles(path.join(TINY_ATTR_MODEL_DIR, 'manifest.json')), () => {
  let model: SequentialRecommenderModel;
  beforeAll(async () => {
    model = await SequentialRecommenderModel.load(TINY_ATTR_MODEL_DIR, { logger: recordingLogger() });
  });
  afterAll(() => model?.release());

  it('is embedded from its attributes alone and reaches the top-K of a user aligned with it', async () => {
    expect(model.manifest.sideInfo).toEqual({ categories: [], brands: [], attributes: ['1', '2', '17', '162', '171', '173'] });
    const added = await model.addColdItem({ itemId: 'brand-new-attr', attributes: ['173', '17', 'unknown', '173'] });
    expect(added).toMatchObject({ row: 21, categoryId: 0, brandId: 0, attributeIds: [6, 3], usedText: false });
    expect(added.vector.every(Number.isFinite)).toBe(true);
    expect(added.vector.some((v) => v !== 0)).toBe(true);
    expect(scoreRank(model, added.vector, 'brand-new-attr')).toBeLessThan(5);
  });

  it('different attributes give different vectors; order does not matter; none known gives the zero vector', async () => {
    const [a, b, c, none] = await model.coldItemVectors([
      { itemId: 'a', attributes: ['1', '162'] },
      { itemId: 'b', attributes: ['162', '1'] },
      { itemId: 'c', attributes: ['2'] },
      { itemId: 'd', attributes: ['nope'] },
    ]);
    expect(Array.from(a.vector)).not.toEqual(Array.from(c.vector));
    a.vector.forEach((v, i) => expect(v).toBeCloseTo(b.vector[i], 6));
    expect(none.attributeIds).toEqual([]);
    expect(none.vector.every((v) => v === 0)).toBe(true); // nothing known about the item
  });
});

const encoderDir = findTextEncoderDir();

describeWithFixtures('cold item with title text (tiny fixture + exported MiniLM text encoder)', fixture ?? encoderDir.reason, () => {
  let model: SequentialRecommenderModel;
  beforeAll(async () => {
    model = await SequentialRecommenderModel.load(TINY_MODEL_DIR, { logger: recordingLogger(), textEncoderDir: encoderDir.value });
  }, 60_000);
  afterAll(() => model?.release());

  it('uses the title: a finite vector that differs from the category/brand-only one, and is recommendable', async () => {
    const withTitle = await model.addColdItem({ itemId: 'brand-new-2', title: 'eSUN PETG 1.75mm 3D Printer Filament, 1kg Spool', category: 'tape', brand: 'esun' });
    const withoutTitle = await model.coldItemVector({ itemId: 'brand-new-2', category: 'tape', brand: 'esun' });
    expect(withTitle.usedText).toBe(true);
    expect(withoutTitle.usedText).toBe(false);
    expect(withTitle.vector.every(Number.isFinite)).toBe(true);
    expect(Array.from(withTitle.vector)).not.toEqual(Array.from(withoutTitle.vector));
    expect(model.topK(withTitle.vector, 5)[0].map((i) => i.itemId)).toContain('brand-new-2');
  });
});

describe('attributeNames', () => {
  it('names a shop attribute map as the trainer does: sorted unique "key=value", empty parts left out', () => {
    expect(attributeNames({ size: 'L', color: 'red', '': 'x', empty: '' })).toEqual(['color=red', 'size=L']);
  });
});
