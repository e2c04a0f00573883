import { BundleKnn } from './bundle-cf';
import { BundleFeatureExtractor } from './bundle-features';
import { EmbeddingAffinity } from './embedding-affinity';
import { ItemCooccurrenceLift } from './item-cooccurrence';
import { csrFromCoordinates, transposeCsr } from '@recmesh/numerics';
import { PersonalizedBundleData } from './user-bundle-splits';
import { UserKnn } from './user-knn';

// bundles: b0 {0,1}, b1 {1,2,3}, b2 {3};  users: u0 items {1,3}, train {b0}; u1 items {0}, train {b0,b1}
function tinyData(): PersonalizedBundleData {
  const bundleItems = csrFromCoordinates(3, 4, [0, 0, 1, 1, 1, 2], [0, 1, 1, 2, 3, 3], undefined, true);
  const userItems = csrFromCoordinates(2, 4, [0, 0, 1], [1, 3, 0], undefined, true);
  const train = csrFromCoordinates(2, 3, [0, 1, 1], [0, 0, 1], undefined, true);
  const empty = csrFromCoordinates(2, 3, [], [], undefined, true);
  return {
    nUsers: 2,
    nBundles: 3,
    nItems: 4,
    userIds: ['0', '1'],
    bundleIds: ['0', '1', '2'],
    itemIds: ['0', '1', '2', '3'],
    bundleItems,
    itemBundles: transposeCsr(bundleItems),
    userItems,
    itemUsers: transposeCsr(userItems),
    train,
    tune: empty,
    test: empty,
    trainByBundle: transposeCsr(train),
    counts: { userItemRows: 3, bundleItemPairs: 6, trainPairs: 3, tunePairs: 0, testPairs: 0 },
  };
}

describe('BundleFeatureExtractor', () => {
  const data = tinyData();
  const extractor = new BundleFeatureExtractor(
    {
      data,
      knn: new UserKnn(data, 0),
      knnNeighbours: 10,
      bundleKnn: new BundleKnn(data.train, data.trainByBundle),
      bundleCooc: new ItemCooccurrenceLift(data.bundleItems, data.itemBundles),
      userCooc: new ItemCooccurrenceLift(data.userItems, data.itemUsers),
      embedding: new EmbeddingAffinity(data, { rank: 2, userItemWeight: 0.5, bundleSelfWeight: 0.5, bundleItemWeight: 0.5, powerIterations: 2 }, 1),
    },
    ['log_popularity', 'item_overlap_log', 'item_overlap_frac', 'train_bundle_similarity', 'user_knn'],
  );

  it('computes popularity, item overlap and content similarity to training bundles by hand', () => {
    const [pop, overlapLog, overlapFrac, trainSim, knn] = extractor.compute(0, extractor.allocate());
    [Math.log(3), Math.log(2), 0].forEach((v, b) => expect(pop[b]).toBeCloseTo(v, 12));
    // u0's items {1,3}: b0 ∩ = {1}, b1 ∩ = {1,3}, b2 ∩ = {3}
    [Math.log(2), Math.log(3), Math.log(2)].forEach((v, b) => expect(overlapLog[b]).toBeCloseTo(v, 12));
    [1 / 2, 2 / 3, 1].forEach((v, b) => expect(overlapFrac[b]).toBeCloseTo(v, 12));
    // u0 trained on b0 {0,1}: cosine with b0 = 1, with b1 = 1/sqrt(6), with b2 = 0
    [Math.log(2), Math.log1p(1 / Math.sqrt(6)), 0].forEach((v, b) => expect(trainSim[b]).toBeCloseTo(v, 12));
    // u0's only neighbour is u1 (shares b0): user_knn normalised by its max.
    [1, 1, 0].forEach((v, b) => expect(knn[b]).toBeCloseTo(v, 12));
  });

  it('gives the same features on a second call (no state leaks between users)', () => {
    const first = extractor.compute(0, extractor.allocate()).map((a) => Array.from(a));
    extractor.compute(1, extractor.allocate());
    const again = extractor.compute(0, extractor.allocate()).map((a) => Array.from(a));
    expect(again).toEqual(first);
  });
});
