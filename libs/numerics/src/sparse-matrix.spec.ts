import { csrFromCoordinates, rowIndices, rowLengths, transposeCsr } from './sparse-matrix';

describe('csrFromCoordinates / transposeCsr', () => {
  it('sorts rows, merges duplicates and transposes', () => {
    const m = csrFromCoordinates(2, 3, [1, 0, 1, 1], [2, 1, 0, 2], [1, 2, 3, 4]);
    expect(Array.from(m.indptr)).toEqual([0, 1, 3]);
    expect(Array.from(m.indices)).toEqual([1, 0, 2]);
    expect(Array.from(m.values)).toEqual([2, 3, 5]);
    const t = transposeCsr(m);
    expect(Array.from(t.indptr)).toEqual([0, 1, 2, 3]);
    expect(Array.from(t.indices)).toEqual([1, 0, 1]);
    expect(Array.from(t.values)).toEqual([3, 2, 5]);
  });

  it('reads row lengths and row views, and keeps float64 values through a transpose', () => {
    const m = csrFromCoordinates(3, 2, [0, 2, 2], [1, 0, 1], undefined, true);
    expect(Array.from(rowLengths(m))).toEqual([1, 0, 2]);
    expect(Array.from(rowIndices(m, 2))).toEqual([0, 1]);
    const precise = { nRows: 1, nCols: 2, indptr: Int32Array.from([0, 2]), indices: Int32Array.from([0, 1]), values: Float64Array.from([0.1, 1 / 3]) };
    expect(Array.from(transposeCsr(precise).values)).toEqual([0.1, 1 / 3]);
  });
});
