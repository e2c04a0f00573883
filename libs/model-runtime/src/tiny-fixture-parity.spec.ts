import { readFileSync } from 'fs';
import { SequentialRecommenderModel } from './sequential-recommender-model';
import * as path from 'path';
import { describeWithFixtures, maxAbsDiff, requireFiles, TINY_ATTR_MODEL_DIR, TINY_MODEL_DIR } from './testing/reference-fixtures';
import { recordingLogger } from './testing/temp-dirs';
import { UserEvent } from './user-history';

// onnxruntime-node on the committed tiny exports vs the PyTorch outputs recorded next to them
// (tools/model/make_fixtures.py writes both): tiny (text + category + brand) and tiny-attr
// (attribute ids only, whose item_from_side cases also carry the attribute names a caller passes).

interface TinyExpected {
  tolerance: number;
  max_seq_len: number;
  hidden: number;
  num_items: number;
  user_encoder: { item_seq: number[][]; action_seq: number[][]; user_vec: number[][] };
  item_embeddings: { item_rows: number[]; item_vec: number[][] };
  item_from_side: {
    text_vec: number[][];
    has_text: number[][];
    category_id: number[];
    brand_id: number[];
    /** Padded with 0; absent for models without attributes. */
    attr_ids?: number[][];
    /** The same attributes by name (plus unknown names, which must be ignored). */
    attributes?: string[][];
    item_vec: number[][];
  };
  scores: { top5_rows: number[][]; top5_scores: number[][] };
}

for (const dir of [TINY_MODEL_DIR, TINY_ATTR_MODEL_DIR]) {
  const expectedFile = path.join(dir, 'expected.json');
  describeWithFixtures(`${path.basename(dir)} fixture: onnxruntime-node vs PyTorch`, requireFiles(expectedFile), () => {
    let expected: TinyExpected;
    let model: SequentialRecommenderModel;

    beforeAll(async () => {
      expected = JSON.parse(readFileSync(expectedFile, 'utf8')) as TinyExpected;
      model = await SequentialRecommenderModel.load(dir, { logger: recordingLogger() });
    });
    afterAll(() => model?.release());

    it('loads with the dimensions the fixture was made with', () => {
      expect(model.hidden).toBe(expected.hidden);
      expect(model.maxSeqLen).toBe(expected.max_seq_len);
      expect(model.manifest.numItems).toBe(expected.num_items);
      expect(model.rowCount).toBe(expected.num_items + 1);
    });

    it('user_vec: encodeUsers on the same histories (given as item ids and action names)', async () => {
      const { item_seq, action_seq, user_vec } = expected.user_encoder;
      // Rebuild each left-padded row sequence as the history a caller would pass in.
      const histories: UserEvent[][] = item_seq.map((rows, b) =>
        rows.flatMap((row, t) => {
          if (row === 0) {
            expect(action_seq[b][t]).toBe(0); // padding carries no action
            return [];
          }
          expect(action_seq[b][t]).toBeGreaterThan(0);
          return [{ itemId: model.itemIdOf(row)!, action: model.manifest.actionTypes[action_seq[b][t] - 1] }];
        }),
      );
      const vecs = await model.encodeUsers(histories);
      expect(maxAbsDiff(vecs, user_vec.flat())).toBeLessThanOrEqual(expected.tolerance);
    });

    it('item_vec: the item matrix materialised through item_embeddings.onnx', () => {
      const { item_rows, item_vec } = expected.item_embeddings;
      const got = item_rows.flatMap((row) => Array.from(row === 0 ? model.itemMatrix.subarray(0, model.hidden) : model.itemVector(model.itemIdOf(row)!)!));
      expect(maxAbsDiff(got, item_vec.flat())).toBeLessThanOrEqual(expected.tolerance);
    });

    it('item_from_side: vectors of brand-new items from raw side information', async () => {
      const { text_vec, has_text, category_id, brand_id, attr_ids, item_vec } = expected.item_from_side;
      const inputs = text_vec.map((vec, i) => {
        if (has_text[i][0] === 0) expect(vec.every((v) => v === 0)).toBe(true); // "no text" is zeros + has_text 0
        const attributeIds = attr_ids?.[i].filter((id) => id !== 0);
        return { textVec: has_text[i][0] === 1 ? Float32Array.from(vec) : null, categoryId: category_id[i], brandId: brand_id[i], attributeIds };
      });
      const got = await model.itemVectorsFromSide(inputs);
      expect(maxAbsDiff(got, item_vec.flat())).toBeLessThanOrEqual(expected.tolerance);
    });

    it('cold items by attribute name give the same vectors (unknown names ignored)', async () => {
      const { attributes, attr_ids, item_vec } = expected.item_from_side;
      if (!attributes || !attr_ids) {
        expect(model.manifest.sideInfo.attributes).toEqual([]); // this fixture has no attributes
        return;
      }
      const cold = await model.coldItemVectors(attributes.map((names, i) => ({ itemId: `new-${i}`, attributes: names })));
      cold.forEach((c, i) => expect(new Set(c.attributeIds)).toEqual(new Set(attr_ids[i].filter((id) => id !== 0))));
      const got = cold.flatMap((c) => Array.from(c.vector));
      expect(maxAbsDiff(got, item_vec.flat())).toBeLessThanOrEqual(expected.tolerance);
    });

    it('top-5 over the catalog for the PyTorch user vectors', () => {
      const top = model.topK(Float32Array.from(expected.user_encoder.user_vec.flat()), 5);
      top.forEach((items, u) => {
        expect(items.map((i) => i.row)).toEqual(expected.scores.top5_rows[u]);
        expect(maxAbsDiff(items.map((i) => i.score), expected.scores.top5_scores[u])).toBeLessThanOrEqual(expected.tolerance);
      });
    });
  });
}
