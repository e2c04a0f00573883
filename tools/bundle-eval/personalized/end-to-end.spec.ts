import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runPersonalizedBundleEval } from '../personalized-bundle-eval';
import { mulberry32, shuffleInPlace } from '@recmesh/numerics';

/**
 * A small planted dataset in the normalized layout: 8 taste groups of 10 users;
 * group g mostly takes bundles 5g..5g+4 and holds items of its half of the
 * catalog, so neighbours share bundles and global popularity is uninformative.
 */
function writeToyDataset(root: string, seed: number): void {
  const dir = path.join(root, 'normalized');
  fs.mkdirSync(dir, { recursive: true });
  const rng = mulberry32(seed);
  const nItems = 120;
  const nBundles = 40;
  fs.writeFileSync(path.join(dir, 'items.jsonl'), Array.from({ length: nItems }, (_, i) => JSON.stringify({ item_id: String(i), title: null })).join('\n') + '\n');
  const bundleLines: string[] = [];
  for (let b = 0; b < nBundles; b++) {
    const half = b < 20 ? 0 : 60;
    const items = new Set<number>();
    while (items.size < 8) items.add(half + Math.floor(rng() * 60));
    bundleLines.push(JSON.stringify({ bundle_id: String(b), items: [...items].map(String) }));
  }
  fs.writeFileSync(path.join(dir, 'bundles.jsonl'), bundleLines.join('\n') + '\n');
  const events = ['user_id,item_id,ts,action'];
  const splits: Record<'train' | 'tune' | 'test', string[]> = { train: ['user_id,bundle_id'], tune: ['user_id,bundle_id'], test: ['user_id,bundle_id'] };
  for (let u = 0; u < 80; u++) {
    const group = u % 8;
    const half = group < 4 ? 0 : 20;
    const own = [0, 1, 2, 3, 4].map((k) => 5 * group + k);
    shuffleInPlace(own, rng);
    const chosen = new Set<number>(own.slice(0, 4));
    while (chosen.size < 6) chosen.add(half + Math.floor(rng() * 20));
    const list = [...chosen];
    shuffleInPlace(list, rng);
    list.forEach((b, i) => splits[i < 4 ? 'train' : i === 4 ? 'tune' : 'test'].push(`${u},${b}`));
    const items = new Set<number>();
    while (items.size < 6) items.add((group < 4 ? 0 : 60) + Math.floor(rng() * 60));
    [...items].forEach((it, ts) => events.push(`${u},${it},${ts},interact`));
  }
  fs.writeFileSync(path.join(dir, 'events.csv'), events.join('\n') + '\n');
  for (const [name, lines] of Object.entries(splits)) fs.writeFileSync(path.join(dir, `user_bundle_${name}.csv`), lines.join('\n') + '\n');
}

describe('runPersonalizedBundleEval (end to end on a planted toy dataset)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'personalized-bundle-'));
  const datasetDir = path.join(tmp, 'bundle_toy');
  writeToyDataset(datasetDir, 5);
  let stderrSpy: jest.SpyInstance;
  beforeAll(() => {
    stderrSpy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterAll(() => {
    stderrSpy.mockRestore();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('writes one protocol report per model plus the markdown, and the personalized models beat popularity', async () => {
    const outDir = path.join(tmp, 'out');
    const metrics = await runPersonalizedBundleEval({ datasetDir, outDir, seed: 42 });
    const models = ['popularity', 'item_popularity_sum', 'user_knn', 'bundle_model'];
    expect(Object.keys(metrics)).toEqual(models);
    for (const model of models) {
      const report = JSON.parse(fs.readFileSync(path.join(outDir, `personalized-${model}.json`), 'utf8'));
      expect(report).toMatchObject({ protocol: 1, dataset: 'bundle_toy', task: 'personalized_bundle_recommendation', model, users_evaluated: 80 });
      for (const key of ['recall@20', 'ndcg@20', 'recall@10', 'ndcg@10']) {
        expect(report.metrics[key]).toBeGreaterThanOrEqual(0);
        expect(report.metrics[key]).toBeLessThanOrEqual(1);
      }
      expect(report.metrics).toEqual(metrics[model]);
      expect(typeof report.machine).toBe('string');
      expect(report.train_seconds).toBeGreaterThanOrEqual(0);
      expect(report.eval_seconds).toBeGreaterThanOrEqual(0);
    }
    const bm = JSON.parse(fs.readFileSync(path.join(outDir, 'personalized-bundle_model.json'), 'utf8'));
    expect(bm.seeds).toEqual([42, 43, 44]);
    expect(bm.per_seed).toHaveLength(3);
    expect(bm.metrics['recall@20']).toBeCloseTo(
      bm.per_seed.reduce((s: number, r: { metrics: Record<string, number> }) => s + r.metrics['recall@20'], 0) / 3,
      12,
    );
    expect(bm.metrics_std['recall@20']).toBeGreaterThanOrEqual(0);
    expect(Object.keys(bm.params.weights).length).toBeGreaterThan(5);
    const md = fs.readFileSync(path.join(outDir, 'personalized.md'), 'utf8');
    expect(md).toContain('| user_knn |');
    expect(md).toContain('full ranking');
    expect(md).toContain('no published column');

    expect(metrics.user_knn['recall@10']).toBeGreaterThan(metrics.popularity['recall@10'] + 0.1);
    expect(metrics.bundle_model['recall@10']).toBeGreaterThan(metrics.popularity['recall@10'] + 0.1);

    // Same seed, same numbers.
    const again = await runPersonalizedBundleEval({ datasetDir, outDir: path.join(tmp, 'out2'), seed: 42 });
    expect(again).toEqual(metrics);
  }, 60_000);
});
