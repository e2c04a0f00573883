// Fits the demo shop's bundle model (npm run bundle:fit-demo): the synthetic shop the demo model was
// trained on (seed 42, 2,000 items, 3,000 shoppers), its orders (items bought in one session, as
// feature-builder counts them), the demo model's item vectors as the behaviour signal, and each
// buyer's vector from their history before the order as the personal signal. No text features: the
// embedded default runs without the 90 MB text encoder. Writes tools/model/demo-model/bundle-model.json.
//   node tools/run-ts.js tools/bundle-eval/fit-demo-bundle-model.ts [--out FILE]
import { promises as fs } from 'fs';
import * as path from 'path';
import { CoPurchaseGraph, cosine, fitBundleModel } from '@recmesh/bundling';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { generateSyntheticShop } from '@recmesh/synthetic-shop';

const ROOT = path.resolve(__dirname, '../..');
const MODEL_DIR = path.join(ROOT, 'tools/model/demo-model');
const outIndex = process.argv.indexOf('--out');
const OUT = outIndex >= 0 ? path.resolve(process.argv[outIndex + 1]) : path.join(MODEL_DIR, 'bundle-model.json');

async function main(): Promise<void> {
  const model = await SequentialRecommenderModel.load(MODEL_DIR, { preferCuda: false });
  const shop = generateSyntheticShop({ seed: 42, items: 2000, users: 3000 });
  const leaf = new Map(shop.items.map((i) => [i.itemId, i.categoryPath[i.categoryPath.length - 1]]));

  // Orders and what each buyer had done before the order started.
  const bySession = new Map<string, { userId: string; startTs: number; items: string[] }>();
  const history = new Map<string, Array<{ itemId: string; action: string; tsMs: number }>>();
  for (const e of shop.events) {
    if (model.rowOf(e.itemId) !== undefined) history.set(e.userId, [...(history.get(e.userId) ?? []), { itemId: e.itemId, action: e.action, tsMs: e.tsMs }]);
    if (e.action !== 'purchase') continue;
    const key = `${e.userId}\u0000${e.sessionId}`;
    const order = bySession.get(key) ?? { userId: e.userId, startTs: e.tsMs, items: [] };
    if (!order.items.includes(e.itemId)) order.items.push(e.itemId);
    bySession.set(key, order);
  }
  const orders = [...bySession.values()].filter((o) => o.items.length >= 2);
  const graph = new CoPurchaseGraph(orders.map((o) => o.items), { leafCategories: leaf });

  const userVectors: Array<Float32Array | undefined> = [];
  for (let i = 0; i < orders.length; i += 256) {
    const batch = orders.slice(i, i + 256).map((o) => (history.get(o.userId) ?? []).filter((h) => h.tsMs < o.startTs).slice(-50));
    const withHistory = batch.map((h, j) => [h, j] as const).filter(([h]) => h.length > 0);
    const encoded = withHistory.length > 0 ? await model.encodeUsers(withHistory.map(([h]) => h)) : new Float32Array(0);
    const dim = withHistory.length > 0 ? encoded.length / withHistory.length : 0;
    const out: Array<Float32Array | undefined> = batch.map(() => undefined);
    withHistory.forEach(([, j], n) => (out[j] = encoded.slice(n * dim, (n + 1) * dim)));
    userVectors.push(...out);
  }
  const behaviour = new Map<string, Float32Array>();
  for (const item of shop.items) {
    const v = model.itemVector(item.itemId);
    if (v) behaviour.set(item.itemId, v);
  }

  const { weights, report } = fitBundleModel({
    graph,
    catalog: shop.items.map((i) => i.itemId),
    vectors: { behaviour },
    personalAffinity: (orderIndex, itemId) => {
      const user = userVectors[orderIndex];
      return user ? cosine(user, behaviour.get(itemId)) : 0;
    },
    pairFeatures: ['log_lift', 'co_purchased', 'category_lift', 'behaviour_cosine', 'same_leaf_category'],
    seed: 42,
    version: `demo-shop-${model.modelVersion}`,
    fittedOn: { data: 'synthetic shop seed 42, 2000 items, 3000 shoppers', orders: orders.length, behaviourVectors: `demo model ${model.modelVersion}`, text: 'off (embedded default has no text encoder)' },
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
