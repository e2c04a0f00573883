// Reason truthfulness benchmark (issue 14, deliverable 2): do the reasons of personal answers name a
// history item related to the recommended item, and only say "bought with" where orders do?
//   - demo shop: the synthetic shop (seed 42, the demo model's training shop) and tools/model/demo-model;
//   - a real dataset: Amazon Industrial & Scientific (titles, categories) read in place from
//     ../shared/datasets, with a model trained on it by tools/model (--model DIR, or --train to train
//     one into a temporary folder: about 2.5 min on 1 CPU thread).
// For each, the RecommendationScorer answers Recommend(k=10) for sampled shoppers on the embedded store,
// and auditReasons reads the named history item back from each reason and judges the pair by leaf
// category and by the item's nearest neighbours (1% of the catalog) in the model's item space. The same
// audit of the old rule (every personal item "Because you viewed <last item>") is the baseline.
// Also printed: the cosine bar for "related" (RELATED_QUANTILE of random pairs) and which pairs pass it,
// and the SimilarItems "bought with" labels against the pair counts.
//   npm run bench:reasons -- [--model DIR | --train] [--users 300] [--out FILE]
import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Action, parseAction } from '@recmesh/contracts';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { CatalogStore, FeatureStore, openStore, PairIncrement, SequenceStep } from '@recmesh/persistence';
import { auditReasons, AuditedAnswer, itemNeighbours, ReasonAudit, RecommendationScorer, relatedCosine, RELATED_QUANTILE, supportOf, unit } from '@recmesh/scoring';
import { CatalogIndex, Reasons, RecommendedItem } from '@recmesh/serving-core';
import { mulberry32 } from '@recmesh/numerics';
import { generateSyntheticShop } from '@recmesh/synthetic-shop';
import { readDatasetDir } from '@recmesh/training';

const ROOT = path.resolve(__dirname, '../../..');
const DEMO_MODEL_DIR = path.join(ROOT, 'tools/model/demo-model');
const DATASET = path.resolve(ROOT, '../shared/datasets/amazon_scientific_unisrec/normalized');
const PYTHON = path.join(ROOT, 'tools/model/.venv/bin/python');
const NOW = Date.now();

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

interface Shop {
  readonly name: string;
  readonly items: ReadonlyArray<{ itemId: string; title: string; category: string | undefined }>;
  readonly sequences: ReadonlyMap<string, SequenceStep[]>;
  readonly orderPairs: readonly PairIncrement[];
}

interface ShopReport {
  readonly name: string;
  readonly modelVersion: string;
  readonly users: number;
  readonly bar: { quantile: number; cosine: number; randomPairQuantiles: Record<string, number>; sameCategoryPairsAbove: number; otherCategoryPairsAbove: number; coPurchasedPairsAbove: number | null };
  readonly audit: ReasonAudit;
  readonly oldRuleAudit: ReasonAudit;
  readonly shares: Record<string, number>;
  /** For bars at several quantiles of random-pair cosines: share of personal items the nearest history item clears, and share of those related (category or neighbour). */
  readonly sweep: Array<{ quantile: number; cosine: number; named: number; related: number }>;
  readonly similarItems: { answers: number; items: number; boughtWith: number; boughtWithWithoutOrders: number; sameCategoryBoughtWith: number; sameCategoryItems: number };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The cosine bar and which kinds of pairs clear it. */
function barReport(model: SequentialRecommenderModel, shop: Shop): ShopReport['bar'] {
  const cosine = relatedCosine(model.itemMatrix, model.rowCount, model.hidden);
  const vec = (id: string) => unit(model.itemVector(id) ?? new Float32Array(model.hidden));
  const cos = (a: string, b: string) => vec(a).reduce((s, x, i) => s + x * vec(b)[i], 0);
  const known = shop.items.filter((i) => model.rowOf(i.itemId) !== undefined);
  const uniform = mulberry32(7);
  const pick = () => known[Math.floor(uniform() * known.length)];
  const random: number[] = [];
  let same = 0, sameAbove = 0, other = 0, otherAbove = 0;
  for (let n = 0; n < 20_000; n++) {
    const [a, b] = [pick(), pick()];
    if (a.itemId === b.itemId) continue;
    const c = cos(a.itemId, b.itemId);
    random.push(c);
    const sameKind = a.category !== undefined && a.category === b.category;
    if (sameKind) same++;
    else other++;
    if (sameKind && c >= cosine) sameAbove++;
    if (!sameKind && c >= cosine) otherAbove++;
  }
  // Same-category pairs are rare among random pairs in a shop with many categories: draw them directly too.
  const byCategory = new Map<string, string[]>();
  for (const i of known) if (i.category) byCategory.set(i.category, [...(byCategory.get(i.category) ?? []), i.itemId]);
  for (let n = 0; n < 20_000; n++) {
    const members = byCategory.get(pick().category ?? '') ?? [];
    if (members.length < 2) continue;
    const a = members[n % members.length], b = members[(n * 7 + 1) % members.length];
    if (a === b) continue;
    same++;
    if (cos(a, b) >= cosine) sameAbove++;
  }
  const coPurchased = shop.orderPairs.filter((p) => model.rowOf(p.itemA) !== undefined && model.rowOf(p.itemB) !== undefined);
  random.sort((x, y) => x - y);
  const q = (p: number) => round(random[Math.floor(p * (random.length - 1))]);
  return {
    quantile: RELATED_QUANTILE, cosine: round(cosine),
    randomPairQuantiles: { p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99) },
    sameCategoryPairsAbove: round(sameAbove / Math.max(1, same)), otherCategoryPairsAbove: round(otherAbove / Math.max(1, other)),
    coPurchasedPairsAbove: coPurchased.length ? round(coPurchased.filter((p) => cos(p.itemA, p.itemB) >= cosine).length / coPurchased.length) : null,
  };
}

