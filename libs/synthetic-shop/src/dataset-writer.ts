import * as fs from 'fs';
import * as path from 'path';
import { SyntheticShop } from './synthetic-shop';

/**
 * Writes the shop in the normalized dataset format of ../shared/datasets
 * (items.jsonl + events.csv), which the trainer in tools/model reads.
 */
export function writeNormalizedDataset(shop: SyntheticShop, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const items = shop.items.map((i) =>
    JSON.stringify({ item_id: i.itemId, title: i.title, category: i.categoryPath.join(' > '), brand: i.brand, price: i.price, in_stock: i.inStock, attributes: i.attributes }),
  );
  fs.writeFileSync(path.join(dir, 'items.jsonl'), items.join('\n') + '\n');
  const rows = shop.events.map((e) => `${e.userId},${e.itemId},${Math.floor(e.tsMs / 1000)},${e.action}`);
  fs.writeFileSync(path.join(dir, 'events.csv'), ['user_id,item_id,ts,action', ...rows].join('\n') + '\n');
}
