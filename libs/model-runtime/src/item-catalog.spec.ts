import { ItemCatalog } from './item-catalog';

describe('ItemCatalog', () => {
  const trained = () => new ItemCatalog(2, ['a', 'b'], Float32Array.from([0, 0, 1, 2, 3, 4]));

  it('maps ids and rows, row 0 being padding', () => {
    const c = trained();
    expect(c.rowCount).toBe(3);
    expect(c.rowOf('b')).toBe(2);
    expect(c.itemIdOf(1)).toBe('a');
    expect(c.itemIdOf(0)).toBeUndefined();
    expect(c.itemIdOf(3)).toBeUndefined();
    expect(Array.from(c.vectorOfRow(2))).toEqual([3, 4]);
    expect(() => c.vectorOfRow(3)).toThrow(RangeError);
    expect(() => new ItemCatalog(2, ['a'], new Float32Array(6))).toThrow(RangeError);
  });

  it('appends many cold items (growing the storage) without disturbing earlier rows', () => {
    const c = trained();
    for (let i = 0; i < 100; i++) expect(c.upsertColdItem(`cold-${i}`, Float32Array.from([i, -i]))).toEqual({ row: 3 + i, replaced: false });
    expect(c.rowCount).toBe(103);
    expect(c.matrix).toHaveLength(103 * 2);
    expect(Array.from(c.matrix.subarray(0, 6))).toEqual([0, 0, 1, 2, 3, 4]);
    expect(Array.from(c.vectorOfRow(102))).toEqual([99, -99]);
    expect(c.itemIds).toHaveLength(102);
    expect(c.trainedRowOf('cold-5')).toBeUndefined();
    expect(c.trainedRowOf('a')).toBe(1);
    expect(c.isColdItem('cold-5')).toBe(true);
  });

  it('replaces a cold item in place and refuses to overwrite a trained one', () => {
    const c = trained();
    c.upsertColdItem('x', Float32Array.from([1, 1]));
    expect(c.upsertColdItem('x', Float32Array.from([5, 6]))).toEqual({ row: 3, replaced: true });
    expect(Array.from(c.vectorOfRow(3))).toEqual([5, 6]);
    expect(() => c.upsertColdItem('a', Float32Array.from([0, 0]))).toThrow('trained item');
    expect(() => c.upsertColdItem('y', Float32Array.from([0]))).toThrow(RangeError);
  });
});