async function benchShop(shop: Shop, modelDir: string, users: number): Promise<ShopReport> {
  const model = await SequentialRecommenderModel.load(modelDir, { preferCuda: false });
  const ds = await openStore({ kind: 'embedded' });
  try {
    const category = new Map(shop.items.map((i) => [i.itemId, i.category]));
    const title = new Map(shop.items.map((i) => [i.itemId, i.title]));
    await new CatalogStore(ds).insertItems(shop.items.map((i) => ({ itemId: i.itemId, title: i.title, description: '', categoryPath: i.category ? [i.category] : [], brand: '', price: null, currency: '', inStock: 1, attributes: {}, updatedTsMs: NOW })));
    const features = new FeatureStore(ds);
    // Every n-th shopper with at least two distinct items the model knows.
    const eligible = [...shop.sequences].filter(([, steps]) => new Set(steps.filter((s) => model.rowOf(s.i) !== undefined).map((s) => s.i)).size >= 2);
    const sampled = eligible.filter((_, n) => n % Math.max(1, Math.floor(eligible.length / users)) === 0).slice(0, users);
    await features.transaction(async (m) => {
      await features.saveSequences(m, sampled.map(([userId, steps]) => ({ userId, steps, updatedTsMs: NOW })));
      await features.incrementPairs(m, [...shop.orderPairs]);
    });
    const catalog = new CatalogIndex(new CatalogStore(ds));
    await catalog.reload();
    const scorer = new RecommendationScorer({ model: () => model, features, catalog, batching: { maxBatchSize: 32, maxWaitMs: 2, maxQueue: 10_000 }, popularityHalfLifeMs: 72 * 3_600_000, clock: () => NOW });

    const answers: AuditedAnswer[] = [];
    const oldRule: AuditedAnswer[] = [];
    for (const [userId, steps] of sampled) {
      const { items } = await scorer.recommend({ userId, k: 10, cartItemIds: [], categories: [], excludeItemIds: [] });
      const history = [...new Set(steps.map((s) => s.i))].filter((id) => title.get(id)).map((itemId) => ({ itemId, title: title.get(itemId) ?? '' }));
      answers.push({ history, items });
      // The old rule: every model-ranked item (no cart here: all but trending ones) told against the last item of the history, as "viewed".
      const last = [...steps].reverse().find((s) => title.get(s.i));
      oldRule.push({ history, items: items.map((i): Pick<RecommendedItem, 'itemId' | 'reason' | 'reasonCode'> => (i.reasonCode !== 'trending' && last ? { ...i, reasonCode: 'sequence', reason: Reasons.becauseYou('viewed', title.get(last.i) ?? '') } : i)) });
    }
    const neighbours = itemNeighbours(model.itemMatrix, model.rowCount, model.hidden, (id) => model.rowOf(id), Math.max(10, Math.round(model.itemIds.length / 100)));
    const orders = new Set(shop.orderPairs.map((p) => `${p.itemA}|${p.itemB}`));
    const related = (h: string, i: string) => ({ sameCategory: category.get(h) !== undefined && category.get(h) === category.get(i), neighbour: neighbours(i).has(model.rowOf(h) ?? -1), coPurchased: orders.has(`${i}|${h}`) });
    const audit = auditReasons(answers, related, (id) => category.get(id));
    const oldRuleAudit = auditReasons(oldRule, related, (id) => category.get(id));

    // The bar's sweep: the nearest history item of every model-ranked item, judged at several bars.
    const nearest: Array<{ cosine: number; related: boolean }> = [];
    for (const a of answers) {
      const history = a.history.filter((h) => model.rowOf(h.itemId) !== undefined).map((h) => ({ item: { itemId: h.itemId, did: 'viewed' as const }, unit: unit(model.itemVector(h.itemId) ?? new Float32Array(model.hidden)) }));
      for (const i of a.items) {
        if (i.reasonCode === 'trending' || model.rowOf(i.itemId) === undefined) continue;
        const best = supportOf(model.itemVector(i.itemId) ?? new Float32Array(model.hidden), history, -1);
        if (!best) continue;
        const r = related(best.item.itemId, i.itemId);
        nearest.push({ cosine: best.cosine, related: r.sameCategory || r.neighbour });
      }
    }
    const sweep = [0, 0.5, 0.75, 0.9, 0.95, 0.99].map((quantile) => {
      const cosine = quantile === 0 ? -1 : relatedCosine(model.itemMatrix, model.rowCount, model.hidden, quantile);
      const kept = nearest.filter((n) => n.cosine >= cosine);
      return { quantile, cosine: round(cosine), named: round(kept.length / Math.max(1, nearest.length)), related: round(kept.filter((n) => n.related).length / Math.max(1, kept.length)) };
    });

    // SimilarItems: "bought with" only on pairs with orders; how many same-category items got it.
    const similar = { answers: 0, items: 0, boughtWith: 0, boughtWithWithoutOrders: 0, sameCategoryBoughtWith: 0, sameCategoryItems: 0 };
    const probes = [...new Set(sampled.flatMap(([, steps]) => steps.map((s) => s.i)))].filter((id) => model.rowOf(id) !== undefined).slice(0, 200);
    for (const itemId of probes) {
      const { items } = await scorer.similarItems({ itemId, k: 10, categories: [], excludeItemIds: [] });
      similar.answers++;
      for (const i of items) {
        similar.items++;
        const sameCategory = category.get(i.itemId) !== undefined && category.get(i.itemId) === category.get(itemId);
        if (sameCategory) similar.sameCategoryItems++;
        if (i.reasonCode !== 'bought_together') continue;
        similar.boughtWith++;
        if (!orders.has(`${itemId}|${i.itemId}`)) similar.boughtWithWithoutOrders++;
        if (sameCategory) similar.sameCategoryBoughtWith++;
      }
    }
    const share = (a: number, b: number) => round(a / Math.max(1, b));
    return {
      name: shop.name, modelVersion: model.modelVersion, users: sampled.length, bar: barReport(model, shop), audit, oldRuleAudit, sweep,
      shares: {
        namedOfPersonal: share(audit.named, audit.personalItems),
        relatedOfNamed: share(audit.related, audit.named),
        sameCategoryOfNamed: share(audit.sameCategory, audit.named),
        neighbourOfNamed: share(audit.neighbour, audit.named),
        coPurchasedOfNamed: share(audit.coPurchased, audit.named),
        boughtWithOfNamed: share(audit.namedBoughtWith, audit.named),
        answersMostlyRelated: share(audit.answersMostlyRelated, audit.answersNaming),
        oldRuleRelatedOfNamed: share(oldRuleAudit.related, oldRuleAudit.named),
        oldRuleAnswersMostlyRelated: share(oldRuleAudit.answersMostlyRelated, oldRuleAudit.answersNaming),
        diverseAnswersOneReason: share(audit.diverseAnswersOneReason, audit.diverseAnswers),
        oldRuleDiverseAnswersOneReason: share(oldRuleAudit.diverseAnswersOneReason, oldRuleAudit.diverseAnswers),
      },
      similarItems: similar,
    };
  } finally {
    await model.release();
    await ds.destroy();
  }
}

