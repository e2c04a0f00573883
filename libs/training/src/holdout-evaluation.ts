import { actionName, parseAction } from '@recmesh/contracts';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { topIndices } from '@recmesh/numerics';
import type { DatasetItem } from './dataset-files';
import type { HoldoutMetrics } from './promotion-gate';
import { headItems, TimeSplit } from './time-split';

/** EVAL-PROTOCOL metrics of one served model on a shop's time split, plus what the gate reads. */
export interface HoldoutReport extends HoldoutMetrics {
  readonly modelVersion: string;
  readonly usersEvaluated: number;
  readonly recallAt10: number;
  readonly recallAt20: number;
  readonly ndcgAt20: number;
  readonly coverageAt10: number;
  readonly tailUsers: number;
  readonly coldRecallAt20: number;
  readonly coldUsers: number;
  readonly cutoffTs: number;
}

const COLD_MAX_TRAIN_INTERACTIONS = 5;

/**
 * Evaluates a served model as the scorer runs it (Node, onnxruntime): every
 * catalog item the model was not trained on gets its vector from text and
 * category first, then each holdout user is ranked over the whole catalog
 * with their history masked and ties counted against the model. The model is
 * modified (cold items added): load a fresh one for evaluation.
 */
export async function evaluateOnHoldout(model: SequentialRecommenderModel, split: TimeSplit, items: readonly DatasetItem[], options: { batchSize?: number } = {}): Promise<HoldoutReport> {
  // The catalog is every listed item plus any item the events name.
  const byId = new Map(items.map((i) => [i.itemId, i]));
  for (const c of split.cases) for (const id of [c.target, ...c.history.map((e) => e.itemId)]) if (!byId.has(id)) byId.set(id, { itemId: id });
  const catalog = [...byId.values()];
  const unknown = catalog.filter((i) => model.rowOf(i.itemId) === undefined);
  for (let i = 0; i < unknown.length; i += 256) await model.addColdItems(unknown.slice(i, i + 256));
  const index = new Map(catalog.map((item, j) => [item.itemId, j]));
  const rows = Int32Array.from(catalog, (item) => model.rowOf(item.itemId) as number);
  const matrix = model.itemMatrix;
  const hidden = model.hidden;

  const head = headItems(split.trainCounts);
  const inTopTen = new Uint8Array(catalog.length);
  const sums = { recall10: 0, recall20: 0, ndcg10: 0, ndcg20: 0, tail20: 0, tailUsers: 0, cold20: 0, coldUsers: 0, covered: 0 };
  const batchSize = options.batchSize ?? 256;
  const scores = new Float32Array(catalog.length);
  const masked = new Uint8Array(catalog.length);
  for (let start = 0; start < split.cases.length; start += batchSize) {
    const cases = split.cases.slice(start, start + batchSize);
    // The trainer reads an action it does not know (e.g. "review") as a view; so does this.
    const histories = cases.map((c) => c.history.map((e) => ({ itemId: e.itemId, action: actionName(parseAction(e.action) ?? 1) })));
    const users = await model.encodeUsers(histories);
    cases.forEach((c, b) => {
      const u = users.subarray(b * hidden, (b + 1) * hidden);
      for (let j = 0; j < catalog.length; j++) {
        const offset = rows[j] * hidden;
        let s = 0;
        for (let h = 0; h < hidden; h++) s += u[h] * matrix[offset + h];
        scores[j] = s;
      }
      const target = index.get(c.target) as number;
      masked.fill(0);
      for (const e of c.history) masked[index.get(e.itemId) as number] = 1;
      masked[target] = 0; // the target itself is never masked
      let rank = 1;
      for (let j = 0; j < catalog.length; j++) if (j !== target && masked[j] === 0 && scores[j] >= scores[target]) rank++;
      for (const j of topIndices(scores, 10, masked)) inTopTen[j] = 1;
      const hit = (k: number) => (rank <= k ? 1 : 0);
      const ndcg = (k: number) => (rank <= k ? 1 / Math.log2(rank + 1) : 0);
      sums.recall10 += hit(10);
      sums.recall20 += hit(20);
      sums.ndcg10 += ndcg(10);
      sums.ndcg20 += ndcg(20);
      if (!head.has(c.target)) {
        sums.tailUsers++;
        sums.tail20 += hit(20);
      }
      if ((split.trainCounts.get(c.target) ?? 0) <= COLD_MAX_TRAIN_INTERACTIONS) {
        sums.coldUsers++;
        sums.cold20 += hit(20);
      }
      if (!model.isColdItem(c.target)) sums.covered++;
    });
  }
  const n = split.cases.length;
  const mean = (x: number, d = n) => (d === 0 ? 0 : x / d);
  return {
    modelVersion: model.modelVersion,
    usersEvaluated: n,
    ndcgAt10: mean(sums.ndcg10),
    ndcgAt20: mean(sums.ndcg20),
    recallAt10: mean(sums.recall10),
    recallAt20: mean(sums.recall20),
    tailRecallAt20: mean(sums.tail20, sums.tailUsers),
    tailUsers: sums.tailUsers,
    coldRecallAt20: mean(sums.cold20, sums.coldUsers),
    coldUsers: sums.coldUsers,
    coverageAt10: mean(inTopTen.reduce((a, b) => a + b, 0), catalog.length),
    catalogCoverage: mean(sums.covered),
    cutoffTs: split.cutoffTs,
  };
}
