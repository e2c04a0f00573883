import * as path from 'path';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { ModelRetrieval, sharedModelRetrieval } from './model-retrieval';
import type { RetrievalSettings } from './retrieval.config';

jest.setTimeout(60_000);
const DEMO_MODEL_DIR = path.resolve(__dirname, '../../../tools/model/demo-model');
const HNSW = { m: 16, efConstruction: 100, efSearch: 100 };

/** The demo model (2,000 items, hidden 32) served through ModelRetrieval, against its own exact kernel. */
describe('ModelRetrieval on the demo model', () => {
  let model: SequentialRecommenderModel;
  let users: Float32Array;
  const logged: string[] = [];
  const logger = { log: (m: string) => logged.push(m), error: (m: string) => logged.push(`error: ${m}`) };
  const retrieval = (settings: Partial<RetrievalSettings>) => new ModelRetrieval({ mode: 'ann', annMinItems: 1, hnsw: HNSW, ...settings }, logger);

  beforeAll(async () => {
    model = await SequentialRecommenderModel.load(DEMO_MODEL_DIR, { preferCuda: false });
    const histories = model.itemIds.slice(0, 40).map((id, n) => [{ itemId: id, action: 'view' }, { itemId: model.itemIds[(n * 37) % 2000], action: 'view' }]);
    users = await model.encodeUsers(histories);
  });

  afterAll(() => model.release());

  it('answers exactly through the model kernel when exact, or below the auto threshold', async () => {
    for (const r of [retrieval({ mode: 'exact' }), retrieval({ mode: 'auto', annMinItems: 2001 })]) {
      expect(await r.ready(model)).toBe('exact');
      const exclude = [[1, 2, 3]];
      expect(await r.topK(model, users.subarray(0, 32), 10, { exclude })).toEqual(await model.topKBatch(users.subarray(0, 32), 10, { exclude }));
    }
  });

  it('serves exact answers while the graph builds, then answers from the graph', async () => {
    const r = retrieval({ mode: 'auto', annMinItems: 2000 });
    expect(r.kindFor(model)).toBe('exact'); // the build has only started
    expect(await r.ready(model)).toBe('ann');
    expect(logged.some((m) => /^HNSW graph of model .* ready: 2000 items in/.test(m))).toBe(true);

    const kernel = jest.spyOn(model, 'topKBatch');
    const exclude = Array.from({ length: 40 }, (_, u) => [u + 1, u + 2]);
    const approximate = await r.topK(model, users, 10, { exclude });
    expect(kernel).not.toHaveBeenCalled();
    kernel.mockRestore();
    const exact = await model.topKBatch(users, 10, { exclude });
    let hits = 0;
    approximate.forEach((answer, u) => {
      expect(answer).toHaveLength(10);
      const truth = new Map(exact[u].map((s) => [s.row, s.score]));
      for (const s of answer) {
        expect(exclude[u]).not.toContain(s.row);
        expect(s.itemId).toBe(model.itemIdOf(s.row));
        if (truth.has(s.row)) {
          hits++;
          expect(s.score).toBeCloseTo(truth.get(s.row)!, 4); // exact float64 re-score vs the kernel's float32
        }
      }
    });
    // At 2,000 items efSearch 100 reaches most of the graph: measured 1.0; 0.95 leaves room for seeds.
    expect(hits / 400).toBeGreaterThanOrEqual(0.95);
  });

  it('finds cold items added after the graph was built', async () => {
    const r = retrieval({ mode: 'ann' });
    expect(await r.ready(model)).toBe('ann');
    const added = await model.addColdItems([
      { itemId: 'cold-a', title: 'Brand new phone case', category: model.manifest.sideInfo.categories[0] },
      { itemId: 'cold-b', title: 'Brand new running shoe', category: model.manifest.sideInfo.categories[1] },
    ]);
    // Everything but the cold rows masked: only rows the graph holds can come back, so both must.
    const mask = new Uint8Array(model.rowCount).fill(1);
    for (const a of added) mask[a.row] = 0;
    const [answer] = await r.topK(model, users.subarray(0, model.hidden), 10, { mask });
    expect(answer.map((s) => s.itemId).sort()).toEqual(['cold-a', 'cold-b']);
  });

  it('inserts a large backlog of cold items in the background, then finds them', async () => {
    const r = retrieval({ mode: 'ann' });
    expect(await r.ready(model)).toBe('ann');
    const added = await model.addColdItems(Array.from({ length: 1200 }, (_, n) => ({ itemId: `backlog-${n}`, category: model.manifest.sideInfo.categories[n % 5] })));
    const mask = new Uint8Array(model.rowCount).fill(1);
    for (const a of added) mask[a.row] = 0;
    const query = users.subarray(0, model.hidden);
    await r.topK(model, query, 10, { mask }); // starts the background inserts
    expect(await r.ready(model)).toBe('ann');
    const [answer] = await r.topK(model, query, 10, { mask });
    expect(answer).toHaveLength(10);
    for (const s of answer) expect(s.itemId).toMatch(/^backlog-/);
    // As good as the exact kernel's ten best of the backlog (items of one category share a vector: ties, so scores are compared).
    const [exact] = await model.topKBatch(query, 10, { mask });
    answer.forEach((s, i) => expect(s.score).toBeCloseTo(exact[i].score, 4));
  });
});

describe('sharedModelRetrieval', () => {
  it('gives the scorer and the bundler of one process the same instance (one graph per model) for the same settings only', () => {
    const settings: RetrievalSettings = { mode: 'auto', annMinItems: 200_000, hnsw: HNSW };
    expect(sharedModelRetrieval(settings)).toBe(sharedModelRetrieval({ ...settings, hnsw: { ...HNSW } }));
    expect(sharedModelRetrieval({ ...settings, annMinItems: 1 })).not.toBe(sharedModelRetrieval(settings));
  });
});