/** Orders of one session's purchases, both directions, as feature-builder counts them. */
function orderPairsOf(orders: Iterable<string[]>): PairIncrement[] {
  const counts = new Map<string, number>();
  for (const items of orders) for (const a of new Set(items)) for (const b of new Set(items)) if (a !== b) counts.set(`${a}|${b}`, (counts.get(`${a}|${b}`) ?? 0) + 1);
  return [...counts].map(([k, order]) => ({ itemA: k.split('|')[0], itemB: k.split('|')[1], session: order, order }));
}

function demoShop(): Shop {
  const shop = generateSyntheticShop({ seed: 42, items: 2000, users: 3000 });
  const sequences = new Map<string, SequenceStep[]>();
  const orders = new Map<string, string[]>();
  for (const e of shop.events) {
    sequences.set(e.userId, [...(sequences.get(e.userId) ?? []), { i: e.itemId, a: parseAction(e.action) ?? Action.VIEW, t: e.tsMs, s: e.sessionId }].slice(-50));
    if (e.action === 'purchase') orders.set(e.sessionId, [...(orders.get(e.sessionId) ?? []), e.itemId]);
  }
  return { name: 'demo shop (synthetic, seed 42)', items: shop.items.map((i) => ({ itemId: i.itemId, title: i.title, category: i.categoryPath[1] })), sequences, orderPairs: orderPairsOf(orders.values()) };
}

