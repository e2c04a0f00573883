import { topIndices } from './top-k';

describe('topIndices', () => {
  it('returns the n largest, best first, lower index on ties, skipping flagged entries', () => {
    const v = [3, 9, 1, 9, 5, 7];
    expect(Array.from(topIndices(v, 3))).toEqual([1, 3, 5]);
    expect(Array.from(topIndices(v, 3, Uint8Array.from([0, 1, 0, 0, 0, 0])))).toEqual([3, 5, 4]);
    expect(Array.from(topIndices(v, 10)).length).toBe(6);
  });
});
