// Fits the demo shop's bundle model (npm run bundle:fit-demo): the synthetic shop the demo model was
// trained on (seed 42, 2,000 items, 3,000 shoppers), its orders (items bought in one session, as
// feature-builder counts them), the demo model's item vectors as the behaviour signal, and each
// buyer's vector from their history before the order as the personal signal. No text features: the
// embedded default runs without the 90 MB text encoder. Writes tools/model/demo-model/bundle-model.json.
//   node tools/run-ts.js tools/bundle-eval/fit-demo-bundle-model.ts [--out FILE]
import { promises as fs } from 'fs';
import * as path from 'path';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { generateSyntheticShop } from '@recmesh/synthetic-shop';
import { fitBundleModelFor, ShopOrder, ShopperStep } from '@recmesh/training';

const ROOT = path.resolve(__dirname, '../..');
const MODEL_DIR = path.join(ROOT, 'tools/model/demo-model');
const outIndex = process.argv.indexOf('--out');
const OUT = outIndex >= 0 ? path.resolve(process.argv[outIndex + 1]) : path.join(MODEL_DIR, 'bundle-model.json');

async function main(): Promise<void> {
  const model = await SequentialRecommenderModel.load(MODEL_DIR, { preferCuda: false });
  const shop = generateSyntheticShop({ seed: 42, items: 2000, users: 3000 });

  // Orders are the items bought in one session, as feature-builder counts them.
  const bySession = new Map<string, ShopOrder & { items: string[] }>();
  const histories = new Map<string, ShopperStep[]>();
  for (const e of shop.events) {
    let steps = histories.get(e.userId);
    if (!steps) histories.set(e.userId, (steps = []));
    steps.push({ itemId: e.itemId, action: e.action, ts: e.tsMs });
    if (e.action !== 'purchase') continue;
    const key = `${e.userId}\u0000${e.sessionId}`;
    const order = bySession.get(key) ?? { userId: e.userId, startTs: e.tsMs, items: [] };
    if (!order.items.includes(e.itemId)) order.items.push(e.itemId);
    bySession.set(key, order);
  }
  const orders = [...bySession.values()].filter((o) => o.items.length >= 2);
  const { weights, report } = await fitBundleModelFor(model, {
    orders,
    catalog: shop.items.map((i) => ({ itemId: i.itemId, leafCategory: i.categoryPath[i.categoryPath.length - 1] })),
    histories,
    seed: 42,
    version: `demo-shop-${model.modelVersion}`,
    fittedOn: { data: 'synthetic shop seed 42, 2000 items, 3000 shoppers', text: 'off (embedded default has no text encoder)' },
    log: (m) => console.log(`[fit-demo] ${m}`),
  });
  await fs.writeFile(OUT, `${JSON.stringify(weights, null, 2)}\n`);
  console.log(`[fit-demo] ${orders.length} orders; weights ${JSON.stringify(report.weights)}; l2 ${report.l2}; ${report.seconds.toFixed(1)} s -> ${path.relative(ROOT, OUT)}`);
  await model.release();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
