import { exactTopK } from '@recmesh/model-runtime';
import { ExactItemRetriever } from './exact-item-retriever';
import { syntheticVectors, withPaddingRow } from './synthetic-vectors';

describe('ExactItemRetriever', () => {
  const hidden = 16;
  const source = { hidden, rowCount: 301, matrix: withPaddingRow(syntheticVectors({ count: 300, hidden, clusters: 4, seed: 1 }), hidden) };
  const users = syntheticVectors({ count: 5, hidden, clusters: 0, seed: 2 });

  it('answers exactly what exactTopK answers, exclusions and mask included', async () => {
    const excludeRows = [new Set([1, 2, 3]), undefined, new Set([300]), undefined, undefined];
    const mask = new Uint8Array(301);
    mask[10] = mask[20] = 1;
    const retriever = new ExactItemRetriever(source);
    expect(await retriever.topK(users, 12, { excludeRows, mask })).toEqual(exactTopK(source.matrix, 301, hidden, users, 12, { excludeRows, mask }));
  });

  it('never returns removed rows, whatever the mask, until they are upserted again', async () => {
    const retriever = new ExactItemRetriever(source);
    const before = await retriever.topK(users, 10);
    const removed = before.map(({ rows }) => rows[0]);
    await retriever.remove(removed);
    const mask = new Uint8Array(5); // shorter than the catalog: rows past its end are kept
    for (const { rows } of await retriever.topK(users, 10, { mask })) {
      expect(rows).toHaveLength(10);
      for (const row of rows) expect(removed).not.toContain(row);
    }
    expect(mask).toEqual(new Uint8Array(5)); // the caller's mask is not written to
    expect(retriever.stats()).toEqual({ kind: 'exact', liveRows: 300 - new Set(removed).size, removedRows: new Set(removed).size, indexBytes: 0 });
    await retriever.upsert(removed);
    expect(await retriever.topK(users, 10)).toEqual(before);
  });

  it('refuses rows outside the catalog', async () => {
    const retriever = new ExactItemRetriever(source);
    await expect(retriever.remove([301])).rejects.toThrow('row 301 is not an item row (1..300)');
    await expect(retriever.upsert([1.5])).rejects.toThrow('row 1.5 is not an item row (1..300)');
  });
});
