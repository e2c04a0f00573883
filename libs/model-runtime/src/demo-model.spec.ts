import * as fs from 'fs';
import * as path from 'path';
import { generateSyntheticShop } from '@recmesh/synthetic-shop';
import { SequentialRecommenderModel } from './sequential-recommender-model';

const DEMO_MODEL_DIR = path.resolve(__dirname, '../../../tools/model/demo-model');

/**
 * The committed demo model (tools/model/build-demo-model.sh) was trained on
 * the synthetic shop with seed 42; it must have learned the shop's structure.
 */
describe('the committed demo model', () => {
  const shop = generateSyntheticShop({ seed: 42, items: 2000, users: 1 });
  const byId = new Map(shop.items.map((i) => [i.itemId, i]));
  const leaf = (itemId: string) => byId.get(itemId)!.categoryPath[1];
  let model: SequentialRecommenderModel;

  beforeAll(async () => {
    model = await SequentialRecommenderModel.load(DEMO_MODEL_DIR, { preferCuda: false });
  });
  afterAll(() => model.release());

  it('covers the whole demo catalog and stays small enough to commit', () => {
    expect(model.itemIds).toHaveLength(shop.items.length);
    expect(new Set(model.itemIds)).toEqual(new Set(shop.items.map((i) => i.itemId)));
    const bytes = fs.readdirSync(DEMO_MODEL_DIR).reduce((sum, f) => sum + fs.statSync(path.join(DEMO_MODEL_DIR, f)).size, 0);
    expect(bytes).toBeLessThan(10 * 1024 * 1024);
  });

  it('recommends accessories of the phone a shopper just bought', async () => {
    const phones = shop.items.filter((i) => i.categoryPath[1] === 'Smartphones').slice(0, 20);
    const histories = phones.map((p) => [
      { itemId: p.itemId, action: 'view' },
      { itemId: p.itemId, action: 'add_to_cart' },
      { itemId: p.itemId, action: 'purchase' },
    ]);
    const users = await model.encodeUsers(histories);
    const top = model.topK(users, 10, { exclude: phones.map((p) => [p.itemId]) });
    const accessories = new Set(['Phone Cases', 'Chargers', 'Earbuds']);
    const share = top.flat().filter((s) => accessories.has(leaf(s.itemId))).length / top.flat().length;
    // 3 of 16 leaf categories are phone accessories: a model that learned nothing lands near 0.19.
    expect(share).toBeGreaterThan(0.5);
  });

  it('follows a shopper who browses running shoes with running gear', async () => {
    const shoes = shop.items.filter((i) => i.categoryPath[1] === 'Running Shoes').slice(0, 3);
    const users = await model.encodeUsers([shoes.map((s) => ({ itemId: s.itemId, action: 'view' }))]);
    const [top] = model.topK(users, 10, { exclude: [shoes.map((s) => s.itemId)] });
    const sports = top.filter((s) => byId.get(s.itemId)!.categoryPath[0] === 'Sports').length;
    expect(sports).toBeGreaterThanOrEqual(5);
  });
});
