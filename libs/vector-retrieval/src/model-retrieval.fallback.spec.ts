import { exactTopK, ScoredItem } from '@recmesh/model-runtime';
import { ModelRetrieval, RetrievableModel } from './model-retrieval';
import { syntheticVectors, withPaddingRow } from './synthetic-vectors';

// A host where the native addon was not built (an image installed with --ignore-scripts).
jest.doMock('hnswlib-node', () => {
  throw new Error('Could not locate the bindings file');
});

describe('ModelRetrieval without the HNSW library', () => {
  it('logs why and keeps answering exactly', async () => {
    const hidden = 8;
    const itemMatrix = withPaddingRow(syntheticVectors({ count: 50, hidden, clusters: 0, seed: 1 }), hidden);
    const itemIds = Array.from({ length: 50 }, (_, n) => `item-${n}`);
    const topKBatch = async (users: Float32Array, k: number): Promise<ScoredItem[][]> =>
      exactTopK(itemMatrix, 51, hidden, users, k).map(({ rows, scores }) => Array.from(rows, (row, i) => ({ itemId: itemIds[row - 1], row, score: scores[i] })));
    const model = { modelVersion: 'v1', hidden, rowCount: 51, itemMatrix, itemIds, topKBatch } as unknown as RetrievableModel;
    const logged: string[] = [];
    const retrieval = new ModelRetrieval({ mode: 'ann', annMinItems: 1, hnsw: { m: 16, efConstruction: 100, efSearch: 100 } }, { log: (m) => logged.push(m), error: (m) => logged.push(`error: ${m}`) });

    expect(await retrieval.ready(model)).toBe('exact');
    expect(logged.at(-1)).toBe(
      'error: HNSW graph of model v1 failed to build, serving exact top-K: the HNSW library hnswlib-node cannot be loaded (Could not locate the bindings file); build it with `npm rebuild hnswlib-node` or set SCORER_RETRIEVAL=exact',
    );
    const users = syntheticVectors({ count: 3, hidden, clusters: 0, seed: 2 });
    expect(await retrieval.topK(model, users, 5)).toEqual(await topKBatch(users, 5));
  });
});