async function scientificShop(): Promise<Shop> {
  const { items, events } = await readDatasetDir(DATASET);
  const sequences = new Map<string, SequenceStep[]>();
  // Reviews are purchases (as test/learning/real-shop.spec.ts sends them); ts is each user's position.
  for (const e of [...events].sort((a, b) => a.ts - b.ts)) sequences.set(e.userId, [...(sequences.get(e.userId) ?? []), { i: e.itemId, a: Action.PURCHASE, t: NOW - 1e6 + e.ts, s: `${e.userId}-${e.ts}` }].slice(-50));
  return { name: 'Amazon Industrial & Scientific', items: items.map((i) => ({ itemId: i.itemId, title: i.title ?? '', category: i.category })), sequences, orderPairs: [] };
}

/** Trains and exports a Scientific model with tools/model (no text encoder: ids, categories, brands). */
function trainScientific(work: string): string {
  const env = { ...process.env, PYTHONPATH: path.join(ROOT, 'tools/model') };
  execFileSync(PYTHON, ['-m', 'recmesh_model.train', '--dataset-dir', DATASET, '--out', path.join(work, 'run'), '--no-text', '--epochs', '10', '--patience', '3', '--max-minutes', '8', '--threads', '1', '--valid-users', '2000', '--quiet'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync(PYTHON, ['-m', 'recmesh_model.export', '--checkpoint', path.join(work, 'run/checkpoint_best.pt'), '--out', path.join(work, 'model'), '--dataset-dir', DATASET, '--check'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  return path.join(work, 'model');
}

async function main(): Promise<void> {
  const users = Number(flag('users') ?? 300);
  const reports: ShopReport[] = [await benchShop(demoShop(), DEMO_MODEL_DIR, users)];
  let modelDir = flag('model');
  if (!modelDir && process.argv.includes('--train')) modelDir = trainScientific(await fs.mkdtemp(path.join(os.tmpdir(), 'recmesh-bench-reasons-')));
  if (modelDir) reports.push(await benchShop(await scientificShop(), modelDir, users));
  else console.info('no --model or --train: the real-dataset part is skipped');
  const out = flag('out') ?? path.join(ROOT, 'reports/bench-reasons.json');
  await fs.writeFile(out, JSON.stringify({ command: `node tools/run-ts.js tools/bench/reasons/bench-reasons.ts ${process.argv.slice(2).join(' ')}`.trim(), reports }, null, 2) + '\n');
  for (const r of reports) console.info(JSON.stringify({ name: r.name, bar: r.bar, sweep: r.sweep, shares: r.shares, similarItems: r.similarItems }));
  console.info(`wrote ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
