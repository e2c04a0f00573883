import { csrFromCoordinates, transposeCsr } from '@recmesh/numerics';
import { UserKnn } from './user-knn';

// users 0..3, bundles 0..3, items 0..1
//   u0: bundles {0,1}, items {0}
//   u1: bundles {0,1,2}
//   u2: bundles {1,3}, items {0}
//   u3: no bundles, items {0}   (never a neighbour: adds nothing to any score)
const train = csrFromCoordinates(4, 4, [0, 0, 1, 1, 1, 2, 2], [0, 1, 0, 1, 2, 1, 3], undefined, true);
const userItems = csrFromCoordinates(4, 2, [0, 2, 3], [0, 0, 0], undefined, true);
const inputs = { train, trainByBundle: transposeCsr(train), userItems, itemUsers: transposeCsr(userItems) };

describe('UserKnn', () => {
  it('finds cosine neighbours over user–bundle vectors', () => {
    const { users, sims } = new UserKnn(inputs, 0).neighbours(0);
    expect(Array.from(users)).toEqual([1, 2]);
    expect(sims[0]).toBeCloseTo(2 / Math.sqrt(6), 12); // |{0,1}| / sqrt(2·3)
    expect(sims[1]).toBeCloseTo(0.5, 12); // |{1}| / sqrt(2·2)
  });

  it('scores bundles by Σ sim · [neighbour has the bundle], with all or top-k neighbours', () => {
    const knn = new UserKnn(inputs, 0);
    const s12 = 2 / Math.sqrt(6);
    const all = knn.scores(0, Infinity, new Float64Array(4));
    [s12, s12 + 0.5, s12, 0.5].forEach((v, b) => expect(all[b]).toBeCloseTo(v, 12));
    const top1 = knn.scores(0, 1, new Float64Array(4));
    [s12, s12, s12, 0].forEach((v, b) => expect(top1[b]).toBeCloseTo(v, 12));
  });

  it('adds item overlaps with weight² when user–item vectors are concatenated', () => {
    const knn = new UserKnn(inputs, 1);
    const { users, sims } = knn.neighbours(0);
    // u0 = [1,1,0,0 | 1,0], u1 = [1,1,1,0 | 0,0], u2 = [0,1,0,1 | 1,0]: both cosines 2/3, tie → lower index first.
    expect(Array.from(users)).toEqual([1, 2]);
    expect(sims[0]).toBeCloseTo(2 / 3, 12);
    expect(sims[1]).toBeCloseTo(2 / 3, 12);
    const s = knn.scores(0, Infinity, new Float64Array(4));
    [2 / 3, 4 / 3, 2 / 3, 2 / 3].forEach((v, b) => expect(s[b]).toBeCloseTo(v, 12));
    // u3 shares item 0 with u0 but has no training bundle: not a neighbour.
    expect(Array.from(users)).not.toContain(3);
  });

  it('gives a user without training bundles no neighbours and all-zero scores (bundle-only vectors)', () => {
    const knn = new UserKnn(inputs, 0);
    expect(knn.neighbours(3).users.length).toBe(0);
    expect(Array.from(knn.scores(3, 10, new Float64Array(4)))).toEqual([0, 0, 0, 0]);
  });
});
